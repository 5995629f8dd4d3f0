package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Event names on GET /api/v1/events.
const (
	// eventReady is sent once when the stream opens.
	eventReady = "ready"
	// eventAlerts says the active alerts changed: a scan here, a dismiss
	// here, or — seen by polling the store — a change made by another replica.
	eventAlerts = "alerts"
	// eventScan says a scan started (state running) or ended (state done) in this process.
	eventScan = "scan"
	// eventCases says cases or silences changed through this process's
	// API: an action, a dismiss, a silence added or expired.
	eventCases = "cases"
)

// event is one server-sent event.
type event struct {
	name string
	data []byte
}

// alertsEvent is the data of an alerts event.
type alertsEvent struct {
	// Reason is scan, dismiss or poll.
	Reason string `json:"reason"`
	At     string `json:"at"`
}

// casesEvent is the data of a cases event.
type casesEvent struct {
	// Reason is the event kinds recorded (acknowledged, snoozed, …) joined
	// by commas, or silence.
	Reason string `json:"reason"`
	At     string `json:"at"`
	// CaseIDs are the cases that changed; none for a silence (every
	// matching case's silenced flag may have changed).
	CaseIDs []string `json:"case_ids"`
}

// scanEvent is the data of a scan event.
type scanEvent struct {
	State       string `json:"state"` // running or done
	Trigger     string `json:"trigger"`
	Success     bool   `json:"success,omitempty"`
	AlertsSaved int    `json:"alerts_saved,omitempty"`
}

// broker fans events out to the open streams. A slow stream misses
// events rather than blocking the others: each holds a small buffer, and
// every event only tells the dashboard to fetch the current state again.
type broker struct {
	mu     sync.Mutex
	subs   map[chan event]struct{}
	closed bool
}

// newBroker returns an open broker.
func newBroker() *broker { return &broker{subs: map[chan event]struct{}{}} }

// subscribe returns a new stream's channel, or false once the broker is closed.
func (b *broker) subscribe() (chan event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, false
	}
	ch := make(chan event, 8)
	b.subs[ch] = struct{}{}
	return ch, true
}

// unsubscribe removes a stream.
func (b *broker) unsubscribe(ch chan event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

// listening reports whether any stream is open.
func (b *broker) listening() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) > 0
}

// publish sends an event to every stream without blocking.
func (b *broker) publish(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- event{name: name, data: data}:
		default:
		}
	}
}

// close ends every stream and refuses new ones.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

// alertsChanged tells the streams that this process changed the alerts,
// and asks the poller to take the new state as its baseline (so the same
// change is not announced twice).
func (s *Server) alertsChanged(reason string) {
	// The resync first: whoever sees the event may count on it being asked.
	select {
	case s.resync <- struct{}{}:
	default:
	}
	s.events.publish(eventAlerts, alertsEvent{Reason: reason, At: s.now().UTC().Format(time.RFC3339)})
}

// caseEventsRecorded is the desk's Recorded hook: the events of an action
// or dismiss committed through the API are counted in the metrics and
// announced on the event stream (nothing when it changed nothing).
func (s *Server) caseEventsRecorded(evs []proactive.CaseEvent) {
	if len(evs) == 0 {
		return
	}
	s.metrics.ObserveCaseEvents(evs)
	var kinds, ids []string
	for _, e := range evs {
		if !slices.Contains(kinds, string(e.Kind)) {
			kinds = append(kinds, string(e.Kind))
		}
		if !slices.Contains(ids, e.CaseID) {
			ids = append(ids, e.CaseID)
		}
	}
	s.casesChanged(strings.Join(kinds, ","), ids)
}

// casesChanged tells the streams that cases or silences changed here.
func (s *Server) casesChanged(reason string, ids []string) {
	if ids == nil {
		ids = []string{}
	}
	s.events.publish(eventCases, casesEvent{Reason: reason, At: s.now().UTC().Format(time.RFC3339), CaseIDs: ids})
}

// poll watches the store while at least one stream is open, so that
// alerts stored or dismissed by other replicas reach this one's
// dashboards: every PollInterval it fingerprints the active alerts and the
// last scan, and announces a change. The first fingerprint is announced
// too: it is taken up to PollInterval after a dashboard read the alerts
// (on the stream's "ready"), and a change made in between would otherwise
// never reach it. A needless announcement costs one refresh.
func (s *Server) poll() {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	var last string
	for {
		announce := true
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.resync:
			announce = false
		}
		if !s.events.listening() {
			continue
		}
		fp, err := s.fingerprint()
		if err != nil {
			s.log.Debug("events: poll the store", "error", err)
			continue
		}
		if announce && fp != last {
			s.events.publish(eventAlerts, alertsEvent{Reason: "poll", At: s.now().UTC().Format(time.RFC3339)})
		}
		last = fp
		if s.opts.polled != nil {
			s.opts.polled()
		}
	}
}

// fingerprint digests what the dashboard shows: the active alerts (ids,
// priorities, titles, urgency) and the last scan.
func (s *Server) fingerprint() (string, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	alerts, err := s.opts.Store.ListAlerts(ctx, proactive.AlertFilter{Now: s.now(), Limit: dashboardLimit})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, a := range alerts {
		fmt.Fprintf(h, "%s|%s|%s|%d|%d\n", a.ID, a.Priority, a.Title, a.AffectedEntities.UrgencyScore, a.AffectedEntities.Count)
	}
	if run, err := s.opts.Store.LastScan(ctx); err == nil {
		fmt.Fprintf(h, "scan|%s|%t\n", run.StartedAt.UTC().Format(time.RFC3339Nano), run.Success)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// handleEvents is GET /api/v1/events, a text/event-stream: "ready" when
// it opens, "alerts" when the active alerts change, "scan" when a scan
// starts or ends here, and a comment every 25 s to keep proxies from
// closing an idle stream. It ends when the client leaves or the server
// shuts down.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	ch, ok := s.events.subscribe()
	if !ok {
		Error(w, r, errDraining())
		return
	}
	defer s.events.unsubscribe(ch)
	// A stream lives longer than the server's read and write timeouts.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 3000\nevent: %s\ndata: {}\n\n", eventReady); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	heartbeat := time.NewTicker(heartbeatInterval)
	defer heartbeat.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case ev, open := <-ch:
			if !open {
				return
			}
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data)
		case <-heartbeat.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return
		}
	}
}
