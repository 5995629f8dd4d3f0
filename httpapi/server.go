// Package httpapi is ptd-proactive's HTTP service (CONTRACT §7, §10.11):
// the scan trigger at the seed's path POST /functions/v1/ptd-proactive and
// at POST /api/v1/scan, the alert API, the risk desk's API (cases, their
// actions, silences, clients) through package desk, server-sent events,
// the dashboard (server
// rendered from embedded templates and assets under ui/, no CDN, no build
// step), health and readiness probes, Prometheus metrics and the OpenAPI
// document at /api/v1/openapi.json.
//
// A Server runs scans through the process's scan.Guard (shared with the
// schedule): one process never runs two scans at once. A scan trigger that
// arrives while a scan runs waits for that scan and answers its result
// (header X-PTD-Scan-Joined: true). Scans run on the guard's own context,
// not the request's: a caller that hangs up (pg_cron's net.http_post gives
// up after a few seconds) does not cancel the scan. The server observes
// the guard (metrics, live updates) and shuts it down.
package httpapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/metrics"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// Defaults of the Options.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultShutdownTimeout = 30 * time.Second
	DefaultPollInterval    = 5 * time.Second
	DefaultSessionTTL      = 12 * time.Hour
	// heartbeatInterval spaces the comments that keep an idle event stream
	// open through proxies.
	heartbeatInterval = 25 * time.Second
	// dashboardLimit caps the alerts the dashboard lists.
	dashboardLimit = 500
)

// Options configure a Server.
type Options struct {
	// Store lists and dismisses alerts and reports the last scan. Required.
	Store proactive.Store
	// Scans runs the scans the API and the dashboard trigger, one at a
	// time in this process (the schedule shares it). Required; Shutdown
	// shuts it down.
	Scans *scan.Guard
	// Registry lists the checks (filters, labels, the API's enums); nil
	// means rules.Registry().
	Registry *proactive.Registry
	// Tokens are the accepted bearer tokens (PTD_API_TOKEN, several for
	// rotation); none means no authentication.
	Tokens []string
	// Metrics receives scan observations and is served at /metrics; nil
	// means a fresh metrics.New().
	Metrics *metrics.Metrics
	// Logger receives request and scan records; nil discards them.
	Logger *slog.Logger
	// Now is the clock (alert activity, ages, sessions); nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes limits request bodies (413 beyond); 0 means 1 MiB.
	MaxBodyBytes int64
	// ScanTimeout bounds one scan; 0 means DefaultScanTimeout.
	ScanTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown of Serve: in-flight
	// requests and the running scan; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// PollInterval is how often the store is polled for alerts changed by
	// other replicas while a client listens to the event stream; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
	// SessionTTL is the lifetime of a dashboard session; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// LoginFailures is how many wrong tokens one client address may send
	// to the sign-in form per LoginWindow; after that /login answers 429
	// with Retry-After until the window ends. 0 means DefaultLoginFailures
	// per DefaultLoginWindow.
	LoginFailures int
	// LoginWindow is the window of LoginFailures; 0 means DefaultLoginWindow.
	LoginWindow time.Duration

	// polled, when set (by this package's tests), is called after each
	// look the event poller takes at the store.
	polled func()
	// OnNotificationsRetried, when set, is called after a failed
	// notification was queued again (serve wakes its delivery worker).
	OnNotificationsRetried func()
}

// Server is the HTTP service. Create it with New, serve it with Serve or
// mount Handler, and end it with Shutdown or Close.
type Server struct {
	opts           Options
	desk           *desk.Service
	log            *slog.Logger
	metrics        *metrics.Metrics
	now            func() time.Time
	tokens         []string
	tokenDigests   [][sha256.Size]byte
	csrf           *http.CrossOriginProtection
	metricsHandler http.Handler
	pages          *template.Template
	static         fs.FS
	handler        http.Handler
	logins         *loginThrottle // wrong sign-in tokens per client address

	// ctx is the server's lifetime: the poller runs on it.
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup // the poller
	events *broker
	resync chan struct{} // asks the poller to take a new baseline

	mu       sync.Mutex
	draining bool
}

