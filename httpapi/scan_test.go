package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// contractKeys are the keys CONTRACT §6 requires of a scan answer.
var contractKeys = []string{"success", "duration_ms", "anomalies_detected", "alert_groups_created", "alerts_saved",
	"breakdown", "insights", "predictions", "alert_groups", "errors"}

func TestScanEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})

	cases := []struct {
		name, path, body string
		trigger          string
	}{
		{"seed path, pg_cron body", "/functions/v1/ptd-proactive", "{}", TriggerHTTP},
		{"seed path, no body", "/functions/v1/ptd-proactive", "", TriggerHTTP},
		{"seed path, any body", "/functions/v1/ptd-proactive", "not json at all", TriggerHTTP},
		{"api, no body", "/api/v1/scan", "", TriggerHTTP},
		{"api, empty object", "/api/v1/scan", " {} ", TriggerHTTP},
		{"api, dashboard", "/api/v1/scan", `{"trigger":"dashboard","other":1}`, TriggerDashboard},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.scanCalls())
			resp := e.do(request{method: http.MethodPost, path: c.path, body: strings.NewReader(c.body), token: newToken})
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var body map[string]any
			decodeJSON(t, resp, &body)
			for _, k := range contractKeys {
				require.Contains(t, body, k)
			}
			require.Equal(t, true, body["success"])
			require.Equal(t, []any{}, body["errors"])
			require.Equal(t, map[string]any{"health_drops": 3.0, "deal_stalls": 0.0, "sync_failures": 0.0, "response_delays": 0.0}, body["breakdown"])
			groups := body["alert_groups"].([]any)
			require.Len(t, groups, 1)
			g := groups[0].(map[string]any)
			require.Equal(t, "health_drop", g["type"])
			require.Equal(t, "high", g["severity"])
			require.Equal(t, 85.0, g["urgency"])
			require.Equal(t, 3.0, g["affected_count"])
			calls := e.scanCalls()
			require.Len(t, calls, before+1)
			require.Equal(t, c.trigger, calls[len(calls)-1])
		})
	}

	bad := []struct{ name, body, want string }{
		{"not json", "trigger=dashboard", "JSON object"},
		{"array", `["dashboard"]`, "JSON object"},
		{"broken", `{"trigger":`, "JSON object"},
		{"trigger type", `{"trigger": 5}`, "JSON object"},
		{"trigger text", `{"trigger":"DROP TABLE"}`, "trigger"},
		{"trigger long", `{"trigger":"` + strings.Repeat("a", 33) + `"}`, "trigger"},
	}
	for _, c := range bad {
		t.Run("bad body "+c.name, func(t *testing.T) {
			before := len(e.scanCalls())
			msg := requireError(t, e.do(request{method: http.MethodPost, path: "/api/v1/scan", body: strings.NewReader(c.body), token: newToken}), http.StatusBadRequest)
			require.Contains(t, msg, c.want)
			require.Len(t, e.scanCalls(), before)
		})
	}
}

func TestScanWrongMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	for _, path := range []string{"/functions/v1/ptd-proactive", "/api/v1/scan"} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			resp := e.do(request{method: m, path: path, token: newToken})
			msg := requireError(t, resp, http.StatusMethodNotAllowed)
			require.Contains(t, msg, m)
			require.Equal(t, "POST", resp.Header.Get("Allow"))
		}
	}
	require.Empty(t, e.scanCalls())
}

func TestScanOversizedBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	big := strings.Repeat("x", DefaultMaxBodyBytes+1)
	for _, path := range []string{"/functions/v1/ptd-proactive", "/api/v1/scan", "/api/v1/alerts/00000000-0000-4000-8000-000000000000/dismiss", "/login"} {
		t.Run(path, func(t *testing.T) {
			// Declared length over the limit: refused before reading.
			msg := requireError(t, e.do(request{method: http.MethodPost, path: path, body: strings.NewReader(big), token: newToken}), http.StatusRequestEntityTooLarge)
			require.Contains(t, msg, "1 MiB")
			// Chunked (no declared length): refused while reading.
			msg = requireError(t, e.do(request{method: http.MethodPost, path: path, body: io.MultiReader(strings.NewReader(big)), token: newToken}), http.StatusRequestEntityTooLarge)
			require.Contains(t, msg, "1 MiB")
		})
	}
	require.Empty(t, e.scanCalls())
	// Exactly at the limit is fine.
	resp := e.do(request{method: http.MethodPost, path: "/functions/v1/ptd-proactive", body: strings.NewReader(big[1:]), token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestScanFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{scan: func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
		return proactive.ScanResult{Success: false, Error: "database down"},
			proactive.Errorf(proactive.EUNAVAILABLE, "the database does not answer: check PTD_DATABASE_URL")
	}})
	for _, path := range []string{"/functions/v1/ptd-proactive", "/api/v1/scan"} {
		resp := e.do(request{method: http.MethodPost, path: path})
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "the database is down: try again later")
		require.Equal(t, "5", resp.Header.Get("Retry-After"))
		var body map[string]any
		decodeJSON(t, resp, &body)
		require.Equal(t, map[string]any{"success": false, "error": "the database does not answer: check PTD_DATABASE_URL"}, body)
	}
	require.Contains(t, scrape(t, e), `ptd_proactive_scan_duration_seconds_count{outcome="failure"} 2`)

	t.Run("a scan that fails for another reason is a 500", func(t *testing.T) {
		f := newEnv(t, envOptions{scan: func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
			return proactive.ScanResult{}, proactive.Errorf(proactive.EINVALID, "save alert: the alert has no dedup key")
		}})
		resp := f.do(request{method: http.MethodPost, path: "/api/v1/scan"})
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		require.Empty(t, resp.Header.Get("Retry-After"))
	})

	t.Run("a panicking scan is a failure and frees the guard", func(t *testing.T) {
		p := newEnv(t, envOptions{scan: func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
			panic("boom")
		}})
		for range 2 {
			resp := p.do(request{method: http.MethodPost, path: "/api/v1/scan"})
			require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			var body scanFailure
			decodeJSON(t, resp, &body)
			require.Contains(t, body.Error, "panicked")
		}
		require.False(t, p.srv.opts.Scans.Running())
	})
}

// blockingScan is a scan function that waits for release.
type blockingScan struct {
	started chan string
	release chan struct{}
	ctxErr  chan error
}

func newBlockingScan() *blockingScan {
	return &blockingScan{started: make(chan string, 10), release: make(chan struct{}), ctxErr: make(chan error, 10)}
}

func (b *blockingScan) scan(ctx context.Context, trigger string) (proactive.ScanResult, error) {
	b.started <- trigger
	select {
	case <-b.release:
		b.ctxErr <- nil
		return okResult(), nil
	case <-ctx.Done():
		b.ctxErr <- ctx.Err()
		return proactive.ScanResult{}, ctx.Err()
	}
}

