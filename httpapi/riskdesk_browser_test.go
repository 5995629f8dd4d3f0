package httpapi

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/demo"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// newDemoDeskEnv fills st with the sample data leading up to deskNow,
// scans it, and serves it at deskNow with a token; the server's scans are
// real scans at deskNow.
func newDemoDeskEnv(t *testing.T, st proactive.Store) *testEnv {
	t.Helper()
	require.NoError(t, demo.Load(t.Context(), st, demo.Generate(demo.Options{Now: deskNow, Clients: 40, Seed: 1})))
	sc, err := scan.New(scan.Options{Store: st})
	require.NoError(t, err)
	// Scans on the two days before, as a schedule would have run them, so
	// that cases have been open a while; then one now.
	for _, at := range []time.Time{deskNow.Add(-49 * time.Hour), deskNow.Add(-25 * time.Hour), deskNow} {
		_, err := sc.Run(t.Context(), scan.Params{Now: at, Trigger: "schedule"})
		require.NoError(t, err)
	}
	e := newEnv(t, envOptions{tokens: []string{newToken}, store: st, now: func() time.Time { return deskNow },
		pollInterval: 300 * time.Millisecond,
		scan: func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
			return sc.Run(ctx, scan.Params{Now: deskNow, Trigger: trigger})
		}})
	// A manager has handed out a few cases.
	cs := jsonOf[[]apiCase](t, e.call(http.MethodGet, "/api/v1/cases", ""), http.StatusOK)
	require.NotEmpty(t, cs)
	owners := []string{"Maria Lopez", "Sam Okafor", "Maria Lopez"}
	for i, c := range cs[:min(len(cs), len(owners))] {
		require.Equal(t, http.StatusOK, e.call(http.MethodPost, "/api/v1/cases/"+c.ID+"/assign", `{"owner":"`+owners[i]+`","by":"lead"}`).StatusCode)
	}
	return e
}

// jsRowKeys lists the case keys of the risk list, in order.
const jsRowKeys = `Array.from(document.querySelectorAll("#live tr.case")).map(r => r.dataset.key)`

// evalAsync evaluates a JavaScript expression that returns a promise.
func evalAsync[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(t, err, expr)
	return v
}

// setInput types a value the way a user does: the input changes and
// fires input and change events.
func setInput(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("input", {bubbles: true})); s.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, value))
}

// click waits for an element and clicks it in one evaluation, so that a
// live refresh swapping the list in between cannot leave the click on a
// node that is gone.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	waitFor(t, ctx, sel, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el || el.disabled) return false; el.click(); return true; })()`, sel))
}

// toast waits for the toast to say text and returns all it says.
func toast(t *testing.T, ctx context.Context, text string) string {
	t.Helper()
	waitFor(t, ctx, "the toast: "+text, fmt.Sprintf(`document.getElementById("notice").textContent.includes(%q)`, text))
	return eval[string](t, ctx, `document.getElementById("notice").textContent`)
}

// noSideways asserts that the page does not scroll sideways.
func noSideways(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	sw := eval[int](t, ctx, `document.scrollingElement.scrollWidth`)
	iw := eval[int](t, ctx, `window.innerWidth`)
	require.LessOrEqual(t, sw, iw, "%s scrolls sideways", what)
}

// keepScreenshot saves the viewport as docs/<name> when
// PTD_UPDATE_SCREENSHOTS is set (the README shows them).
func keepScreenshot(t *testing.T, ctx context.Context, store, name string) {
	t.Helper()
	if os.Getenv("PTD_UPDATE_SCREENSHOTS") == "" || store != "sqlite" {
		return
	}
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("..", "docs", name), png, 0o644))
	t.Logf("saved docs/%s", name)
}

