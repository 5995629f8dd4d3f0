package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// chromiumPath is where the browser tests expect Chromium.
const chromiumPath = "/usr/bin/chromium"

// mustBrowser starts headless Chromium for one test, or skips the test
// when Chromium is missing and PTD_REQUIRE_BROWSER is not set.
func mustBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("PTD_REQUIRE_BROWSER") != "" {
			t.Fatalf("PTD_REQUIRE_BROWSER is set but %s is missing: apt-get install -y chromium", chromiumPath)
		}
		t.Skipf("browser test skipped: %s is missing (apt-get install -y chromium; set PTD_REQUIRE_BROWSER=1 to make this a failure)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// Start the browser now, with no deadline on this first run (a deadline
	// would stop the browser itself).
	require.NoError(t, chromedp.Do(ctx))
	return ctx
}

// in runs steps with a timeout.
func in(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(c, steps...))
}

// eval evaluates a JavaScript expression.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}

// waitFor polls a JavaScript predicate until it is true.
func waitFor(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "waiting for %s", what)
}

// settled waits until the page has connected to the event stream and
// swapped in the fragment the "ready" event asks for, so that the next
// step does not race that first refresh.
func settled(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, "live updates", `document.getElementById("live-status").dataset.state === "on" && document.getElementById("live").dataset.refreshed !== undefined`)
}

// jsTitles is the list of alert titles on the page, in order.
const jsTitles = `Array.from(document.querySelectorAll("#live li.alert .title")).map(e => e.textContent)`

// jsHasTitle returns a predicate: an alert with this title is shown.
func jsHasTitle(title string) string {
	return fmt.Sprintf(`%s.includes(%q)`, jsTitles, title)
}

// setFilter chooses a filter value the way a user does: the select
// changes and fires a change event.
func setFilter(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, id, value))
}

// screenshot saves a full-page screenshot in dir (the test's temporary
// directory).
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100)) // quality 100: PNG
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
	// PTD_SCREENSHOT_DIR keeps a copy after the test (a CI artifact, say).
	if keep := os.Getenv("PTD_SCREENSHOT_DIR"); keep != "" {
		require.NoError(t, os.MkdirAll(keep, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(keep, name), png, 0o644))
	}
}

