package httpapi

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})

	var body map[string]any
	resp := e.do(request{method: http.MethodGet, path: "/healthz"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	decodeJSON(t, resp, &body)
	require.Equal(t, map[string]any{"status": "ok"}, body)

	resp = e.do(request{method: http.MethodGet, path: "/readyz"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	decodeJSON(t, resp, &body)
	require.Equal(t, map[string]any{"status": "ready", "database": "sqlite"}, body)

	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp := e.do(request{method: http.MethodPost, path: p})
		requireError(t, resp, http.StatusMethodNotAllowed)
		require.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
	}

	t.Run("not migrated", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bare.db"))
		require.NoError(t, err)
		defer db.Close()
		srv, err := New(Options{Store: db, Scans: scan.NewGuard(func(context.Context, string) (proactive.ScanResult, error) { return okResult(), nil }, scan.GuardOptions{})})
		require.NoError(t, err)
		defer srv.Close()
		b := &testEnv{t: t, srv: srv}
		b.ts = httptestServer(t, srv)
		msg := requireError(t, b.do(request{method: http.MethodGet, path: "/readyz"}), http.StatusServiceUnavailable)
		require.Contains(t, msg, "migrate")
		resp := b.do(request{method: http.MethodGet, path: "/healthz"})
		require.Equal(t, http.StatusOK, resp.StatusCode, "the process is still up")
	})

	t.Run("database gone", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gone.db"))
		require.NoError(t, err)
		_, err = db.Migrate(context.Background())
		require.NoError(t, err)
		srv, err := New(Options{Store: db, Scans: scan.NewGuard(func(context.Context, string) (proactive.ScanResult, error) { return okResult(), nil }, scan.GuardOptions{})})
		require.NoError(t, err)
		defer srv.Close()
		b := &testEnv{t: t, srv: srv}
		b.ts = httptestServer(t, srv)
		require.Equal(t, http.StatusOK, b.do(request{method: http.MethodGet, path: "/readyz"}).StatusCode)
		require.NoError(t, db.Close())
		msg := requireError(t, b.do(request{method: http.MethodGet, path: "/readyz"}), http.StatusServiceUnavailable)
		require.Equal(t, "not ready: the database does not answer", msg, "no database detail in a public answer")
	})
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	resp := e.do(request{method: http.MethodPost, path: "/functions/v1/ptd-proactive", token: newToken})
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp = e.do(request{method: http.MethodGet, path: "/metrics"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"), resp.Header.Get("Content-Type"))
	text := readAll(t, resp)
	for _, want := range []string{
		`ptd_proactive_scan_duration_seconds_count{outcome="success"} 1`,
		`ptd_proactive_anomalies_total{severity="high",type="health_drop"} 1`,
		`ptd_proactive_anomalies_total{severity="medium",type="health_drop"} 2`,
		`ptd_proactive_alerts_total{outcome="inserted"} 1`,
		`ptd_proactive_alerts_total{outcome="duplicate"} 0`,
		`ptd_proactive_check_errors_total{monitor="checkSyncFailures"} 0`,
		`ptd_proactive_scan_running 0`,
		`ptd_proactive_last_success_timestamp_seconds `,
		`go_goroutines `,
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, `ptd_proactive_last_success_timestamp_seconds 0`)
	// No client data in the metrics.
	require.NotContains(t, text, "Clients: Health Scores Dropping")
	require.Same(t, e.srv.metrics, e.srv.Metrics())
}
