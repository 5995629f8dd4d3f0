package desk_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// source answers the checks from memory: drops per client, and whatever
// else a test sets. Methods a scan does not call panic (the nil Store).
type source struct {
	proactive.Store
	mu        sync.Mutex
	drops     map[string]float64 // email → drop (previous − current)
	deals     []proactive.Deal
	healthErr error
	runs      int
}

func (s *source) set(email string, drop float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drops == nil {
		s.drops = map[string]float64{}
	}
	s.drops[email] = drop
}

func (s *source) Ping(context.Context) error { return nil }

func (s *source) RecordScan(context.Context, proactive.ScanRun) error {
	s.mu.Lock()
	s.runs++
	s.mu.Unlock()
	return nil
}

func (s *source) HealthTrends(_ context.Context, q proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.healthErr != nil {
		return nil, s.healthErr
	}
	for _, email := range slices.Sorted(maps.Keys(s.drops)) { // the readers' order
		if drop := s.drops[email]; drop >= q.MinDrop {
			t := proactive.HealthTrend{Email: email, Firstname: email[:3], Previous: 90, Current: 90 - drop, Zone: "GREEN", Readings: 5, CurrentAt: q.Now.Add(-time.Hour)}
			if err := fn(t); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

func (s *source) StalledDeals(_ context.Context, _ proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error) {
	for _, d := range s.deals {
		if err := fn(d); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (s *source) SyncFailures(context.Context, proactive.SyncQuery, func(proactive.SyncFailureGroup) error) (proactive.Skipped, error) {
	return nil, nil
}

func (s *source) WaitingLeads(context.Context, proactive.LeadQuery, func(proactive.Lead) error) (proactive.Skipped, error) {
	return nil, nil
}

func (s *source) HasRows(context.Context, string) (bool, error) { return len(s.drops) > 0, nil }

// router sends everything to the webhook and resolved messages too.
type router struct{}

func (router) AlertDestinations(proactive.Alert, proactive.Severity, []string) []proactive.Destination {
	return []proactive.Destination{{Channel: proactive.ChannelWebhook}}
}

func (router) ResolvedRoutes() []proactive.ResolvedRoute {
	return []proactive.ResolvedRoute{{Channel: proactive.ChannelWebhook, Priorities: proactive.Severities()}}
}

type world struct {
	t    *testing.T
	src  *source
	desk *memstore.Desk
	sc   *scan.Scanner
	svc  *desk.Service
	sent int // outbox messages already looked at
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, src: &source{}, desk: memstore.New(uuid.NewString)}
	var err error
	w.sc, err = scan.New(scan.Options{Store: w.src, Desk: w.desk, Notify: router{}})
	require.NoError(t, err)
	w.svc = &desk.Service{Desk: w.desk, Registry: rules.Registry()}
	return w
}

// scan runs a scan at now and returns its result.
func (w *world) scan(now time.Time) proactive.ScanResult {
	w.t.Helper()
	res, err := w.sc.Run(context.Background(), scan.Params{Now: now, Trigger: "test"})
	require.NoError(w.t, err)
	return res
}

// messages returns the notifications queued since the last call.
func (w *world) messages() []proactive.Notification {
	out := w.desk.Outbox()[w.sent:]
	w.sent += len(out)
	return out
}

func (w *world) caseOf(key string) proactive.Case {
	w.t.Helper()
	d, err := w.svc.GetCase(context.Background(), key, time.Time{})
	require.NoError(w.t, err)
	return d.Case
}

func (w *world) events(key string) []proactive.EventKind {
	w.t.Helper()
	d, err := w.svc.GetCase(context.Background(), key, time.Time{})
	require.NoError(w.t, err)
	var out []proactive.EventKind
	for _, e := range d.Events {
		out = append(out, e.Kind)
	}
	return out
}

func saved(res proactive.ScanResult) []proactive.SaveOutcome {
	var out []proactive.SaveOutcome
	for _, g := range res.AlertGroups {
		out = append(out, g.Saved)
	}
	return out
}

// TestFortnight walks the lifecycle of CONTRACT §10 in memory: open → still
// open → a new client updates the alert, naming only her → dismiss → the
// acknowledged clients do not alert the next day → one escalates and is
// back → recovery within the margin keeps the case, below it resolves it
// after the delay → resolved message → it recurs: a new case pointing to
// the old one.
func TestFortnight(t *testing.T) {
	w := newWorld(t)
	day := func(d int, h int) time.Time { return time.Date(2025, 12, d, h, 0, 0, 0, time.UTC) }
	jane, bob := "health_drop:jane@x.com", "health_drop:bob@x.com"

	// Day 1, 09:00: Jane and Bob drop.
	w.src.set("jane@x.com", 30)
	w.src.set("bob@x.com", 20)
	res := w.scan(day(1, 9))
	require.Equal(t, []proactive.SaveOutcome{proactive.Inserted}, saved(res))
	require.Equal(t, proactive.CaseCounts{Opened: 2, Open: 2}, res.Cases)
	alertID := res.AlertGroups[0].AlertID
	msgs := w.messages()
	require.Len(t, msgs, 1)
	require.Equal(t, proactive.EventAlert, msgs[0].Event)

	// 10:00: nothing new: the alert is a duplicate, the cases stay open.
	res = w.scan(day(1, 10))
	require.Equal(t, []proactive.SaveOutcome{proactive.Duplicate}, saved(res))
	require.Zero(t, res.Cases.Opened)
	require.Empty(t, w.messages())
	require.Equal(t, day(1, 10), w.caseOf(jane).LastSeenAt)

	// 12:00: Carol drops: the alert of the day is updated, the message
	// names only her.
	w.src.set("carol@x.com", 40)
	res = w.scan(day(1, 12))
	require.Equal(t, []proactive.SaveOutcome{proactive.Updated}, saved(res))
	require.Equal(t, alertID, res.AlertGroups[0].AlertID, "one alert per type and day")
	require.Equal(t, 1, res.AlertsUpdated)
	msgs = w.messages()
	require.Len(t, msgs, 1)
	require.Equal(t, proactive.EventUpdate, msgs[0].Event)
	require.Equal(t, []string{"car (carol@x.com)"}, msgs[0].Payload.NewEntities)

	// 13:00: the team dismisses the alert: its cases are acknowledged.
	_, acked, err := w.svc.Dismiss(context.Background(), alertID, "ann", day(1, 13))
	require.NoError(t, err)
	require.Len(t, acked, 3)
	require.Equal(t, proactive.CaseAcknowledged, w.caseOf(bob).State)
	require.Equal(t, "ann", w.caseOf(bob).AcknowledgedBy)

	// Day 2, 09:00: the same drops: no alert for the acknowledged.
	res = w.scan(day(2, 9))
	require.Empty(t, res.AlertGroups)
	require.Equal(t, 3, res.Suppressed.Acknowledged)
	require.Equal(t, 3, res.AnomaliesDetected, "they still count")
	require.Empty(t, w.messages())

	// 10:00: Bob escalates (high → critical): he wakes and is back.
	w.src.set("bob@x.com", 26)
	res = w.scan(day(2, 10))
	require.Equal(t, []proactive.SaveOutcome{proactive.Inserted}, saved(res))
	require.Equal(t, 1, res.AlertGroups[0].AffectedCount, "only Bob: the others are acknowledged")
	require.Equal(t, proactive.CaseOpen, w.caseOf(bob).State)
	require.Equal(t, []proactive.EventKind{proactive.EventOpened, proactive.EventAcknowledged, proactive.EventEscalated, proactive.EventWoke}, w.events(bob))
	require.Len(t, w.messages(), 1)

	// Day 3: Jane recovers to a drop of 8 (within the 3-point margin of 10):
	// her case stays; then to 5: it resolves after resolve_after_minutes.
	w.src.set("jane@x.com", 8)
	res = w.scan(day(3, 9))
	require.Equal(t, []proactive.SaveOutcome{proactive.Inserted}, saved(res), "a new day: Bob's open case alerts again")
	require.Len(t, w.messages(), 1)
	require.False(t, w.caseOf(jane).Resolved())
	require.Equal(t, day(3, 9), w.caseOf(jane).LastSeenAt, "seen within the margin")
	w.src.set("jane@x.com", 5)
	res = w.scan(day(3, 9).Add(30 * time.Minute))
	require.False(t, w.caseOf(jane).Resolved(), "not yet: 30 minutes unseen")
	res = w.scan(day(3, 10))
	require.True(t, w.caseOf(jane).Resolved(), "60 minutes unseen")
	require.Equal(t, 1, res.Cases.Resolved)
	old := w.caseOf(jane)
	require.Equal(t, proactive.ResolveCleared, old.ResolveReason)
	msgs = w.messages()
	require.Len(t, msgs, 1)
	require.Equal(t, proactive.EventResolve, msgs[0].Event)
	require.Equal(t, jane, msgs[0].Payload.Cases[0].Key)

	// Day 5: she drops again: a new case, pointing to the old one.
	w.src.set("jane@x.com", 22)
	res = w.scan(day(5, 9))
	require.Equal(t, 1, res.Cases.Opened)
	now := w.caseOf(jane)
	require.NotEqual(t, old.ID, now.ID)
	require.Equal(t, old.ID, now.PreviousCaseID)
	require.Equal(t, proactive.CaseOpen, now.State)
}

func TestFailedCheckResolvesNothing(t *testing.T) {
	w := newWorld(t)
	at := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	w.src.set("jane@x.com", 30)
	w.scan(at)
	w.src.healthErr = proactive.Errorf(proactive.ENOTFOUND, "table client_health_scores is missing")
	res := w.scan(at.Add(3 * time.Hour))
	require.Len(t, res.Errors, 1)
	require.False(t, w.caseOf("health_drop:jane@x.com").Resolved(), "a check that errors leaves its cases open")
	require.Equal(t, at, w.caseOf("health_drop:jane@x.com").LastSeenAt, "and untouched")
}

func TestEmptyTableResolvesNothing(t *testing.T) {
	w := newWorld(t)
	at := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	w.src.set("jane@x.com", 30)
	w.scan(at)
	w.src.drops = nil
	res := w.scan(at.Add(3 * time.Hour))
	require.False(t, w.caseOf("health_drop:jane@x.com").Resolved())
	require.Len(t, res.Errors, 1)
	require.Contains(t, res.Errors[0].Error, "table client_health_scores holds no rows: 1 open case kept")
}

func TestSnoozeWakesOnTime(t *testing.T) {
	w := newWorld(t)
	at := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	w.src.set("jane@x.com", 30)
	w.scan(at)
	_, err := w.svc.Act(context.Background(), "jane@x.com", lifecycle.Action{Kind: lifecycle.ActSnooze, Until: at.Add(24 * time.Hour)}, at.Add(time.Hour))
	require.Error(t, err, "snooze takes a case, not an email")
	cs, err := w.svc.Act(context.Background(), "health_drop:jane@x.com", lifecycle.Action{Kind: lifecycle.ActSnooze, Until: at.Add(24 * time.Hour), Note: "on holiday"}, at.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, proactive.CaseSnoozed, cs[0].State)

	res := w.scan(at.Add(23 * time.Hour))
	require.Equal(t, 1, res.Suppressed.Snoozed)
	require.Empty(t, res.AlertGroups)
	res = w.scan(at.Add(24 * time.Hour))
	require.Equal(t, proactive.CaseOpen, w.caseOf("health_drop:jane@x.com").State, "woke at snoozed_until")
	require.Len(t, res.AlertGroups, 1, "and is back in the day's alert")
	require.Equal(t, []proactive.EventKind{proactive.EventOpened, proactive.EventSnoozed, proactive.EventWoke}, w.events("health_drop:jane@x.com"))
}

func TestSilenceSuppressesButKeepsTheCase(t *testing.T) {
	w := newWorld(t)
	at := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	_, err := w.svc.AddSilence(context.Background(), proactive.Silence{Match: "jane@*", Reason: "on leave"}, nil, 14*24*time.Hour, at)
	require.NoError(t, err)
	w.src.set("jane@x.com", 30)
	res := w.scan(at.Add(time.Hour))
	require.Equal(t, 1, res.Suppressed.Silenced)
	require.Empty(t, res.AlertGroups)
	require.Empty(t, w.messages(), "no notification")
	c := w.caseOf("health_drop:jane@x.com")
	require.Equal(t, proactive.CaseOpen, c.State, "the case is kept")
	views, err := w.svc.ListCases(context.Background(), desk.CaseFilter{State: "silenced"}, at.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, views, 1)
	require.True(t, views[0].Silenced)
}
