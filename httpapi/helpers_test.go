package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	scanpkg "github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// Tokens used by the tests: two, as during a rotation.
const (
	oldToken = "old-token-0123456789abcdef"
	newToken = "new-token-fedcba9876543210"
)

// MustStore opens a migrated SQLite store in the test's directory.
func MustStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "ptd.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(tb, err)
	return db
}

// seedAlert describes one alert to store.
type seedAlert struct {
	priority proactive.Severity
	typ      proactive.AnomalyType
	urgency  int
	title    string
	age      time.Duration // created this long before now
	count    int
}

// MustSaveAlert stores an alert created age before now and returns it with its id.
func MustSaveAlert(tb testing.TB, store proactive.Store, now time.Time, s seedAlert) proactive.Alert {
	tb.Helper()
	created := now.Add(-s.age).UTC().Truncate(time.Millisecond)
	if s.count == 0 {
		s.count = 1
	}
	a := proactive.Alert{
		InsightType: proactive.InsightType,
		Priority:    s.priority,
		Title:       s.title,
		Content:     "PRIMARY ALERT\n" + s.title + "\n\nRECOMMENDED ACTION\nCall the client today.",
		Summary:     fmt.Sprintf("%d affected: %s", s.count, s.title),
		ActionItems: []proactive.ActionItem{
			{Action: "Act on " + s.title, Priority: s.priority, UrgencyScore: s.urgency},
		},
		AffectedEntities: proactive.AffectedEntities{
			Type: s.typ, Count: s.count, Entities: []string{s.title}, UrgencyScore: s.urgency,
		},
		SourceAgent: proactive.SourceAgent,
		SourceData:  map[string]any{"test": true},
		DedupKey:    fmt.Sprintf("%s_%s_%s", s.typ, strings.ReplaceAll(s.title, " ", "_"), created.Format("2006-01-02")),
		CreatedAt:   created,
	}
	res, err := storetest.SaveAlert(context.Background(), store, a, created, "scan")
	require.NoError(tb, err)
	require.Equal(tb, proactive.Inserted, res.Outcome, "seed alert %q", s.title)
	a.ID = res.ID
	return a
}

// scanCall is one call of the test scan function.
type scanCall struct {
	trigger string
}

// testEnv is a Server on a real SQLite store behind an httptest.Server.
type testEnv struct {
	t *testing.T
	// store is the SQLite store of the default env (nil with
	// envOptions.store); st is the store the server uses either way.
	store *sqlite.DB
	st    proactive.Store
	srv   *Server
	ts    *httptest.Server
	now   func() time.Time

	mu    sync.Mutex
	calls []scanCall
}

// envOptions tune newEnv.
type envOptions struct {
	tokens []string
	// scan replaces the default scan function (which records its call and
	// answers a successful result).
	scan         func(ctx context.Context, trigger string) (proactive.ScanResult, error)
	pollInterval time.Duration
	logger       *slog.Logger
	// onRetried is Options.OnNotificationsRetried.
	onRetried func()
	// now is the server's clock; nil means time.Now.
	now func() time.Time
	// polled is called after each look the event poller takes.
	polled func()
	// store replaces the env's own SQLite store.
	store proactive.Store
}

// newEnv starts a server for one test; everything stops at cleanup.
func newEnv(t *testing.T, o envOptions) *testEnv {
	t.Helper()
	e := &testEnv{t: t, now: time.Now}
	if o.store != nil {
		e.st = o.store
	} else {
		e.store = MustStore(t)
		e.st = e.store
	}
	if o.now != nil {
		e.now = o.now
	}
	scan := o.scan
	if scan == nil {
		scan = func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
			return okResult(), nil
		}
	}
	srv, err := New(Options{
		Store: e.st,
		Scans: scanpkg.NewGuard(func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
			e.mu.Lock()
			e.calls = append(e.calls, scanCall{trigger: trigger})
			e.mu.Unlock()
			return scan(ctx, trigger)
		}, scanpkg.GuardOptions{}),
		Tokens:                 o.tokens,
		Logger:                 o.logger,
		Now:                    e.now,
		PollInterval:           o.pollInterval,
		OnNotificationsRetried: o.onRetried,
		polled:                 o.polled,
	})
	require.NoError(t, err)
	e.srv = srv
	e.ts = httptestServer(t, srv)
	return e
}

