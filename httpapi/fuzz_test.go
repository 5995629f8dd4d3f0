package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// fuzzEnv is a server on a store holding one alert of each priority.
func fuzzEnv(f *testing.F) (*Server, []proactive.Alert) {
	f.Helper()
	st := MustStore(f)
	now := time.Now()
	var alerts []proactive.Alert
	for _, s := range []seedAlert{
		{priority: proactive.SeverityCritical, typ: proactive.SyncFail, urgency: 95, title: "HubSpot - rate_limit: 5 Sync Failures", age: time.Hour},
		{priority: proactive.SeverityHigh, typ: proactive.DealStall, urgency: 80, title: "Deal Stalled: Acme", age: 2 * time.Hour},
		{priority: proactive.SeverityMedium, typ: proactive.HealthDrop, urgency: 60, title: "Client Health Drop: Kim", age: 3 * time.Hour},
		{priority: proactive.SeverityLow, typ: proactive.ResponseDelay, urgency: 40, title: "Lead Response Delay: Ola", age: 4 * time.Hour},
	} {
		alerts = append(alerts, MustSaveAlert(f, st, now, s))
	}
	srv, err := New(Options{Store: st, Scans: scan.NewGuard(newBlockingScan().scan, scan.GuardOptions{})})
	require.NoError(f, err)
	f.Cleanup(srv.Close)
	return srv, alerts
}

// get serves one GET through the whole handler.
func get(srv *Server, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

// FuzzAlertsQuery feeds any query string to GET /api/v1/alerts.
// Properties: no panic and never a 500; a refusal is 400 with a JSON error
// naming the query parameter at fault; an answer is the alerts that match
// the filter, at most limit of them — the filter the server read is the
// one the query says.
func FuzzAlertsQuery(f *testing.F) {
	srv, _ := fuzzEnv(f)
	for _, q := range []string{"", "priority=high", "type=deal_stall&limit=1", "limit=1000", "limit=0", "limit=1001", "limit=-1",
		"limit=1e3", "limit=%20%201", "priority=HIGH", "priority=high&priority=low", "type=health_drop%00", "priority=%ff",
		"limit=99999999999999999999", "%zz", "type=", "a=b;c=d", "priority=critical&type=sync_fail&limit=2"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/alerts", nil)
		req.URL.RawQuery = rawQuery // as it arrives, whatever it holds
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		q, _ := url.ParseQuery(rawQuery)
		if rec.Code == http.StatusBadRequest {
			var body errorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			require.Contains(t, body.Error, "query parameter ", "the error names the parameter")
			return
		}
		require.Equal(t, http.StatusOK, rec.Code, "query %q: %s", rawQuery, rec.Body.String())
		var got []proactive.Alert
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		limit := DefaultAlertLimit
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			require.NoError(t, err, "an answer to limit %q", l)
			limit = n
		}
		require.LessOrEqual(t, len(got), limit)
		for _, a := range got {
			if p := q.Get("priority"); p != "" {
				require.Equal(t, p, string(a.Priority))
			}
			if ty := q.Get("type"); ty != "" {
				// A type is read trimmed ("deal_stall " is deal_stall), as
				// everywhere a type is typed.
				require.Equal(t, strings.TrimSpace(ty), string(a.AffectedEntities.Type))
			}
		}
		if q.Get("priority") == "" && q.Get("type") == "" && limit >= 4 {
			require.Len(t, got, 4, "no filter: every alert")
		}
	})
}

