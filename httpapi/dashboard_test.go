package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// cardTitles extracts the alert titles of a rendered page, in order.
func cardTitles(html string) []string {
	re := regexp.MustCompile(`<h3 id="title-[^"]+" class="title">([^<]*)</h3>`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(html, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestDashboardPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	want := seedSet(t, e)
	MustSaveAlert(t, e.store, e.now(), seedAlert{proactive.SeverityHigh, proactive.SyncFail, 80, `<script>alert("x")</script>`, 30 * time.Minute, 1})
	require.NoError(t, e.store.RecordScan(context.Background(), proactive.ScanRun{
		StartedAt: e.now().Add(-2 * time.Minute), DurationMS: 321, Success: true, Trigger: "schedule", Anomalies: 9, AlertsSaved: 4,
	}))

	resp := e.do(request{method: http.MethodGet, path: "/alerts", token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	html := readAll(t, resp)

	got := cardTitles(html)
	require.Equal(t, []string{want[0].Title, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`, want[1].Title, want[2].Title, want[3].Title, want[4].Title}, got,
		"most urgent first, newest first within a priority; titles escaped")
	for _, s := range []string{
		`class="badge urgency urgency-red"`, `Urgency 97/100`,
		`class="badge urgency urgency-orange"`, `Urgency 78/100`,
		`class="badge urgency urgency-yellow"`, `Urgency 35/100`,
		`class="badge priority priority-critical"`, `5 affected`, `2 h ago`,
		`<details>`, `Action items`, `Act on Yankee critical health`,
		`started by schedule`, `succeeded`, `9 anomalies`, `4 alerts saved`, `321 ms`,
		`<label for="f-priority">Priority</label>`, `<label for="f-type">Type</label>`,
		`id="run-scan"`, `aria-label="Dismiss alert: Yankee critical health"`,
		`action="/logout"`, `<meta name="viewport"`, `lang="en"`,
	} {
		require.Contains(t, html, s)
	}
	require.NotContains(t, html, `<script>alert`)

	t.Run("filters", func(t *testing.T) {
		resp := e.do(request{method: http.MethodGet, path: "/alerts?priority=medium", token: newToken})
		page := readAll(t, resp)
		require.Equal(t, []string{want[2].Title, want[3].Title}, cardTitles(page))
		require.Contains(t, page, `<option value="medium" selected>Medium</option>`)

		resp = e.do(request{method: http.MethodGet, path: "/ui/alerts?type=deal_stall", token: newToken})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		frag := readAll(t, resp)
		require.Equal(t, []string{want[1].Title, want[2].Title}, cardTitles(frag))
		require.NotContains(t, frag, "<html", "a fragment, not a page")

		resp = e.do(request{method: http.MethodGet, path: "/ui/alerts?priority=low&type=health_drop", token: newToken})
		require.Contains(t, readAll(t, resp), "No active alerts match these filters.")

		msg := requireError(t, e.do(request{method: http.MethodGet, path: "/ui/alerts?priority=bad", token: newToken}), http.StatusBadRequest)
		require.Contains(t, msg, "priority")
		resp = e.do(request{method: http.MethodGet, path: "/alerts?type=bad", token: newToken})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Contains(t, readAll(t, resp), "health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload")
	})

	t.Run("wrong methods", func(t *testing.T) {
		for _, p := range []string{"/", "/alerts", "/ui/alerts", "/ui/risk", "/silences", "/notifications"} {
			requireError(t, e.do(request{method: http.MethodPost, path: p, token: newToken}), http.StatusMethodNotAllowed)
		}
		requireError(t, e.do(request{method: http.MethodGet, path: "/logout"}), http.StatusMethodNotAllowed)
	})
}

// TestDashboardEmptyStates: an empty page says which is true — nothing
// has been checked yet, or all is clear — never both.
func TestDashboardEmptyStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, tc := range []struct{ path, empty string }{
		{"/", "No cases, because no scan has run yet: nothing has been checked. Run a scan."},
		{"/alerts", "No alerts, because no scan has run yet: nothing has been checked. Run a scan."},
	} {
		html := readAll(t, e.do(request{method: http.MethodGet, path: tc.path}))
		require.Contains(t, html, "No scan has run yet.", tc.path)
		require.Contains(t, html, tc.empty, tc.path)
		require.NotContains(t, html, "all clear", tc.path)
		require.NotContains(t, html, `action="/logout"`, "no sign-out without tokens")
	}
	require.NoError(t, e.store.RecordScan(t.Context(), proactive.ScanRun{StartedAt: e.now(), Success: true, Trigger: "schedule"}))
	for _, tc := range []struct{ path, empty string }{
		{"/", "No unresolved cases: all clear as of the last scan."},
		{"/alerts", "No active alerts: all clear."},
		{"/?search=nobody", "No cases match these filters. There are no unresolved cases at all."},
		{"/alerts?priority=low", "No active alerts match these filters."},
		{"/alerts?view=history", "No dismissed, resolved or expired alerts."},
	} {
		html := readAll(t, e.do(request{method: http.MethodGet, path: tc.path}))
		require.Contains(t, html, tc.empty, tc.path)
		require.NotContains(t, html, "no scan has run yet", tc.path)
	}
}

func TestDashboardAssetsAreEmbeddedAndLocal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for path, ctype := range map[string]string{"/ui/static/app.css": "text/css", "/ui/static/app.js": "text/javascript"} {
		resp := e.do(request{method: http.MethodGet, path: path})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), ctype), resp.Header.Get("Content-Type"))
	}
	requireError(t, e.do(request{method: http.MethodGet, path: "/ui/static/missing.js"}), http.StatusNotFound)

	// No CDN: nothing in the templates or assets points off the server.
	err := fs.WalkDir(uiFiles, "ui", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(uiFiles, path)
		require.NoError(t, err)
		require.NotRegexp(t, `(?i)(src|href)\s*=\s*["']?(https?:)?//`, string(b), path)
		require.NotContains(t, string(b), "@import", path)
		return nil
	})
	require.NoError(t, err)
}

func TestUrgencyColoursAndAges(t *testing.T) {
	t.Parallel()
	for score, want := range map[int]string{100: "urgency-red", 90: "urgency-red", 89: "urgency-orange", 70: "urgency-orange", 69: "urgency-yellow", 0: "urgency-yellow"} {
		require.Equal(t, want, urgencyClass(score), score)
	}
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", 5 * time.Minute: "5 min ago", 3 * time.Hour: "3 h ago",
		47 * time.Hour: "47 h ago", 72 * time.Hour: "3 days ago",
	} {
		require.Equal(t, want, age(now, now.Add(-d)))
	}
}

// failingStore fails ListAlerts with err.
type failingStore struct {
	proactive.Store
	err error
}

func (f failingStore) ListAlerts(context.Context, proactive.AlertFilter) ([]proactive.Alert, error) {
	return nil, f.err
}

func TestDashboardStoreErrorShowsNoDriverDetail(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		err        error
		want, hide string
	}{
		"internal": {fmt.Errorf("list alerts: %w", errors.New(`failed to connect to host=10.9.8.7 user=ptd_admin database=crm: dial tcp: i/o timeout`)),
			"internal error: see the server log", "10.9.8.7"},
		"unavailable": {proactive.Errorf(proactive.EUNAVAILABLE, "the database does not answer: check PTD_DATABASE_URL"),
			"the database does not answer: check PTD_DATABASE_URL", "internal error"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, err := New(Options{Store: failingStore{Store: MustStore(t), err: c.err}, Scans: scan.NewGuard(newBlockingScan().scan, scan.GuardOptions{})})
			require.NoError(t, err)
			e := &testEnv{t: t, srv: srv}
			e.ts = httptestServer(t, srv)
			for _, p := range []string{"/alerts", "/ui/alerts"} {
				resp := e.do(request{method: http.MethodGet, path: p})
				require.Equal(t, http.StatusOK, resp.StatusCode, "the page still renders")
				html := readAll(t, resp)
				require.Contains(t, html, "The alerts could not be read from the database: "+c.want, p)
				require.NotContains(t, html, c.hide, p)
				require.NotContains(t, html, "all clear", "a database error is not an empty list")
			}
		})
	}
}
