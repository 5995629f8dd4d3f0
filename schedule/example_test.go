package schedule_test

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/httpapi"
	"github.com/ptd-agents/ptd-proactive/metrics"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/schedule"
)

// Example shows how `ptd-proactive serve` wires the HTTP service, the
// schedule and the metrics, and shuts them down on SIGTERM: the HTTP
// server drains (readiness fails, event streams end, in-flight requests
// and the running scan finish within the shutdown timeout), then the
// schedule stops, then the store closes.
func Example() {
	run := func(store proactive.Store, sc *scan.Scanner, tokens []string, addr, spec string) error {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
		m := metrics.New(rules.Checks())
		m.SetNotificationQueue(metrics.StoreQueue(store, 0))

		// One guard runs the process's scans: the API's and the schedule's.
		guard := scan.NewGuard(scan.ForScanner(sc), scan.GuardOptions{})
		api, err := httpapi.New(httpapi.Options{Store: store, Scans: guard, Tokens: tokens, Metrics: m, Logger: log})
		if err != nil {
			return err
		}
		if spec != schedule.Off {
			sched, err := schedule.New(schedule.Options{
				Spec:  spec,
				Store: store,
				// One scan per process: the schedule calls the scanner through
				// the same guard, and a draining guard claims no tick.
				Busy: guard.Busy,
				Run: func(ctx context.Context) error {
					_, err := guard.Try(ctx, scan.TriggerSchedule)
					return err
				},
				Logger:  log,
				Metrics: m,
			})
			if err != nil {
				api.Close()
				return err
			}
			sched.Start(ctx)
			defer sched.Stop() // after Serve: the running scan has ended by then
		}
		return api.ListenAndServe(ctx, addr) // returns after the graceful shutdown
	}
	_ = run
}