func TestDashboardInBrowser(t *testing.T) {
	ctx := mustBrowser(t)

	// The scan stores one new critical alert per run, as a real scan would.
	var e *testEnv
	var scans atomic.Int32
	e = newEnv(t, envOptions{
		tokens:       []string{oldToken, newToken},
		pollInterval: 300 * time.Millisecond,
		scan: func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
			n := scans.Add(1)
			now := time.Now().UTC()
			title := fmt.Sprintf("Fresh alert %d", n)
			a := proactive.Alert{
				Priority: proactive.SeverityCritical, Title: title, Summary: "new from the scan", Content: "PRIMARY ALERT\n" + title,
				AffectedEntities: proactive.AffectedEntities{Type: proactive.SyncFail, Count: 6, Entities: []string{"HubSpot - rate_limit"}, UrgencyScore: 99},
				DedupKey:         fmt.Sprintf("sync_fail_fresh_%d", n), CreatedAt: now,
			}
			if _, err := storetest.SaveAlert(ctx, e.store, a, now, "scan"); err != nil {
				return proactive.ScanResult{}, err
			}
			res := okResult()
			res.AlertsSaved = 1
			if err := e.store.RecordScan(ctx, proactive.ScanRun{StartedAt: now, DurationMS: 7, Success: true, Trigger: trigger, Anomalies: 6, AlertsSaved: 1}); err != nil {
				return proactive.ScanResult{}, err
			}
			return res, nil
		},
	})
	seeded := seedSet(t, e)
	dir := t.TempDir()

	// Sign in through the form: the dashboard needs the token.
	in(t, ctx,
		chromedp.Navigate(e.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
	)
	require.True(t, strings.HasSuffix(eval[string](t, ctx, `location.pathname`), "/login"))
	require.True(t, eval[bool](t, ctx, `document.getElementById("token").labels.length === 1`), "the token field has a label")
	in(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#token`), "wrong-token"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-error`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), newToken),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#risks`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/alerts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#alerts`)),
	)
	settled(t, ctx)
	require.False(t, eval[bool](t, ctx, `document.cookie.includes("ptd_session")`), "the session cookie is HttpOnly")
	require.Equal(t, "page", eval[string](t, ctx, `document.querySelector('nav a[href="/alerts"]').getAttribute("aria-current")`))

	t.Run("seeded alerts, most urgent first, in their colours", func(t *testing.T) {
		require.Equal(t, titles(seeded), eval[[]string](t, ctx, jsTitles))
		type badge struct {
			Title, Urgency, UrgencyBg, PriorityBg, PriorityFg string
		}
		got := eval[[]badge](t, ctx, `Array.from(document.querySelectorAll("#live li.alert")).map(li => ({
			Title: li.querySelector(".title").textContent,
			Urgency: li.querySelector(".badge.urgency").textContent,
			UrgencyBg: getComputedStyle(li.querySelector(".badge.urgency")).backgroundColor,
			PriorityBg: getComputedStyle(li.querySelector(".badge.priority")).backgroundColor,
			PriorityFg: getComputedStyle(li.querySelector(".badge.priority")).color,
		}))`)
		red, orange, yellow := "rgb(185, 28, 28)", "rgb(194, 65, 12)", "rgb(250, 204, 21)"
		require.Equal(t, []badge{
			{"Yankee critical health", "Urgency 97/100", red, red, "rgb(255, 255, 255)"},
			{"Beta high deal", "Urgency 78/100", orange, orange, "rgb(255, 255, 255)"},
			{"Zulu medium deal", "Urgency 64/100", yellow, yellow, "rgb(31, 35, 40)"},
			{"Alpha medium sync", "Urgency 58/100", yellow, yellow, "rgb(31, 35, 40)"},
			{"Aaron low lead", "Urgency 35/100", yellow, "rgb(71, 85, 105)", "rgb(255, 255, 255)"},
		}, got)
		first := eval[string](t, ctx, `document.querySelector("#live li.alert .meta").textContent`)
		require.Contains(t, first, "5 affected")
		require.Contains(t, first, "2 h ago")
		require.Contains(t, eval[string](t, ctx, `document.getElementById("last-scan").textContent`), "No scan has run yet")
	})

	t.Run("an alert expands to its content and action items", func(t *testing.T) {
		require.False(t, eval[bool](t, ctx, `document.querySelector("#live li.alert details").open`))
		require.False(t, eval[bool](t, ctx, `document.querySelector("#live li.alert div.content").checkVisibility()`))
		in(t, ctx, chromedp.Click(chromedp.CSS(`#live li.alert details summary`)))
		require.True(t, eval[bool](t, ctx, `document.querySelector("#live li.alert details").open`))
		require.True(t, eval[bool](t, ctx, `document.querySelector("#live li.alert div.content").checkVisibility()`))
		require.Contains(t, eval[string](t, ctx, `document.querySelector("#live li.alert details").textContent`), "Act on Yankee critical health")
		// A live refresh of the list keeps it open.
		before := eval[string](t, ctx, `document.getElementById("live").dataset.refreshed || ""`)
		eval[bool](t, ctx, `document.getElementById("filters").dispatchEvent(new Event("change"))`)
		require.Eventually(t, func() bool {
			return eval[string](t, ctx, `document.getElementById("live").dataset.refreshed || ""`) != before
		}, 5*time.Second, 20*time.Millisecond, "the list was not refreshed")
		require.True(t, eval[bool](t, ctx, `document.querySelector("#live li.alert details").open`), "a refresh collapsed the open alert")
		screenshot(t, ctx, dir, "dashboard.png")
	})

	t.Run("accessible: labels, names, keyboard", func(t *testing.T) {
		require.True(t, eval[bool](t, ctx, `Array.from(document.querySelectorAll("select, input")).every(el => el.labels && el.labels.length > 0)`))
		require.True(t, eval[bool](t, ctx, `Array.from(document.querySelectorAll("button")).every(b => (b.getAttribute("aria-label") || b.textContent).trim().length > 0)`))
		require.Equal(t, "en", eval[string](t, ctx, `document.documentElement.lang`))
		// Tab from the top reaches the skip link first, then the pages.
		in(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#alerts`)))
		settled(t, ctx)
		in(t, ctx, chromedp.KeyEvent("\t"))
		require.Equal(t, "Skip to the alerts", eval[string](t, ctx, `document.activeElement.textContent`))
		in(t, ctx, chromedp.KeyEvent("\t"))
		require.Equal(t, "PTD Proactive", eval[string](t, ctx, `document.activeElement.textContent`))
		in(t, ctx, chromedp.KeyEvent("\t"))
		require.Equal(t, "Risk list", eval[string](t, ctx, `document.activeElement.textContent`))
	})

	t.Run("filters by priority and type", func(t *testing.T) {
		setFilter(t, ctx, "f-priority", "medium")
		waitFor(t, ctx, "medium alerts only", fmt.Sprintf(`JSON.stringify(%s) === %q`, jsTitles, `["Zulu medium deal","Alpha medium sync"]`))
		require.Equal(t, "?priority=medium", eval[string](t, ctx, `location.search`))
		setFilter(t, ctx, "f-type", "deal_stall")
		waitFor(t, ctx, "medium deal stalls only", fmt.Sprintf(`JSON.stringify(%s) === %q`, jsTitles, `["Zulu medium deal"]`))
		setFilter(t, ctx, "f-priority", "")
		waitFor(t, ctx, "deal stalls only", fmt.Sprintf(`JSON.stringify(%s) === %q`, jsTitles, `["Beta high deal","Zulu medium deal"]`))
		setFilter(t, ctx, "f-type", "")
		waitFor(t, ctx, "all alerts", fmt.Sprintf(`%s.length === 5`, jsTitles))
		require.Equal(t, "", eval[string](t, ctx, `location.search`))
	})

	t.Run("dismiss, still gone after a reload", func(t *testing.T) {
		beta := seeded[1]
		in(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-dismiss=%q]`, beta.ID))))
		waitFor(t, ctx, "the dismissed alert to go", "!"+jsHasTitle(beta.Title))
		require.Contains(t, eval[string](t, ctx, `document.getElementById("notice").textContent`), "Dismissed: Beta high deal")
		in(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#alerts`)))
		settled(t, ctx)
		require.NotContains(t, eval[[]string](t, ctx, jsTitles), beta.Title)
		require.Len(t, eval[[]string](t, ctx, jsTitles), 4)
		stored, err := e.store.GetAlert(context.Background(), beta.ID)
		require.NoError(t, err)
		require.True(t, stored.IsDismissed)

		// With the keyboard: focus a Dismiss button and press Enter (a
		// refresh of the list keeps the focus on the same button).
		low := seeded[4]
		eval[chromedp.Void](t, ctx, fmt.Sprintf(`document.querySelector('button[data-dismiss=%q]').focus()`, low.ID))
		in(t, ctx, chromedp.KeyEvent("\r"))
		waitFor(t, ctx, "the alert dismissed with the keyboard to go", "!"+jsHasTitle(low.Title))
	})

	eval[chromedp.Void](t, ctx, `window.notReloaded = true`)

	t.Run("run a scan from the dashboard", func(t *testing.T) {
		in(t, ctx, chromedp.Click(chromedp.CSS(`#run-scan`)))
		waitFor(t, ctx, "the new alert", jsHasTitle("Fresh alert 1"))
		require.Equal(t, "Fresh alert 1", eval[[]string](t, ctx, jsTitles)[0], "critical and newest: first")
		waitFor(t, ctx, "the scan's answer", `document.getElementById("notice").textContent.includes("Scan finished")`)
		waitFor(t, ctx, "the last scan line", `document.getElementById("last-scan").textContent.includes("started by dashboard")`)
		require.True(t, eval[bool](t, ctx, `window.notReloaded === true`), "no reload")
	})

	t.Run("a scan triggered elsewhere arrives live", func(t *testing.T) {
		resp := e.do(request{method: http.MethodPost, path: "/functions/v1/ptd-proactive", body: strings.NewReader("{}"), token: oldToken})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		waitFor(t, ctx, "the alert of the API scan", jsHasTitle("Fresh alert 2"))
		waitFor(t, ctx, "the last scan line", `document.getElementById("last-scan").textContent.includes("started by http")`)
		require.True(t, eval[bool](t, ctx, `window.notReloaded === true`), "no reload")
	})

	t.Run("an alert stored by another replica arrives live", func(t *testing.T) {
		MustSaveAlert(t, e.store, time.Now(), seedAlert{proactive.SeverityHigh, proactive.ResponseDelay, 88, "From another replica", 0, 2})
		waitFor(t, ctx, "the other replica's alert", jsHasTitle("From another replica"))
		require.True(t, eval[bool](t, ctx, `window.notReloaded === true`), "no reload")
		screenshot(t, ctx, dir, "dashboard-live.png")
	})

	t.Run("readable on a phone", func(t *testing.T) {
		in(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#alerts`)))
		settled(t, ctx)
		require.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 390, "no sideways scrolling")
		require.GreaterOrEqual(t, eval[float64](t, ctx, `parseFloat(getComputedStyle(document.body).fontSize)`), 16.0)
		require.GreaterOrEqual(t, eval[float64](t, ctx, `document.getElementById("run-scan").getBoundingClientRect().height`), 44.0, "touch-sized buttons")
		screenshot(t, ctx, dir, "dashboard-phone.png")
	})
}

