package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// seedSet stores alerts whose titles are not in urgency order
// alphabetically, and returns them in the expected listing order.
func seedSet(t *testing.T, e *testEnv) []proactive.Alert {
	t.Helper()
	now := e.now()
	low := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityLow, proactive.ResponseDelay, 35, "Aaron low lead", 10 * time.Minute, 1})
	medOld := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityMedium, proactive.SyncFail, 58, "Alpha medium sync", 5 * time.Hour, 2})
	medNew := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityMedium, proactive.DealStall, 64, "Zulu medium deal", time.Hour, 1})
	high := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityHigh, proactive.DealStall, 78, "Beta high deal", 3 * time.Hour, 4})
	crit := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityCritical, proactive.HealthDrop, 97, "Yankee critical health", 2 * time.Hour, 5})
	return []proactive.Alert{crit, high, medNew, medOld, low}
}

// titles lists alert titles.
func titles(as []proactive.Alert) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Title)
	}
	return out
}

func TestListAlerts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	want := seedSet(t, e)
	list := func(query string) []proactive.Alert {
		t.Helper()
		resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts" + query, token: newToken})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out []proactive.Alert
		decodeJSON(t, resp, &out)
		return out
	}

	got := list("")
	require.Equal(t, titles(want), titles(got), "critical > high > medium > low, then newest")
	require.Equal(t, want[0].ID, got[0].ID)
	require.Equal(t, 97, got[0].AffectedEntities.UrgencyScore)
	require.Equal(t, proactive.HealthDrop, got[0].AffectedEntities.Type)

	require.Equal(t, []string{"Zulu medium deal", "Alpha medium sync"}, titles(list("?priority=medium")))
	require.Equal(t, []string{"Beta high deal", "Zulu medium deal"}, titles(list("?type=deal_stall")))
	require.Equal(t, []string{"Zulu medium deal"}, titles(list("?type=deal_stall&priority=medium")))
	require.Equal(t, titles(want[:2]), titles(list("?limit=2")))
	require.Equal(t, titles(want), titles(list("?limit=1000")))
	require.Equal(t, []string{}, titles(list("?priority=low&type=health_drop")))

	// An empty list is [], not null.
	resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts?priority=low&type=health_drop", token: newToken})
	require.Equal(t, "[]\n", readAll(t, resp))
}

func TestListAlertsBadQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	cases := []struct {
		query string
		want  []string
	}{
		{"?priority=urgent", []string{"priority", "critical, high, medium or low"}},
		{"?priority=CRITICAL", []string{"priority", "critical, high, medium or low"}},
		{"?priority=", nil}, // empty means all
		{"?type=health", []string{"type", "health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload"}},
		{"?limit=0", []string{"limit", "1 to 1000"}},
		{"?limit=1001", []string{"limit", "1 to 1000"}},
		{"?limit=-5", []string{"limit", "1 to 1000"}},
		{"?limit=ten", []string{"limit", "1 to 1000"}},
		{"?limit=1.5", []string{"limit", "1 to 1000"}},
		{"?limit=99999999999999999999", []string{"limit", "1 to 1000"}},
		{"?priority=high&priority=low", []string{"priority", "once"}},
	}
	for _, c := range cases {
		resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts" + c.query, token: newToken})
		if c.want == nil {
			require.Equal(t, http.StatusOK, resp.StatusCode, c.query)
			continue
		}
		msg := requireError(t, resp, http.StatusBadRequest)
		for _, w := range c.want {
			require.Contains(t, msg, w, c.query)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		resp := e.do(request{method: m, path: "/api/v1/alerts", token: newToken})
		requireError(t, resp, http.StatusMethodNotAllowed)
		require.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	}
}

func TestGetAndDismissAlert(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	alerts := seedSet(t, e)
	target := alerts[1]

	resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts/" + target.ID, token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got proactive.Alert
	decodeJSON(t, resp, &got)
	require.Equal(t, target.Title, got.Title)
	require.False(t, got.IsDismissed)

	resp = e.do(request{method: http.MethodPost, path: "/api/v1/alerts/" + target.ID + "/dismiss", token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var dr map[string]any
	decodeJSON(t, resp, &dr)
	require.Equal(t, map[string]any{"id": target.ID, "dismissed": true, "acknowledged": []any{}}, dr, "a row without case_ids holds no case")

	// Gone from the list, still readable by id, and dismissing again is fine.
	resp = e.do(request{method: http.MethodGet, path: "/api/v1/alerts", token: newToken})
	var list []proactive.Alert
	decodeJSON(t, resp, &list)
	require.NotContains(t, titles(list), target.Title)
	require.Len(t, list, len(alerts)-1)
	resp = e.do(request{method: http.MethodGet, path: "/api/v1/alerts/" + target.ID, token: newToken})
	decodeJSON(t, resp, &got)
	require.True(t, got.IsDismissed)
	resp = e.do(request{method: http.MethodPost, path: "/api/v1/alerts/" + target.ID + "/dismiss", token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)

	t.Run("bad and unknown ids", func(t *testing.T) {
		cases := []struct {
			id     string
			status int
			want   string
		}{
			{"not-a-uuid", http.StatusBadRequest, "malformed"},
			{"bad$id", http.StatusBadRequest, "malformed"},
			{"a%20b", http.StatusBadRequest, "malformed"},
			{"%27%3B--", http.StatusBadRequest, "malformed"},
			{strings.Repeat("a", 129), http.StatusBadRequest, "128"},
			{"00000000-0000-4000-8000-000000000000", http.StatusNotFound, "not found"},
		}
		for _, c := range cases {
			for _, path := range []string{"/api/v1/alerts/" + c.id, "/api/v1/alerts/" + c.id + "/dismiss"} {
				method := http.MethodGet
				if strings.HasSuffix(path, "/dismiss") {
					method = http.MethodPost
				}
				msg := requireError(t, e.do(request{method: method, path: path, token: newToken}), c.status)
				require.Contains(t, msg, c.want, path)
			}
		}
	})

	t.Run("wrong methods", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			resp := e.do(request{method: m, path: "/api/v1/alerts/" + target.ID + "/dismiss", token: newToken})
			requireError(t, resp, http.StatusMethodNotAllowed)
			require.Equal(t, "POST", resp.Header.Get("Allow"))
		}
		resp := e.do(request{method: http.MethodDelete, path: "/api/v1/alerts/" + target.ID, token: newToken})
		requireError(t, resp, http.StatusMethodNotAllowed)
	})

	t.Run("unknown paths", func(t *testing.T) {
		for _, p := range []string{"/api/v1/nothing", "/api/v2/alerts", "/api/v1/alerts/" + target.ID + "/undismiss", "/functions/v1/other"} {
			msg := requireError(t, e.do(request{method: http.MethodGet, path: p, token: newToken}), http.StatusNotFound)
			require.Contains(t, msg, "no such endpoint")
		}
	})
}
