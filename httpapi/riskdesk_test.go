package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

func TestCompareCasesTieBreak(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return deskNow.Add(time.Duration(-h) * time.Hour) }
	c := func(key string, urgency int, metric float64, opened time.Time) proactive.Case {
		return proactive.Case{Key: key, Urgency: urgency, Metric: metric, OpenedAt: opened}
	}
	fc := func(key string, urgency int, days float64) proactive.Case {
		return proactive.Case{Type: proactive.HealthForecast, Key: key, Urgency: urgency, Metric: days, OpenedAt: at(1)}
	}
	reg := rules.Registry()
	for _, tc := range []struct {
		name  string
		cases []proactive.Case
		want  []string
	}{
		{"urgency first", []proactive.Case{c("a", 80, 40, at(1)), c("b", 95, 12, at(1))}, []string{"b", "a"}},
		{"the larger drop breaks a tie, not the name", []proactive.Case{
			c("health_drop:ava@example.com", 100, 28, at(1)), c("health_drop:zoe@example.com", 100, 37.8, at(1))},
			[]string{"health_drop:zoe@example.com", "health_drop:ava@example.com"}},
		{"the longer stall", []proactive.Case{c("deal_stall:deal-1", 90, 35, at(1)), c("deal_stall:deal-2", 90, 61, at(1))},
			[]string{"deal_stall:deal-2", "deal_stall:deal-1"}},
		{"the same magnitude: the older case", []proactive.Case{c("x", 90, 6, at(1)), c("y", 90, 6, at(5))}, []string{"y", "x"}},
		{"all equal: by key", []proactive.Case{c("b", 90, 6, at(1)), c("a", 90, 6, at(1))}, []string{"a", "b"}},
		{"days to RED: the fewer first", []proactive.Case{
			fc("health_forecast:ann@example.com", 90, 6.5), fc("health_forecast:bo@example.com", 90, 2.5)},
			[]string{"health_forecast:bo@example.com", "health_forecast:ann@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := slices.Clone(tc.cases)
			slices.SortFunc(cs, func(a, b proactive.Case) int { return compareCases(reg, &a, &b) })
			var got []string
			for _, x := range cs {
				got = append(got, x.Key)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// rowKeys lists the case keys of a rendered risk list, in order.
func rowKeys(html string) []string {
	re := regexp.MustCompile(`<tr class="case[^"]*" id="case-[^"]+" data-id="[^"]+" data-key="([^"]+)"`)
	out := []string{}
	for _, m := range re.FindAllStringSubmatch(html, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestRiskListPage(t *testing.T) {
	t.Parallel()
	for _, ds := range deskStores() {
		t.Run(ds.name, func(t *testing.T) {
			t.Parallel()
			e := newDeskEnv(t, ds.open(t))
			get := func(path string) (int, string) {
				resp := e.call(http.MethodGet, path, "")
				return resp.StatusCode, readAll(t, resp)
			}
			code, html := get("/")
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, []string{"health_drop:jane@example.com", "health_drop:bob@example.com", "deal_stall:deal-1", "response_delay:lead-10"},
				rowKeys(html), "grouped by type in report order, most urgent first")
			for _, s := range []string{`<h3 id="g-health_drop">Health drop <span class="count">(2)</span></h3>`,
				`<h3 id="g-deal_stall">Deal stall`, `<h3 id="g-response_delay">Response delay`,
				`data-severity="critical">3</span>`, `data-severity="high">1</span>`, `<span id="case-total">4</span>`,
				`href="/clients/jane@example.com"`, `$5,000`, `svg class="spark"`, `aria-label="Acknowledge jane Doe (jane@example.com)"`,
				`href="/api/v1/cases?format=csv"`, `aria-current="page">Risk list`} {
				require.Contains(t, html, s)
			}
			require.NotContains(t, html, `id="g-sync_fail"`, "no empty groups")

			for _, tc := range []struct {
				query string
				want  []string
				also  string
			}{
				{"?priority=high", []string{"health_drop:bob@example.com"}, `<option value="high" selected>High</option>`},
				{"?type=deal_stall", []string{"deal_stall:deal-1"}, `href="/api/v1/cases?format=csv&amp;type=deal_stall"`},
				{"?search=JANE", []string{"health_drop:jane@example.com"}, `value="JANE"`},
				{"?state=acknowledged", []string{}, "No cases match these filters."},
				{"?owner=nobody", []string{}, `<option value="nobody" selected>nobody</option>`},
				{"?state=all&type=response_delay", []string{"response_delay:lead-10"}, ""},
			} {
				code, page := get("/" + tc.query)
				require.Equal(t, http.StatusOK, code, tc.query)
				require.Equal(t, tc.want, rowKeys(page), tc.query)
				require.Contains(t, page, tc.also, tc.query)
				require.NotContains(t, page, "all clear", tc.query)
			}
			code, frag := get("/ui/risk?search=bob")
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, []string{"health_drop:bob@example.com"}, rowKeys(frag))
			require.NotContains(t, frag, "<html", "a fragment, not a page")

			for q, want := range map[string]string{
				"?state=closed": "state", "?priority=urgent": "priority", "?type=nope": "type", "?search=a&search=b": "search",
			} {
				code, page := get("/" + q)
				require.Equal(t, http.StatusBadRequest, code, q)
				require.Contains(t, page, "query parameter "+want, q)
			}

			// Acknowledged: still listed (unresolved), its state says so; the
			// Acknowledged filter has it.
			require.Equal(t, http.StatusOK, e.call(http.MethodPost, "/api/v1/cases/health_drop:jane@example.com/ack", "").StatusCode)
			_, page := get("/?state=acknowledged")
			require.Equal(t, []string{"health_drop:jane@example.com"}, rowKeys(page))
			require.Regexp(t, `<td data-label="State" class="state">Acknowledged</td>`, page)
			require.Contains(t, page, `data-act="ack" disabled`)
		})
	}
}

func TestClientPage(t *testing.T) {
	t.Parallel()
	e := newDeskEnv(t, MustStore(t))
	resp := e.call(http.MethodGet, "/clients/"+url.PathEscape("Jane@Example.com"), "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	html := readAll(t, resp)
	require.Equal(t, 2, strings.Count(html, `<circle class="pt`), "one point per reading")
	require.Equal(t, 1, strings.Count(html, `<circle class="pt drop"`), "the 30-point drop is marked")
	for _, s := range []string{`<h1>jane Doe <span class="muted email">jane@example.com</span></h1>`, `id="health-chart"`,
		`<title>RED zone</title>`, `<title>YELLOW zone</title>`, `<title>GREEN zone</title>`, `dropped 30 points`,
		`Open cases <span class="count">(1)</span>`, `<strong>opened</strong> by ptd-proactive`, `Past cases <span class="count">(0)</span>`,
		`data-act="ack"`, `data-silence="14d"`} {
		require.Contains(t, html, s)
	}

	resp = e.call(http.MethodGet, "/clients/sarah@example.com", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	html = readAll(t, resp)
	require.Contains(t, html, "No health readings for this client.")
	require.Contains(t, html, "Sarah", "the lead")
	require.Contains(t, html, `<td>New</td><td>Web</td>`, "values formatted, not raw")

	resp = e.call(http.MethodGet, "/clients/nobody@example.com", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, readAll(t, resp), `class="error" role="alert"`)
	resp = e.call(http.MethodGet, "/clients/not-an-email", "")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, readAll(t, resp), "is not an email")
}

func TestAlertsPageAffectedListAndHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	now := e.now()
	a := proactive.Alert{
		InsightType: proactive.InsightType, Priority: proactive.SeverityCritical, Title: "3 Clients: Health Scores Dropping",
		Content: "PRIMARY ALERT", Summary: "3 clients",
		ActionItems: []proactive.ActionItem{{Action: "Call today", Priority: proactive.SeverityCritical, UrgencyScore: 100},
			{Action: "Call this week", Priority: proactive.SeverityHigh, UrgencyScore: 90}},
		AffectedEntities: proactive.AffectedEntities{Type: proactive.HealthDrop, Count: 60,
			Entities: []string{"Zoe (zoe@example.com)", "Ava (ava@example.com)"}, UrgencyScore: 100},
		SourceAgent: proactive.SourceAgent,
		SourceData: map[string]any{"revenue_at_risk": 12345.5, "related": []any{
			map[string]any{"entity": "Ava (ava@example.com)", "severity": "high", "urgency": 90.0},
			map[string]any{"entity": "Bo <b>", "severity": "medium", "urgency": 70.0},
		}},
		DedupKey: "health_drop_x_" + now.Format(time.DateOnly), CreatedAt: now.Add(-time.Minute),
	}
	res, err := storetest.SaveAlert(t.Context(), e.store, a, a.CreatedAt, "scan")
	require.NoError(t, err)
	require.NoError(t, e.store.RecordScan(t.Context(), proactive.ScanRun{StartedAt: now.Add(-time.Hour), DurationMS: 120, Success: true, Trigger: "schedule", Anomalies: 4}))
	require.NoError(t, e.store.RecordScan(t.Context(), proactive.ScanRun{StartedAt: now.Add(-time.Minute), DurationMS: 300, Success: false, Trigger: "cli"}))

	html := readAll(t, e.call(http.MethodGet, "/alerts", ""))
	for _, s := range []string{
		`<strong class="entity">Zoe (zoe@example.com):</strong> Call today`, `<strong class="entity">Ava (ava@example.com):</strong> Call this week`,
		`<td>Ava (ava@example.com)</td>`, `<td>Bo &lt;b&gt;</td>`, `Affected (2 listed of 60)`, `58 more are on the risk list`,
		`$12,346 at risk`, `Dismissing acknowledges its open cases.`, `id="scan-chart"`, `The last 2 scans`,
		`<rect class="bar failed"`, `href="/api/v1/alerts?format=csv"`,
	} {
		require.Contains(t, html, s)
	}
	require.Equal(t, 2, strings.Count(html, `<rect class="bar`))
	require.Contains(t, readAll(t, e.call(http.MethodGet, "/alerts?view=history", "")), "No dismissed, resolved or expired alerts.")

	require.Equal(t, http.StatusOK, e.call(http.MethodPost, "/api/v1/alerts/"+res.ID+"/dismiss", "").StatusCode)
	require.NotContains(t, readAll(t, e.call(http.MethodGet, "/alerts", "")), a.Title)
	hist := readAll(t, e.call(http.MethodGet, "/alerts?view=history", ""))
	require.Equal(t, []string{a.Title}, cardTitles(hist))
	require.Contains(t, hist, `<span class="badge state">Dismissed</span>`)
	require.NotContains(t, hist, `data-dismiss=`, "no dismiss in the history")
	resp := e.call(http.MethodGet, "/alerts?view=old", "")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, readAll(t, resp), "use active or history")
}

func TestSilencesAndNotificationsPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	now := e.now()
	resp := e.call(http.MethodPost, "/api/v1/silences", `{"match":"jane@example.com","type":"health_drop","for":"14d","reason":"renewal call booked"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	html := readAll(t, e.call(http.MethodGet, "/silences", ""))
	for _, s := range []string{`<code>jane@example.com</code>`, `<td data-label="Type">Health drop</td>`, `Active, 13 days left`,
		`renewal call booked`, `data-expire=`, `<label for="s-match">Pattern</label>`} {
		require.Contains(t, html, s)
	}
	require.NotContains(t, readAll(t, e.call(http.MethodGet, "/silences", "")), "No silences")

	a := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityCritical, proactive.SyncFail, 95, "HubSpot down", time.Minute, 5})
	_, err := storetest.SaveAlert(t.Context(), e.store, proactive.Alert{
		InsightType: proactive.InsightType, Priority: proactive.SeverityHigh, Title: "Leads waiting",
		AffectedEntities: proactive.AffectedEntities{Type: proactive.ResponseDelay, Count: 2, UrgencyScore: 80},
		SourceAgent:      proactive.SourceAgent, DedupKey: "response_delay_x_" + now.Format(time.DateOnly), CreatedAt: now,
	}, now, "scan-1", proactive.ChannelSlack, proactive.ChannelWebhook)
	require.NoError(t, err)
	require.NotEmpty(t, a.ID)
	claimed, err := e.store.ClaimNotifications(t.Context(), proactive.ClaimParams{Now: now, Limit: 10, Lease: time.Minute, Channel: proactive.ChannelWebhook})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NoError(t, e.store.FailNotification(t.Context(), claimed[0].ID, claimed[0].Attempts, "webhook answered 400 Bad Request", nil))

	html = readAll(t, e.call(http.MethodGet, "/notifications", ""))
	require.Contains(t, html, `(2, 1 failed)`)
	require.Equal(t, 1, strings.Count(html, `data-retry=`), "a retry button on the failed one only")
	require.Contains(t, html, `data-retry="`+claimed[0].ID+`"`)
	require.Contains(t, html, "webhook answered 400 Bad Request")
	html = readAll(t, e.call(http.MethodGet, "/notifications?status=failed", ""))
	require.Contains(t, html, `(1, 1 failed)`)
	resp = e.call(http.MethodGet, "/notifications?status=lost", "")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, readAll(t, resp), "use pending, sending, delivered or failed")
}

func TestPagesNeedTheTokenAndTheFaviconDoesNot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	for _, p := range []string{"/", "/alerts", "/silences", "/notifications", "/clients/jane@example.com"} {
		resp := e.do(request{method: http.MethodGet, path: p})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, p)
		require.Equal(t, "/login", resp.Header.Get("Location"), p)
	}
	resp := e.do(request{method: http.MethodGet, path: "/favicon.ico"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "image/svg+xml", resp.Header.Get("Content-Type"))
	require.Contains(t, readAll(t, resp), "<svg")
}

func TestCharts(t *testing.T) {
	t.Parallel()
	require.Empty(t, sparkline(nil, "x"))
	s := string(sparkline([]float64{80, 82, 50}, `A <b> "B"`))
	require.Contains(t, s, `aria-label="Health of A &lt;b&gt; &#34;B&#34;: 80 to 50 over 3 readings"`)
	require.Contains(t, s, `class="end down"`)

	score := func(x float64) *float64 { return &x }
	at := func(d int) time.Time { return deskNow.AddDate(0, 0, d) }
	require.Empty(t, healthChart([]proactive.ClientReading{{Score: nil, CalculatedAt: at(0)}}, 10))
	c := string(healthChart([]proactive.ClientReading{
		{Score: score(80), CalculatedAt: at(-3), Zone: "GREEN"}, {Score: nil, CalculatedAt: at(-2)},
		{Score: score(71), CalculatedAt: at(-1)}, {Score: score(60), CalculatedAt: at(0), Zone: "YELLOW"},
	}, 10))
	require.Equal(t, 3, strings.Count(c, "<circle "), "one point per reading with a score")
	require.Equal(t, 1, strings.Count(c, `class="pt drop"`), "71 → 60 is a drop of 10 or more; 80 → 71 is not")
	require.Contains(t, c, "3 readings from 2025-12-07 to 2025-12-10: 80 to 60")

	require.Empty(t, scanChart(nil))
	runs := []proactive.ScanRun{{StartedAt: at(0), DurationMS: 40, Success: true, Anomalies: 3}, {StartedAt: at(-1), DurationMS: 80, Success: false}}
	sc := string(scanChart(runs))
	require.Equal(t, 2, strings.Count(sc, "<rect "))
	require.Less(t, strings.Index(sc, "2025-12-09"), strings.Index(sc, "2025-12-10"), "oldest on the left")

	for x, want := range map[float64]string{5: "$5", 12.5: "$12.50", 5000: "$5,000", 1234567.4: "$1,234,567"} {
		require.Equal(t, want, money(x))
	}
}

func TestRiskGroupShowsTheMostUrgentRows(t *testing.T) {
	t.Parallel()
	var rows []caseRow
	for i := range riskGroupRows + 5 {
		rows = append(rows, caseRow{CaseView: proactive.CaseView{Case: proactive.Case{
			Key: "sync_fail:s" + strings.Repeat("x", i%3) + string(rune('a'+i%26)), Urgency: i % 100, Metric: float64(i)}}})
	}
	g := newCaseGroup(rules.Registry(), proactive.SyncFail, "Sync failure", rows)
	require.Equal(t, riskGroupRows+5, g.Total)
	require.Equal(t, 5, g.Hidden)
	require.Len(t, g.Rows, riskGroupRows)
	require.Equal(t, 99, g.Rows[0].Urgency)
	require.Equal(t, float64(99), g.Rows[0].Metric, "urgency 99 twice: the larger figure first")
	require.Equal(t, 2, g.Rows[len(g.Rows)-1].Urgency, "urgencies 99 to 5, 4, 4, 3, 3, 2 shown; 2, 1, 1, 0, 0 left out")
}

// historyFailStore fails ClientHistory with err.
type historyFailStore struct {
	proactive.Store
	err error
}

func (f historyFailStore) ClientHistory(context.Context, string) (proactive.ClientHistory, error) {
	return proactive.ClientHistory{}, f.err
}

func TestClientPageErrorShowsNoDriverDetail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{store: historyFailStore{Store: MustStore(t),
		err: errors.New(`failed to connect to host=10.9.8.7 user=ptd_admin database=crm`)}})
	resp := e.do(request{method: http.MethodGet, path: "/clients/jane@example.com"})
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	html := readAll(t, resp)
	require.Contains(t, html, "internal error: see the server log")
	require.NotContains(t, html, "10.9.8.7")
}