// TestDashboardReconnectsARefusedStream: the browser gives up on an event
// stream the server refused (503 from a replica shutting down, 401 once the
// session expired); the dashboard reconnects by itself, and a refused
// session sends it to the sign-in form.
func TestDashboardReconnectsARefusedStream(t *testing.T) {
	ctx := mustBrowser(t)
	e := newEnv(t, envOptions{tokens: []string{newToken}, pollInterval: 200 * time.Millisecond})
	var refuse atomic.Int32 // 0: pass, 503 or 401: refuse with it
	var refused atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := int(refuse.Load())
		switch {
		case code == http.StatusServiceUnavailable && r.URL.Path == "/api/v1/events",
			code == http.StatusUnauthorized && r.URL.Path != "/login" && !strings.HasPrefix(r.URL.Path, "/ui/static/"):
			refused.Add(1)
			errorf(w, r, code, "refused by the test")
			return
		case code == http.StatusUnauthorized:
			r.Header.Del("Cookie") // as if the session had expired
		}
		e.srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.srv.Close() // ends the event streams, so that ts.Close need not wait for them
		ts.Close()
	})

	in(t, ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), newToken),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#risks`)),
		chromedp.Navigate(ts.URL+"/alerts"),
		chromedp.WaitVisible(chromedp.CSS(`#alerts`)),
	)
	settled(t, ctx)

	// The stream breaks, and its reconnection is refused.
	refuse.Store(http.StatusServiceUnavailable)
	ts.CloseClientConnections()
	require.Eventually(t, func() bool { return refused.Load() > 0 }, 20*time.Second, 50*time.Millisecond, "the browser came back")
	waitFor(t, ctx, "the refused stream", `document.getElementById("live-status").dataset.state === "reconnecting"`)
	refuse.Store(0)
	waitFor(t, ctx, "live updates again", `document.getElementById("live-status").dataset.state === "on"`)
	MustSaveAlert(t, e.store, time.Now(), seedAlert{proactive.SeverityHigh, proactive.SyncFail, 80, "After the reconnect", 0, 1})
	waitFor(t, ctx, "an alert stored after the reconnect", jsHasTitle("After the reconnect"))

	// The session is refused: the dashboard goes to the sign-in form.
	refuse.Store(http.StatusUnauthorized)
	ts.CloseClientConnections()
	require.Eventually(t, func() bool {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		// The page navigates meanwhile: an evaluation may fail, then try again.
		onForm, err := chromedp.Run(c, chromedp.Evaluate[bool](`location.pathname === "/login" && document.getElementById("token") !== null`))
		return err == nil && onForm
	}, 20*time.Second, 100*time.Millisecond, "the sign-in form")
}