// FuzzAlertPathID feeds any text as the {id} of GET /api/v1/alerts/{id}
// and POST …/dismiss. Properties: no panic and never a 500; a malformed id
// is 400 and an unknown one 404, each with a JSON error; a stored alert's
// id answers that alert.
func FuzzAlertPathID(f *testing.F) {
	srv, alerts := fuzzEnv(f)
	for _, a := range alerts {
		f.Add(a.ID)
	}
	for _, s := range []string{"", "x", "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10", "42", "a/b", "..", "%2e%2e", "%00", strings.Repeat("a", 200), "ünïcode"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		path := "/api/v1/alerts/" + url.PathEscape(id)
		rec := get(srv, path)
		dismiss := httptest.NewRecorder()
		srv.Handler().ServeHTTP(dismiss, httptest.NewRequest(http.MethodPost, path+"/dismiss", nil))
		for _, r := range []*httptest.ResponseRecorder{rec, dismiss} {
			require.Contains(t, []int{http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed}, r.Code,
				"id %q: %d %s", id, r.Code, r.Body.String())
			require.Equal(t, "application/json; charset=utf-8", r.Header().Get("Content-Type"), "id %q", id)
		}
		if rec.Code == http.StatusOK {
			var a proactive.Alert
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a))
			require.Equal(t, id, a.ID)
		}
		for _, a := range alerts {
			if a.ID == id {
				require.Equal(t, http.StatusOK, rec.Code)
				require.Equal(t, http.StatusOK, dismiss.Code)
			}
		}
	})
}

// FuzzCaseRef feeds any text as the {id} of GET /api/v1/cases/{id} and
// of a comment on it, and any text as the body of a snooze. Properties:
// no panic and never a 500; every answer is JSON; a refusal is 400 or 404
// (never 409: the cases are open), and an answer is the case the
// reference names.
func FuzzCaseRef(f *testing.F) {
	st := MustStore(f)
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	c := proactive.Case{ID: "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10", Type: proactive.HealthDrop, Key: "health_drop:jane@example.com",
		Label: "Jane (jane@example.com)", State: proactive.CaseOpen, Severity: proactive.SeverityHigh, PeakSeverity: proactive.SeverityHigh,
		Urgency: 70, OpenedAt: now, LastSeenAt: now}
	require.NoError(f, st.Update(f.Context(), func(tx proactive.DeskTx) error { return tx.InsertCases(f.Context(), []proactive.Case{c}) }))
	srv, err := New(Options{Store: st, Scans: scan.NewGuard(newBlockingScan().scan, scan.GuardOptions{}), Now: func() time.Time { return now }})
	require.NoError(f, err)
	f.Cleanup(srv.Close)
	for _, s := range []string{c.ID, c.ID[:6], c.Key, "jane@example.com", "", "x", "3f2c8a", "health_drop:", ":", "a/b", "..", "%00", strings.Repeat("a", 600), "ünïcode"} {
		f.Add(s, `{"for": "1d"}`)
	}
	f.Add(c.ID, `{"until": "2025-12-11"}`)
	f.Add(c.ID, `{"until": 1}`)
	f.Add(c.ID, `[]`)
	f.Fuzz(func(t *testing.T, ref, body string) {
		path := "/api/v1/cases/" + url.PathEscape(ref)
		rec := get(srv, path)
		comment := httptest.NewRecorder()
		srv.Handler().ServeHTTP(comment, httptest.NewRequest(http.MethodPost, path+"/comment", strings.NewReader(`{"note": "n"}`)))
		snooze := httptest.NewRecorder()
		srv.Handler().ServeHTTP(snooze, httptest.NewRequest(http.MethodPost, "/api/v1/cases/"+c.ID+"/snooze", strings.NewReader(body)))
		for _, r := range []*httptest.ResponseRecorder{rec, comment, snooze} {
			require.Contains(t, []int{http.StatusOK, http.StatusBadRequest, http.StatusNotFound}, r.Code, "ref %q body %q: %d %s", ref, body, r.Code, r.Body.String())
			require.Equal(t, "application/json; charset=utf-8", r.Header().Get("Content-Type"), "ref %q", ref)
		}
		if rec.Code == http.StatusOK {
			var got struct {
				ID string `json:"id"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			require.Equal(t, c.ID, got.ID, "ref %q", ref)
		}
	})
}