func TestScanSingleFlight(t *testing.T) {
	t.Parallel()
	b := newBlockingScan()
	e := newEnv(t, envOptions{scan: b.scan})

	type answer struct {
		status int
		joined string
		body   string
	}
	answers := make(chan answer, 2)
	post := func(path string) {
		resp, err := http.Post(e.ts.URL+path, "application/json", nil)
		if err != nil {
			answers <- answer{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answers <- answer{resp.StatusCode, resp.Header.Get("X-PTD-Scan-Joined"), string(b)}
	}
	require.False(t, e.srv.opts.Scans.Busy())
	go post("/api/v1/scan")
	require.Equal(t, TriggerHTTP, <-b.started)
	require.True(t, e.srv.opts.Scans.Running())
	require.True(t, e.srv.opts.Scans.Busy())

	go post("/functions/v1/ptd-proactive")
	// The schedule never queues a second scan.
	_, err := e.srv.opts.Scans.Try(context.Background(), scan.TriggerSchedule)
	require.Equal(t, proactive.ECONFLICT, proactive.ErrorCode(err))
	require.Contains(t, proactive.ErrorMessage(err), "already running")

	// Let the second request join before the scan ends.
	require.Eventually(t, func() bool { return e.srv.opts.Scans.Joined() == 1 }, 5*time.Second, 5*time.Millisecond)
	close(b.release)

	a1, a2 := <-answers, <-answers
	require.Equal(t, http.StatusOK, a1.status, a1.body)
	require.Equal(t, http.StatusOK, a2.status, a2.body)
	require.JSONEq(t, a1.body, a2.body, "the joined caller gets the running scan's result")
	require.ElementsMatch(t, []string{"", "true"}, []string{a1.joined, a2.joined})
	require.Len(t, e.scanCalls(), 1, "one scan for both callers")
	require.Len(t, b.started, 0)
	require.Eventually(t, func() bool { return !e.srv.opts.Scans.Running() }, time.Second, 10*time.Millisecond)

	// Once it ended, the next trigger starts a new scan.
	b.release = make(chan struct{})
	close(b.release)
	res, err := e.srv.opts.Scans.Try(context.Background(), scan.TriggerSchedule)
	require.NoError(t, err)
	require.True(t, res.Success)
	require.Equal(t, []string{TriggerHTTP, scan.TriggerSchedule}, e.scanCalls())
}

func TestScanOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	b := newBlockingScan()
	served := make(chan string, 10) // the request records: the handler has returned
	e := newEnv(t, envOptions{scan: b.scan, logger: slog.New(recordHandler{func(r slog.Record) {
		if r.Message == "http request" {
			select {
			case served <- r.Message:
			default:
			}
		}
	}})})

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.ts.URL+"/functions/v1/ptd-proactive", nil)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-b.started
	cancel() // pg_cron's net.http_post gives up after its timeout
	require.Error(t, <-done)
	select {
	case <-served: // the server saw the caller leave and answered nobody
	case <-time.After(10 * time.Second):
		t.Fatal("the request never ended")
	}
	require.True(t, e.srv.opts.Scans.Running(), "the scan goes on")
	require.Empty(t, b.ctxErr, "the scan was not cancelled")
	close(b.release)
	require.NoError(t, <-b.ctxErr)
	require.Eventually(t, func() bool {
		return strings.Contains(scrape(t, e), `ptd_proactive_scan_duration_seconds_count{outcome="success"} 1`)
	}, 2*time.Second, 20*time.Millisecond)
}

func TestShutdownWaitsForTheRunningScan(t *testing.T) {
	t.Parallel()
	b := newBlockingScan()
	e := newEnv(t, envOptions{scan: b.scan})
	go func() { _, _ = e.srv.opts.Scans.Try(context.Background(), scan.TriggerSchedule) }()
	<-b.started

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- e.srv.Shutdown(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while the scan ran", err)
	case <-time.After(200 * time.Millisecond):
	}
	// While draining: no new scan, not ready.
	resp := e.do(request{method: http.MethodPost, path: "/api/v1/scan"})
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var body scanFailure
	decodeJSON(t, resp, &body)
	require.Contains(t, body.Error, "shutting down")
	requireError(t, e.do(request{method: http.MethodGet, path: "/readyz"}), http.StatusServiceUnavailable)
	require.True(t, e.srv.opts.Scans.Busy(), "a draining server takes no schedule tick")

	close(b.release)
	require.NoError(t, <-stopped)
	require.NoError(t, <-b.ctxErr, "the scan finished, it was not cancelled")
	require.Len(t, e.scanCalls(), 1)
}

func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	b := newBlockingScan()
	e := newEnv(t, envOptions{scan: b.scan})
	go func() { _, _ = e.srv.opts.Scans.Try(context.Background(), scan.TriggerSchedule) }()
	<-b.started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := e.srv.Shutdown(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	require.ErrorIs(t, <-b.ctxErr, context.Canceled, "the scan was cancelled at the bound")
	require.NotPanics(t, e.srv.Close, "closing twice is harmless")
}

