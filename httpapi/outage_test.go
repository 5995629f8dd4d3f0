package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// tcpProxy forwards connections to a target until cut, which closes the
// listener and every connection: the database behind it is gone, as when
// its server or the network between goes down.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cutOff bool
}

// startProxy forwards a local port to target (host:port) until the test ends.
func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cutOff {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// cut takes the database away: new connections are refused, open ones end.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutOff = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutageIs503 runs the service on PostgreSQL, then takes the
// database away: every API route answers 503 with Retry-After (a client
// or load balancer knows to come back), like /readyz, never a 500 — and
// without the driver's detail.
func TestDatabaseOutageIs503(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testdb.MustSchema(t)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	st, err := postgres.Open(ctx, u.String(), postgres.Options{ConnectTimeout: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	sc, err := scan.New(scan.Options{Store: st})
	require.NoError(t, err)
	srv, err := New(Options{Store: st, Scans: scan.NewGuard(scan.ForScanner(sc), scan.GuardOptions{})})
	require.NoError(t, err)
	e := &testEnv{t: t, srv: srv}
	e.ts = httptestServer(t, srv)

	const id = "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10"
	routes := []request{
		{method: http.MethodGet, path: "/api/v1/alerts"},
		{method: http.MethodGet, path: "/api/v1/alerts?priority=high&limit=5"},
		{method: http.MethodGet, path: "/api/v1/alerts/" + id},
		{method: http.MethodPost, path: "/api/v1/alerts/" + id + "/dismiss"},
		{method: http.MethodGet, path: "/api/v1/notifications"},
		{method: http.MethodPost, path: "/api/v1/notifications/" + id + "/retry"},
		{method: http.MethodGet, path: "/api/v1/scans/last"},
		{method: http.MethodPost, path: "/api/v1/scan"},
		{method: http.MethodPost, path: "/functions/v1/ptd-proactive"},
		{method: http.MethodGet, path: "/readyz"},
	}
	require.Equal(t, http.StatusOK, e.do(request{method: http.MethodGet, path: "/api/v1/alerts"}).StatusCode, "up")
	require.Equal(t, http.StatusOK, e.do(request{method: http.MethodGet, path: "/readyz"}).StatusCode)

	proxy.cut()
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			resp := e.do(r)
			body := readAll(t, resp)
			require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
			require.Equal(t, "5", resp.Header.Get("Retry-After"))
			require.NotContains(t, body, "dial tcp", "no driver detail")
		})
	}
}

// downStore is a store whose every call fails with err.
type downStore struct {
	proactive.Store
	err error
}

func (d downStore) ListAlerts(context.Context, proactive.AlertFilter) ([]proactive.Alert, error) {
	return nil, d.err
}
func (d downStore) GetAlert(context.Context, string) (proactive.Alert, error) {
	return proactive.Alert{}, d.err
}
func (d downStore) DismissAlert(context.Context, string) error { return d.err }
func (d downStore) ListNotifications(context.Context, proactive.NotificationFilter) ([]proactive.Notification, error) {
	return nil, d.err
}
func (d downStore) RetryNotifications(context.Context, proactive.RetryParams) (int, error) {
	return 0, d.err
}
func (d downStore) LastScan(context.Context) (proactive.ScanRun, error) {
	return proactive.ScanRun{}, d.err
}
func (d downStore) Ping(context.Context) error { return d.err }

// TestStoreErrorStatus: the answer to a store error, by what it says — a
// database that cannot be reached is 503 with Retry-After even when no
// store translated the driver's error, anything unknown a 500 without
// detail.
func TestStoreErrorStatus(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 9, 8, 7), Port: 5432}, Err: errors.New("connect: connection refused")}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"unavailable", proactive.Errorf(proactive.EUNAVAILABLE, "list alerts: the database at db:5432/crm cannot be reached"), 503, "list alerts: the database at db:5432/crm cannot be reached"},
		{"untranslated connection error", fmt.Errorf("list alerts: %w", refused), 503, unavailableMessage},
		{"unknown", errors.New("list alerts: something odd at 10.9.8.7"), 500, internalMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Options{Store: downStore{Store: MustStore(t), err: tc.err}, Scans: scan.NewGuard(newBlockingScan().scan, scan.GuardOptions{})})
			require.NoError(t, err)
			e := &testEnv{t: t, srv: srv}
			e.ts = httptestServer(t, srv)
			for _, path := range []string{"/api/v1/alerts", "/api/v1/notifications", "/api/v1/scans/last"} {
				resp := e.do(request{method: http.MethodGet, path: path})
				require.Equal(t, tc.msg, requireError(t, resp, tc.status), path)
				if tc.status == http.StatusServiceUnavailable {
					require.Equal(t, "5", resp.Header.Get("Retry-After"), path)
				} else {
					require.Empty(t, resp.Header.Get("Retry-After"), path)
				}
			}
		})
	}
}
