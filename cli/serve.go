package cli

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/httpapi"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
	"github.com/ptd-agents/ptd-proactive/metrics"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/schedule"
)

func (a *app) serveCommand() *cobra.Command {
	var (
		addr      string
		readDB    string
		noMigrate bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API, the dashboard, metrics and the built-in schedule",
		Long: `Serve the HTTP API (the README lists its routes; GET /api/v1/openapi.json
describes them), the dashboard at /, /healthz, /readyz and /metrics, scan on the built-in schedule (default every 15 minutes; with several
replicas on one PostgreSQL database exactly one scans per tick) and deliver
notifications in the background. SIGTERM or Ctrl-C shuts down gracefully: a running
scan finishes (bounded), queued notifications stay queued.

Without an API token (PTD_API_TOKEN) the service listens on loopback only.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServe(cmd.Context(), addr, readDB, noMigrate)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "listen address; overrides serve.addr and PTD_ADDR")
	cmd.Flags().BoolVar(&noMigrate, "no-migrate", false, "do not create missing tables first (env PTD_NO_MIGRATE)")
	cmd.Flags().StringVar(&readDB, "read-db", "", "read replica the checks read from (postgres://…); everything else goes to --db; overrides postgres.read_url (env PTD_READ_DATABASE_URL)")
	return cmd
}

// listenAddr applies CONTRACT §7: without a token the service listens on
// loopback only, whatever address was asked for, and says so.
func (a *app) listenAddr(ctx context.Context, cfg config.Config, flagAddr string) (string, error) {
	addr := cfg.Serve.Addr
	if flagAddr != "" {
		addr = flagAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usageError{fmt.Errorf("listen address %q: write it as host:port, e.g. 127.0.0.1:8080", addr)}
	}
	if len(cfg.Serve.APITokens) > 0 {
		return addr, nil
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) {
		a.log.WarnContext(ctx, "serve: no API token configured (PTD_API_TOKEN): listening on loopback only", "addr", addr)
		return addr, nil
	}
	loop := net.JoinHostPort("127.0.0.1", port)
	a.log.WarnContext(ctx, "serve: no API token configured (PTD_API_TOKEN): listening on loopback only, not on "+addr+"; set a token to listen on other interfaces", "addr", loop)
	return loop, nil
}

func (a *app) runServe(ctx context.Context, flagAddr, readDB string, noMigrate bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	addr, err := a.listenAddr(ctx, cfg, flagAddr)
	if err != nil {
		return err
	}
	readURL, err := a.replicaURL(cfg, readDB)
	if err != nil {
		return err
	}
	st, err := a.openMigrated(ctx, cfg, noMigrate)
	if err != nil {
		return err
	}
	defer st.Close()
	replica, err := a.openReplica(ctx, cfg, readURL)
	if err != nil {
		return err
	}
	if replica != nil {
		defer replica.Close()
	}

	m := metrics.New(a.reg.All())
	// /metrics is public: the outbox and the case counts are read at most
	// every 15 s, however often it is asked for.
	m.SetNotificationQueue(metrics.CacheQueue(metrics.StoreQueue(st, 1000), 15*time.Second))
	m.SetCaseCounts(metrics.CacheCaseCounts(metrics.DeskCaseCounts(st), 15*time.Second))
	notifier, err := a.newNotifier(cfg, st, m.ObserveDelivery)
	if err != nil {
		return err
	}
	sc, err := a.newScanner(cfg, st, replica, notifier.scanRouter())
	if err != nil {
		return err
	}
	// One guard runs this process's scans: the API's, the dashboard's and
	// the schedule's.
	guard := scan.NewGuard(func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
		res, err := sc.Run(ctx, scan.Params{Trigger: trigger}) // zero Now: the present
		if err == nil && notifier.worker != nil && res.AlertsSaved+res.Cases.Resolved > 0 {
			notifier.worker.Wake()
		}
		return res, err
	}, scan.GuardOptions{})
	srv, err := httpapi.New(httpapi.Options{
		Store:   st,
		Scans:   guard,
		Tokens:  cfg.Serve.APITokens,
		Metrics: m,
		Logger:  a.log,
		OnNotificationsRetried: func() {
			if notifier.worker != nil {
				notifier.worker.Wake()
			}
		},
	})
	if err != nil {
		return err
	}
	// Listen before any background work starts: a taken port fails at once,
	// before a scheduled scan or a delivery, and the address printed below
	// is the one bound (the real port of --addr 127.0.0.1:0).
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		srv.Close()
		return proactive.Errorf(proactive.EUNAVAILABLE, "listen on %s: %w: choose another address with --addr or PTD_ADDR", addr, err)
	}

	// Background work runs on its own context, stopped after the HTTP
	// server has drained (so a scan it was finishing can still queue
	// notifications that the worker then leaves queued, never half-sent).
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	if notifier.worker != nil {
		notifier.worker.Start(bg)
		defer notifier.worker.Stop()
		a.log.InfoContext(ctx, "notifications: delivering", "channels", notifier.worker.Channels())
	}
	if cfg.ScheduleEnabled() {
		sched, err := schedule.New(schedule.Options{
			Spec:  cfg.Schedule,
			Store: st,
			Run: func(ctx context.Context) error {
				_, err := guard.Try(ctx, scan.TriggerSchedule)
				return err
			},
			Busy:    guard.Busy,
			Logger:  a.log,
			Metrics: m,
		})
		if err != nil {
			_ = ln.Close()
			srv.Close()
			return err
		}
		sched.Start(bg)
		defer sched.Stop()
		a.log.InfoContext(ctx, "schedule: scanning on "+cfg.Schedule, "next", sched.Next(time.Now()).UTC().Format(time.RFC3339))
	} else {
		a.log.InfoContext(ctx, "schedule: off (PTD_SCHEDULE=off); scans run only when triggered")
	}
	termtext.Fprintf(a.io.Stderr, "ptd-proactive: dashboard on %s\n", dashboardURL(ln.Addr()))
	return srv.Serve(ctx, ln)
}

// dashboardURL is the address a browser on this machine opens for the
// listener at addr: an unspecified host (":8080", "0.0.0.0:8080") is
// written as localhost.
func dashboardURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String() + "/"
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)) + "/"
}