// New validates opts and returns a Server. It starts the goroutine that
// polls the store for the event stream; Shutdown or Close stops it.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "httpapi: a store is required")
	}
	if opts.Scans == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "httpapi: a scan guard is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.LoginFailures <= 0 {
		opts.LoginFailures = DefaultLoginFailures
	}
	if opts.LoginWindow <= 0 {
		opts.LoginWindow = DefaultLoginWindow
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.Registry == nil {
		opts.Registry = rules.Registry()
	}
	m := opts.Metrics
	if m == nil {
		m = metrics.New(opts.Registry.All())
	}
	s := &Server{
		opts:    opts,
		log:     log,
		metrics: m,
		now:     now,
		csrf:    http.NewCrossOriginProtection(),
		events:  newBroker(),
		resync:  make(chan struct{}, 1),
		logins:  newLoginThrottle(opts.LoginFailures, opts.LoginWindow, maxThrottledClients),
	}
	for _, t := range opts.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.tokens = append(s.tokens, t)
			s.tokenDigests = append(s.tokenDigests, sha256.Sum256([]byte(t)))
			if len(t) < 16 {
				log.Warn("an API token is shorter than 16 characters: use long random tokens (openssl rand -hex 32)")
			}
		}
	}
	var err error
	if s.pages, s.static, err = loadUI(opts.Registry); err != nil {
		return nil, fmt.Errorf("httpapi: load the dashboard templates: %w", err)
	}
	s.desk = &desk.Service{Desk: opts.Store, Registry: opts.Registry, Recorded: s.caseEventsRecorded}
	if r, ok := opts.Store.(proactive.ClientHistoryReader); ok {
		s.desk.Source = r
	}
	s.metricsHandler = m.Handler()
	s.handler = s.buildHandler()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.poll()
	}()
	opts.Scans.Observe(s)
	return s, nil
}

// Handler returns the service's handler: routes, authentication, CORS,
// body limit, security headers and request logging.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the metrics the server observes and serves.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// buildHandler registers every route of routes() on a ServeMux, plus, per
// path, a method-less pattern that answers other methods 405 with a JSON
// error and an Allow header, and a catch-all 404.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.method+" "+rt.path, rt.handler)
		if _, seen := allowed[rt.path]; !seen {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
		if rt.method == http.MethodGet {
			allowed[rt.path] = append(allowed[rt.path], http.MethodHead)
		}
	}
	for _, p := range paths {
		allow := strings.Join(allowed[p], ", ")
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			errorf(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s: use %s", r.Method, r.URL.Path, allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		errorf(w, r, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s (the API is described at /api/v1/openapi.json)", r.Method, r.URL.Path))
	})
	var h http.Handler = cleanAPIPaths(mux)
	h = s.requireAuth(h)
	h = limitBody(s.opts.MaxBodyBytes, h)
	h = cors(h)
	h = securityHeaders(h)
	return s.logRequests(h)
}

// cleanAPIPaths answers an API path that is not clean (a trailing slash,
// an empty, "." or ".." segment: "/api/v1/alerts/", "/api/v1/alerts/..")
// with a 400 JSON error, where ServeMux would redirect to the cleaned path,
// an HTML answer no API client expects.
func cleanAPIPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if (strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/functions/")) && path.Clean(p) != p {
			errorf(w, r, http.StatusBadRequest, fmt.Sprintf("malformed path %q: no empty, . or .. segments and no trailing slash (an alert id is a uuid or a number)", p))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// HTTPServer returns an *http.Server for addr with the service's handler
// and timeouts: 10 s for the request headers, 30 s for the whole request,
// 60 s for the answer (the event stream and the scan trigger lift these
// for themselves), 2 min idle, 64 KiB of headers.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
}

// ListenAndServe listens on addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return proactive.Errorf(proactive.EUNAVAILABLE, "listen on %s: %w: choose another address with --addr or PTD_ADDR", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln until ctx is cancelled, then shuts down
// gracefully within Options.ShutdownTimeout:
//
//  1. /readyz answers 503, new scan triggers answer 503, event streams end;
//  2. the listener closes and in-flight requests finish (a scan request
//     waits for its scan);
//  3. a scan still running (started by the schedule, say) gets the rest
//     of the time to finish, then is cancelled; the poller stops.
//
// Serve returns nil after a graceful shutdown, or the error that stopped
// it. The Server cannot be used afterwards.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.InfoContext(ctx, "http: listening", "addr", ln.Addr().String(), "auth", s.authEnabled())

	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("http: serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("http: shutting down: finishing in-flight requests and scans", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	s.drain()
	err := hs.Shutdown(sctx)
	if err != nil {
		s.log.Warn("http: requests still open at the shutdown timeout; closing them", "error", err)
		_ = hs.Close()
	}
	if e := s.Shutdown(sctx); e != nil && err == nil {
		err = e
	}
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	s.log.Info("http: stopped")
	return err
}

// drain makes the server refuse new scans, fail readiness and end every
// event stream, so that connections go idle for http.Server.Shutdown.
func (s *Server) drain() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	s.events.close()
}

// Shutdown drains the server, shuts its scan guard down (waiting for a
// running scan until ctx is done, then cancelling it), stops the poller
// and waits for it. It returns an error when the scan had to be
// cancelled. Calling it again (or Close) is harmless.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drain()
	err := s.opts.Scans.Shutdown(ctx)
	if err != nil {
		err = fmt.Errorf("http: %w", err)
		s.log.Warn(err.Error())
	}
	s.cancel()
	s.bg.Wait()
	return err
}

// Close stops everything at once: a running scan is cancelled.
func (s *Server) Close() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(ctx)
}