// TestRiskDeskInBrowser works the risk desk as a customer-success manager
// would, in Chromium, on both stores: the list, search, acknowledge (and
// the next scan not alerting it again), snooze and its undo, a refused
// past date, the client page's chart, the CSV export, a phone's width.
// With PTD_UPDATE_SCREENSHOTS=1 it saves the README's screenshots,
// docs/dashboard.png and docs/dashboard-phone.png.
func TestRiskDeskInBrowser(t *testing.T) {
	for _, ds := range deskStores() {
		t.Run(ds.name, func(t *testing.T) {
			ctx := mustBrowser(t)
			e := newDemoDeskEnv(t, ds.open(t))
			open := jsonOf[[]apiCase](t, e.call(http.MethodGet, "/api/v1/cases", ""), http.StatusOK)
			require.NotEmpty(t, open)

			in(t, ctx,
				chromedp.EmulateViewport(1400, 1000),
				chromedp.Navigate(e.ts.URL+"/"),
				chromedp.WaitVisible(chromedp.CSS(`#token`)),
				chromedp.SendKeys(chromedp.CSS(`#token`), newToken),
				chromedp.Click(chromedp.CSS(`button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#risks`)),
			)
			settled(t, ctx)

			var jane, bob string // two health-drop clients: the most urgent and the next
			t.Run("the risk list shows every unresolved case, grouped by type, most urgent first", func(t *testing.T) {
				keys := eval[[]string](t, ctx, jsRowKeys)
				want := make([]string, 0, len(open))
				for _, c := range open {
					want = append(want, c.Key)
				}
				require.ElementsMatch(t, want, keys)
				require.Equal(t, fmt.Sprint(len(open)), eval[string](t, ctx, `document.getElementById("case-total").textContent`))
				groups := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#live section.group h3")).map(h => h.firstChild.textContent.trim())`)
				require.Contains(t, groups, "Health drop")
				for _, g := range groups {
					require.NotContains(t, g, "_", "a check's label, not its type")
				}
				type row struct {
					Key     string
					Urgency int
					Mag     float64
				}
				rows := eval[[]row](t, ctx, `Array.from(document.querySelectorAll('#live section.group[data-type="health_drop"] tr.case')).map(r => ({
					Key: r.dataset.key, Urgency: Number(r.querySelector(".urg").textContent), Mag: parseFloat(r.querySelector('[data-label="Magnitude"]').textContent)}))`)
				require.GreaterOrEqual(t, len(rows), 2)
				require.Positive(t, rows[0].Mag, "the magnitude shows its figure and unit: %+v", rows[0])
				for i := 1; i < len(rows); i++ {
					a, b := rows[i-1], rows[i]
					require.True(t, a.Urgency > b.Urgency || a.Urgency == b.Urgency && a.Mag >= b.Mag,
						"urgency, then the larger drop first: %+v before %+v", a, b)
				}
				jane, bob = strings.TrimPrefix(rows[0].Key, "health_drop:"), strings.TrimPrefix(rows[1].Key, "health_drop:")
				require.True(t, eval[bool](t, ctx, fmt.Sprintf(`document.querySelector('tr[data-key="health_drop:%s"] svg.spark') !== null`, jane)), "a sparkline")
				require.True(t, eval[bool](t, ctx, `Array.from(document.querySelectorAll("select, input")).every(el => el.labels && el.labels.length > 0)`), "every field has a label")
				keepScreenshot(t, ctx, ds.name, "dashboard.png")
			})

			t.Run("search narrows the list", func(t *testing.T) {
				setInput(t, ctx, "#f-search", jane)
				waitFor(t, ctx, "only "+jane, fmt.Sprintf(`%s.length > 0 && %s.every(k => k.includes(%q))`, jsRowKeys, jsRowKeys, jane))
				require.Contains(t, eval[string](t, ctx, `location.search`), "search="+url.QueryEscape(jane))
				setInput(t, ctx, "#f-search", "")
				waitFor(t, ctx, "every case again", fmt.Sprintf(`%s.length === %d`, jsRowKeys, len(open)))
			})

			row := func(email string) string { return fmt.Sprintf(`tr[data-key="health_drop:%s"]`, email) }
			t.Run("acknowledge: the row moves to Acknowledged and the next scan does not alert it again", func(t *testing.T) {
				click(t, ctx, row(jane)+` button[data-act="ack"]`)
				waitFor(t, ctx, "the row acknowledged", fmt.Sprintf(`document.querySelector(%q).dataset.state === "acknowledged"`, row(jane)))
				require.Equal(t, "Acknowledged", eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).querySelector("td.state").textContent.trim()`, row(jane))))
				said := toast(t, ctx, "Acknowledged: ")
				require.Contains(t, said, "No undo", "the toast says there is no inverse rather than faking one")

				setFilter(t, ctx, "f-state", "acknowledged")
				waitFor(t, ctx, "the Acknowledged list", fmt.Sprintf(`JSON.stringify(%s) === %q`, jsRowKeys, `["health_drop:`+jane+`"]`))
				setFilter(t, ctx, "f-state", "open")
				waitFor(t, ctx, "the open list without it", fmt.Sprintf(`%s.length > 0 && !%s.includes(%q)`, jsRowKeys, jsRowKeys, "health_drop:"+jane))
				setFilter(t, ctx, "f-state", "")
				waitFor(t, ctx, "every case again", fmt.Sprintf(`%s.length === %d`, jsRowKeys, len(open)))

				var res struct {
					AlertsSaved int                  `json:"alerts_saved"`
					Suppressed  proactive.Suppressed `json:"suppressed"`
				}
				resp := e.call(http.MethodPost, "/api/v1/scan", `{"trigger":"test"}`)
				require.Equal(t, http.StatusOK, resp.StatusCode)
				decodeJSON(t, resp, &res)
				require.Equal(t, 1, res.Suppressed.Acknowledged, "the acknowledged client's anomaly is kept out of alerts")
				require.Zero(t, res.AlertsSaved, "no alert written again")
				c := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/"+url.PathEscape("health_drop:"+jane), ""), http.StatusOK)
				require.Equal(t, "acknowledged", c.State)
			})

			t.Run("snooze for a day, then undo: acknowledged again", func(t *testing.T) {
				click(t, ctx, row(jane)+` details.more summary`)
				click(t, ctx, row(jane)+` button[data-act="snooze"][data-for="1d"]`)
				require.Contains(t, toast(t, ctx, "Snoozed until"), "2025-12-11 12:00 UTC")
				waitFor(t, ctx, "the row snoozed", fmt.Sprintf(`document.querySelector(%q).dataset.state === "snoozed"`, row(jane)))
				click(t, ctx, `#notice button.undo`)
				toast(t, ctx, "Acknowledged again")
				waitFor(t, ctx, "the row acknowledged again", fmt.Sprintf(`document.querySelector(%q).dataset.state === "acknowledged"`, row(jane)))
			})

			t.Run("snoozing until a past date is refused", func(t *testing.T) {
				if !eval[bool](t, ctx, fmt.Sprintf(`document.querySelector(%q).open`, row(bob)+` details.more`)) {
					click(t, ctx, row(bob)+` details.more summary`)
				}
				// Typed and sent in one go; a live refresh keeps typed values
				// anyway (checked below).
				eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const r = document.querySelector(%q); r.querySelector("input.snooze-date").value = "2025-12-01"; r.querySelector('button[data-act="snooze-date"]').click(); })()`, row(bob)))
				said := toast(t, ctx, "Could not snooze")
				require.Contains(t, said, "not after now")
				c := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/"+url.PathEscape("health_drop:"+bob), ""), http.StatusOK)
				require.Equal(t, "open", c.State)
				require.Nil(t, c.SnoozedUntil)

				// A live refresh keeps what is typed and the focus.
				setInput(t, ctx, row(bob)+` input.assign-owner`, "Priya")
				eval[chromedp.Void](t, ctx, fmt.Sprintf(`document.querySelector(%q).focus()`, row(bob)+` input.assign-owner`))
				before := eval[string](t, ctx, `document.getElementById("live").dataset.refreshed || ""`)
				eval[bool](t, ctx, `document.getElementById("filters").dispatchEvent(new Event("change"))`)
				waitFor(t, ctx, "a refresh", fmt.Sprintf(`(document.getElementById("live").dataset.refreshed || "") !== %q`, before))
				require.Equal(t, "Priya", eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).value`, row(bob)+` input.assign-owner`)))
				require.True(t, eval[bool](t, ctx, `document.activeElement.classList.contains("assign-owner")`), "the focus stays in the field")
				click(t, ctx, row(bob)+` button[data-act="assign"]`)
				toast(t, ctx, "Assigned to Priya")
				c = jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/"+url.PathEscape("health_drop:"+bob), ""), http.StatusOK)
				require.Equal(t, "Priya", *c.Owner)
			})

			t.Run("the CSV export parses and holds every open case", func(t *testing.T) {
				body := evalAsync[string](t, ctx, `fetch(document.getElementById("export-cases").href, {credentials: "same-origin"}).then(r => r.text())`)
				recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
				require.NoError(t, err)
				require.Equal(t, "id", recs[0][0])
				col := slices.Index(recs[0], "key")
				require.GreaterOrEqual(t, col, 0)
				var keys []string
				for _, r := range recs[1:] {
					keys = append(keys, r[col])
				}
				unresolved := jsonOf[[]apiCase](t, e.call(http.MethodGet, "/api/v1/cases", ""), http.StatusOK)
				want := make([]string, 0, len(unresolved))
				for _, c := range unresolved {
					want = append(want, c.Key)
				}
				require.ElementsMatch(t, want, keys)
			})

			t.Run("the client page charts one point per reading", func(t *testing.T) {
				var client struct {
					Readings []struct {
						Score *float64 `json:"health_score"`
					} `json:"readings"`
				}
				resp := e.call(http.MethodGet, "/api/v1/clients/"+url.PathEscape(jane), "")
				require.Equal(t, http.StatusOK, resp.StatusCode)
				decodeJSON(t, resp, &client)
				n := 0
				for _, r := range client.Readings {
					if r.Score != nil {
						n++
					}
				}
				require.Positive(t, n)
				click(t, ctx, row(jane)+` a.label`)
				in(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#health-chart`)))
				require.Equal(t, "/clients/"+jane, eval[string](t, ctx, `decodeURIComponent(location.pathname)`))
				require.Equal(t, n, eval[int](t, ctx, `document.querySelectorAll("#health-chart circle.pt").length`))
				require.Positive(t, eval[int](t, ctx, `document.querySelectorAll("#health-chart circle.drop").length`), "the drop is marked")
				require.Equal(t, 3, eval[int](t, ctx, `document.querySelectorAll("#health-chart rect[class^=zone]").length`), "three zone bands")
				require.Contains(t, eval[string](t, ctx, `document.getElementById("open-cases").textContent`), "Acknowledged")
				noSideways(t, ctx, "the client page")
			})

			t.Run("a phone: no sideways scrolling", func(t *testing.T) {
				in(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
				for _, p := range []string{"/", "/alerts", "/alerts?view=history", "/silences", "/notifications", "/clients/" + url.PathEscape(jane)} {
					in(t, ctx, chromedp.Navigate(e.ts.URL+p), chromedp.WaitVisible(chromedp.CSS(`main`)))
					noSideways(t, ctx, p)
				}
				in(t, ctx, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#risks`)))
				settled(t, ctx)
				keepScreenshot(t, ctx, ds.name, "dashboard-phone.png")
				// An opened actions panel fits too.
				click(t, ctx, row(bob)+` details.more summary`)
				noSideways(t, ctx, "the risk list with actions open")
			})
		})
	}
}