func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	b := newBlockingScan()
	store := MustStore(t)
	srv, err := New(Options{Store: store, Scans: scan.NewGuard(b.scan, scan.GuardOptions{}), ShutdownTimeout: 10 * time.Second})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	// An event stream and a scan are open when SIGTERM comes.
	stream, err := http.Get(base + "/api/v1/events")
	require.NoError(t, err)
	defer stream.Body.Close()
	type answer struct {
		status int
		body   []byte
	}
	scanned := make(chan answer, 1)
	go func() {
		resp, err := http.Post(base+"/functions/v1/ptd-proactive", "application/json", bytes.NewReader([]byte("{}")))
		if err != nil {
			scanned <- answer{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		scanned <- answer{resp.StatusCode, body}
	}()
	<-b.started
	cancel()

	// The stream ends so that the connection can close.
	_, err = io.Copy(io.Discard, stream.Body)
	require.True(t, err == nil || errors.Is(err, io.ErrUnexpectedEOF), "stream ended: %v", err)
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) before the scan ended", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(b.release)
	a := <-scanned
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	var res map[string]any
	require.NoError(t, json.Unmarshal(a.body, &res))
	require.Equal(t, true, res["success"], "the in-flight scan's answer was delivered")
	require.NoError(t, <-served)

	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "the listener is closed")
}

func TestConcurrentTriggersNeverOverlap(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	running, maxRunning := 0, 0
	e := newEnv(t, envOptions{scan: func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
		mu.Lock()
		running++
		maxRunning = max(maxRunning, running)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return okResult(), nil
	}})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				_, _ = e.srv.opts.Scans.Try(context.Background(), scan.TriggerSchedule)
				return
			}
			resp, err := http.Post(e.ts.URL+"/api/v1/scan", "application/json", nil)
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, maxRunning)
	require.NotEmpty(t, e.scanCalls())
}

func TestLastScan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	msg := requireError(t, e.do(request{method: http.MethodGet, path: "/api/v1/scans/last", token: newToken}), http.StatusNotFound)
	require.Contains(t, msg, "no scan")
	started := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	require.NoError(t, e.store.RecordScan(context.Background(), proactive.ScanRun{
		StartedAt: started, DurationMS: 42, Success: true, Trigger: "schedule", Anomalies: 4, AlertsSaved: 2,
	}))
	resp := e.do(request{method: http.MethodGet, path: "/api/v1/scans/last", token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var run proactive.ScanRun
	decodeJSON(t, resp, &run)
	require.True(t, run.StartedAt.Equal(started))
	require.Equal(t, "schedule", run.Trigger)
	require.Equal(t, 2, run.AlertsSaved)
	requireError(t, e.do(request{method: http.MethodPost, path: "/api/v1/scans/last", token: newToken}), http.StatusMethodNotAllowed)
}

// scrape returns the /metrics answer.
func scrape(t *testing.T, e *testEnv) string {
	t.Helper()
	resp := e.do(request{method: http.MethodGet, path: "/metrics"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return readAll(t, resp)
}

func TestListenAndServeBadAddress(t *testing.T) {
	t.Parallel()
	srv, err := New(Options{Store: MustStore(t), Scans: scan.NewGuard(newBlockingScan().scan, scan.GuardOptions{})})
	require.NoError(t, err)
	err = srv.ListenAndServe(context.Background(), "256.0.0.1:99999")
	require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
	require.Contains(t, proactive.ErrorMessage(err), "PTD_ADDR")
	require.False(t, srv.opts.Scans.Running())
}

func TestCloseWithoutAScanReportsNone(t *testing.T) {
	t.Parallel()
	for range 100 {
		var logs strings.Builder
		srv, err := New(Options{Store: MustStore(t), Scans: scan.NewGuard(newBlockingScan().scan, scan.GuardOptions{}),
			Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.NoError(t, srv.Shutdown(ctx), "no scan ran: nothing was cancelled")
		srv.Close()
		require.NotContains(t, logs.String(), "outlived", "no scan ran: nothing to warn about")
	}
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// recordHandler is a slog.Handler that hands every record to a function.
type recordHandler struct{ fn func(slog.Record) }

// Enabled enables every level.
func (recordHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle passes the record on.
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.fn(r)
	return nil
}

// WithAttrs keeps the handler.
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

// WithGroup keeps the handler.
func (h recordHandler) WithGroup(string) slog.Handler { return h }
