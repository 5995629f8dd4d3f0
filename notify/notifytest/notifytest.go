// Package notifytest holds test helpers shared by the notify packages:
// sample alerts, an HTTP receiver that records what it is sent and answers
// as told, a real SMTP server (emersion/go-smtp, STARTTLS with a throw-away
// certificate, AUTH PLAIN) that records the messages it accepts, the retry
// table every HTTP notifier must pass, and a check that secrets never leak.
//
// It is imported by tests only.
package notifytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

// Created is the creation time of the sample alerts.
func Created() time.Time { return time.Date(2025, 12, 10, 9, 30, 0, 0, time.UTC) }

// Alert returns a realistic alert of the given priority and type; id names
// it (and its entity) so that tests can tell alerts apart.
func Alert(id string, p proactive.Severity, typ proactive.AnomalyType) proactive.Alert {
	exp := Created().Add(proactive.AlertTTL)
	urgency := map[proactive.Severity]int{
		proactive.SeverityCritical: 97, proactive.SeverityHigh: 78,
		proactive.SeverityMedium: 56, proactive.SeverityLow: 33,
	}[p]
	entity := "Jane Doe (jane." + id + "@example.com)"
	return proactive.Alert{
		ID:          id,
		InsightType: proactive.InsightType,
		Priority:    p,
		Title:       "Client Health Drop: " + entity,
		Content:     "## Primary alert\n" + entity + " dropped 28 points.",
		Summary:     "Health score fell from 82 to 54 (RED) for " + entity + ".",
		ActionItems: []proactive.ActionItem{
			{Action: "Call " + entity + " today about the drop", Priority: p, UrgencyScore: urgency},
		},
		AffectedEntities: proactive.AffectedEntities{
			Type: typ, Count: 1, Entities: []string{entity}, UrgencyScore: urgency,
		},
		SourceAgent: proactive.SourceAgent,
		SourceData:  map[string]any{"anomalies": 1},
		DedupKey:    string(typ) + "_jane." + id + "@example.com_2025-12-10",
		ExpiresAt:   &exp,
		CreatedAt:   Created(),
	}
}

// RequireNoSecret fails the test when any secret appears in any text.
func RequireNoSecret(t testing.TB, secrets []string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, text := range texts {
			require.NotContains(t, text, s, "a secret leaked")
		}
	}
}

// Request is one request a Receiver got.
type Request struct {
	Header http.Header // the request headers
	Body   []byte      // the exact body
	Path   string      // the URL path
	// Status is what the receiver answered (0 when it stalled past the
	// client's patience and the client went away).
	Status int
}

// Receiver is an httptest server standing in for Slack or a webhook
// receiver: it records every request and answers with Respond.
type Receiver struct {
	*httptest.Server
	// Path is the secret path of the receiver's URL (like a Slack token).
	Path string

	mu       sync.Mutex
	requests []Request
	respond  func(n int, r *http.Request) (status int, delay time.Duration)
}

// NewReceiver starts a Receiver that answers 200 "ok" until told otherwise.
// It is closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	rc := &Receiver{Path: "/services/T000/B000/s3cr3tT0kenXYZ"}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

// URL is the receiver's full, secret, URL.
func (rc *Receiver) URL() string { return rc.Server.URL + rc.Path }

// Respond sets how the receiver answers the n-th request (0-based): a
// status and a delay before answering.
func (rc *Receiver) Respond(f func(n int, r *http.Request) (status int, delay time.Duration)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

// Requests returns a copy of the requests received so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.requests...)
}

// Accepted returns the requests answered with a 2xx status.
func (rc *Receiver) Accepted() []Request {
	var out []Request
	for _, r := range rc.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.requests)
	rc.requests = append(rc.requests, Request{Header: r.Header.Clone(), Body: body, Path: r.URL.Path})
	respond := rc.respond
	rc.mu.Unlock()

	status, delay := http.StatusOK, time.Duration(0)
	if r.URL.Path != rc.Path {
		status = http.StatusNotFound
	} else if respond != nil {
		status, delay = respond(n, r)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return // the client gave up: recorded with status 0
		}
	}
	rc.mu.Lock()
	rc.requests[n].Status = status
	rc.mu.Unlock()
	w.WriteHeader(status)
	if status == http.StatusOK {
		_, _ = io.WriteString(w, "ok")
	} else {
		// Echo the URL back, as a careless peer might: it must be redacted.
		_, _ = fmt.Fprintf(w, "error %d for %s", status, r.URL.Path)
	}
}

// RetryCase is one row of the retry table.
type RetryCase struct {
	Status    int  // what the receiver answers
	WantErr   bool // Notify fails
	WantRetry bool // and says the failure is worth a retry
}

// RetryCases is the HTTP retry contract of every notifier: 2xx succeeds,
// 408, 429 and 5xx are retried, every other status is not.
func RetryCases() []RetryCase {
	return []RetryCase{
		{200, false, false}, {204, false, false},
		{301, true, false}, {400, true, false}, {401, true, false}, {403, true, false},
		{404, true, false}, {410, true, false},
		{408, true, true}, {429, true, true},
		{500, true, true}, {502, true, true}, {503, true, true}, {504, true, true},
	}
}

// TestRetry runs the retry table against an HTTP notifier built by
// newNotifier for a receiver URL, and checks that no error quotes the URL
// or the extra secrets. It also checks a refused connection (retry) and a
// receiver slower than the notifier's timeout (retry), which newNotifier
// must set below one second.
func TestRetry(t *testing.T, newNotifier func(url string) notify.Notifier, secrets ...string) {
	alerts := notify.AlertMessages("test", Alert("a1", proactive.SeverityCritical, proactive.HealthDrop))
	for _, tc := range RetryCases() {
		t.Run(fmt.Sprint(tc.Status), func(t *testing.T) {
			rc := NewReceiver(t)
			rc.Respond(func(int, *http.Request) (int, time.Duration) { return tc.Status, 0 })
			retry, err := newNotifier(rc.URL()).Notify(context.Background(), alerts)
			require.Equal(t, tc.WantRetry, retry)
			if !tc.WantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), fmt.Sprint(tc.Status))
			RequireNoSecret(t, append(notify.URLSecrets(rc.URL()), secrets...), err.Error())
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		rc := NewReceiver(t)
		url := rc.URL()
		rc.Close()
		retry, err := newNotifier(url).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.True(t, retry)
		RequireNoSecret(t, append(notify.URLSecrets(url), secrets...), err.Error())
	})
	t.Run("timeout", func(t *testing.T) {
		rc := NewReceiver(t)
		rc.Respond(func(int, *http.Request) (int, time.Duration) { return 200, 3 * time.Second })
		start := time.Now()
		retry, err := newNotifier(rc.URL()).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.True(t, retry)
		require.Less(t, time.Since(start), 2*time.Second, "the client timeout did not cut the call off")
		require.True(t, strings.Contains(err.Error(), "timed out") || strings.Contains(err.Error(), "deadline"), err.Error())
		RequireNoSecret(t, append(notify.URLSecrets(rc.URL()), secrets...), err.Error())
	})
}