// httptestServer serves srv's handler until cleanup, then closes both.
func httptestServer(t *testing.T, srv *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts
}

// scanCalls returns the triggers the scan function was called with.
func (e *testEnv) scanCalls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.calls))
	for _, c := range e.calls {
		out = append(out, c.trigger)
	}
	return out
}

// okResult is a successful scan result shaped like the scan package's.
func okResult() proactive.ScanResult {
	return proactive.ScanResult{
		Success:           true,
		DurationMS:        12,
		AnomaliesDetected: 3,
		AlertGroupsCount:  1,
		AlertsSaved:       1,
		AnomalyCounts:     []proactive.AnomalyCount{{Type: proactive.HealthDrop, Severity: proactive.SeverityHigh, Count: 1}, {Type: proactive.HealthDrop, Severity: proactive.SeverityMedium, Count: 2}},
		Breakdown:         proactive.Breakdown{{Type: proactive.HealthDrop, Key: "health_drops", Count: 3}, {Type: proactive.DealStall, Key: "deal_stalls"}, {Type: proactive.SyncFail, Key: "sync_failures"}, {Type: proactive.ResponseDelay, Key: "response_delays"}},
		Insights:          []string{"3 clients experiencing health score drops. Average drop: 18 points."},
		Predictions:       []string{"Trend indicates potential systemic issue affecting multiple clients. Investigate common factors."},
		AlertGroups: []proactive.GroupSummary{{
			Type: proactive.HealthDrop, Severity: proactive.SeverityHigh, Urgency: 85, AffectedCount: 3,
			Title: "3 Clients: Health Scores Dropping", Saved: proactive.Inserted, AlertID: "x",
		}},
		Errors:      []proactive.MonitorError{},
		SkippedRows: []proactive.SkippedRows{},
		Now:         time.Now().UTC().Format(time.RFC3339),
		Groups: []proactive.AlertGroup{{
			Type:     proactive.HealthDrop,
			Primary:  proactive.Anomaly{Type: proactive.HealthDrop, Severity: proactive.SeverityHigh},
			Related:  []proactive.Anomaly{{Type: proactive.HealthDrop, Severity: proactive.SeverityMedium}, {Type: proactive.HealthDrop, Severity: proactive.SeverityMedium}},
			Severity: proactive.SeverityHigh, Urgency: 85, AffectedCount: 3,
		}},
	}
}

// request describes one HTTP call.
type request struct {
	method, path string
	body         io.Reader
	token        string // sent as a bearer token when not empty
	header       map[string]string
	cookie       *http.Cookie
}

// do sends r to the test server; redirects are not followed.
func (e *testEnv) do(r request) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(r.method, e.ts.URL+r.path, r.body)
	require.NoError(e.t, err)
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.cookie != nil {
		req.AddCookie(r.cookie)
	}
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	resp, err := client.Do(req)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// readAll reads and closes a response body.
func readAll(tb testing.TB, resp *http.Response) string {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	_ = resp.Body.Close()
	return string(b)
}

// decodeJSON decodes a JSON answer, checking its content type.
func decodeJSON(tb testing.TB, resp *http.Response, v any) {
	tb.Helper()
	require.Equal(tb, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	body := readAll(tb, resp)
	require.NoError(tb, json.Unmarshal([]byte(body), v), "body: %s", body)
}

// requireError checks a JSON error answer and returns its message.
func requireError(tb testing.TB, resp *http.Response, status int) string {
	tb.Helper()
	require.Equal(tb, status, resp.StatusCode)
	var body map[string]any
	decodeJSON(tb, resp, &body)
	require.Len(tb, body, 1, "an error answer is {\"error\": ...}: %v", body)
	msg, ok := body["error"].(string)
	require.True(tb, ok, "error is a string: %v", body)
	require.NotEmpty(tb, msg)
	return msg
}
