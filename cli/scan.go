package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/scan"
)

type scanFlags struct {
	readDB        string
	now           string
	json          bool
	dryRun        bool
	withoutCases  bool
	noMigrate     bool
	notifyTimeout time.Duration
	cpuProfile    string
	memProfile    string
}

func (a *app) scanCommand() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Run one monitoring scan: four checks, grouping, insights, dedup, storage, notifications",
		Long: `Run one monitoring scan and print its result: the seed's response object with
--json, a readable summary without. Exit status 0 when the scan ran (even with a
check that could not run, listed under errors), 1 when it could not run.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runScan(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.readDB, "read-db", "", "read replica the checks read from (postgres://…); everything else goes to --db; overrides postgres.read_url (env PTD_READ_DATABASE_URL)")
	fl.StringVar(&f.now, "now", "", "evaluate the scan at this time instead of the current time (a past time sees the tables as they stood then): "+timeForms+" (env PTD_NOW)")
	fl.BoolVar(&f.json, "json", false, "print the response object as JSON (env PTD_JSON)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "compute and print, store nothing (env PTD_DRY_RUN)")
	fl.BoolVar(&f.noMigrate, "no-migrate", false, "do not create missing tables first (env PTD_NO_MIGRATE)")
	fl.DurationVar(&f.notifyTimeout, "notify-timeout", defaultNotifyTimeout, "how long to keep retrying notifications before exiting; what is left stays queued (env PTD_NOTIFY_TIMEOUT)")
	fl.BoolVar(&f.withoutCases, "without-cases", false, "with --dry-run: the scan as before the risk desk, every anomaly actionable and no case read or written, to measure what case state costs (scripts/bench) (env PTD_WITHOUT_CASES)")
	fl.StringVar(&f.cpuProfile, "cpu-profile", "", "write a CPU profile of the scan to this file, for `go tool pprof` (env PTD_CPU_PROFILE)")
	fl.StringVar(&f.memProfile, "mem-profile", "", "write a memory profile (what the scan allocated, and where) to this file after the scan, for `go tool pprof` (env PTD_MEM_PROFILE)")
	return cmd
}

// noArgs refuses positional arguments as a usage error (Main shows the
// command's usage line after it, where the flag the argument was meant
// for is: silence add 'deal_stall:*' → --match GLOB).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unexpected argument %q: %s takes flags only", args[0], cmd.CommandPath())
	// "cases ack ID": the argument is a command of its own.
	for _, c := range cmd.Root().Commands() {
		if c.Name() == args[0] && c != cmd {
			msg += fmt.Sprintf("; or did you mean '%s'?", c.CommandPath())
		}
	}
	return usageError{errors.New(msg)}
}

// newScanner builds the scanner; replica, when not nil, is what the
// checks read while it is at most postgres.max_replica_lag behind.
func (a *app) newScanner(cfg config.Config, st proactive.Store, replica *postgres.Reader, router scan.Router) (*scan.Scanner, error) {
	opts := scan.Options{
		Store:         st,
		Registry:      a.reg,
		Checks:        cfg.Checks,
		Settings:      proactive.Settings{Thresholds: cfg.Thresholds, StallStages: cfg.StallStages, Columns: cfg.Columns, Inhibit: cfg.Inhibit},
		Notify:        router,
		Logger:        a.log,
		MaxReplicaLag: cfg.Postgres.MaxReplicaLag,
	}
	if replica != nil {
		opts.Replica = replica
	}
	return scan.New(opts)
}

// ScanMemoryLimit is the Go runtime's soft memory limit while `scan`
// runs, unless GOMEMLIMIT is set: 20 MiB. With GOGC=100 alone the heap
// grows to about twice what is live before a collection; under the limit
// the collector runs sooner as the heap nears it (GOGC is unchanged). A
// scan's live heap peaks at 9–10 MB at 65,000 anomalies and 100,000
// clients, while the largest group's alert is written (its members and
// the JSON of its 30,000 case ids); it stays near 6 MB while the checks
// read and the cases are written. Under 20 MiB that scan takes as long as
// under 24 or 32 MiB and its peak RSS is 37 MB (39–41 under 24 MiB, of
// which 18 MB are the executable's mapped pages); when the live peak was
// 14–15 MB, 20 MiB made the collector run constantly. A scan that needs
// more gets more, with more collection. The checks that keep more live
// while they read add their proactive.Check.WorkingSet (the largest among
// those the scan runs). GOMEMLIMIT (any value, "off" too) overrides it.
const ScanMemoryLimit = 20 << 20

func (a *app) runScan(ctx context.Context, f scanFlags) error {
	if f.withoutCases && !f.dryRun {
		return usageError{errors.New("--without-cases measures a scan without case state and needs --dry-run: add --dry-run")}
	}
	now, err := scanNow(f.now)
	if err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if a.io.SetMemoryLimit != nil && a.io.Getenv("GOMEMLIMIT") == "" {
		prev := a.io.SetMemoryLimit(ScanMemoryLimit + a.reg.WorkingSet(cfg.Checks))
		defer a.io.SetMemoryLimit(prev)
	}
	readURL, err := a.replicaURL(cfg, f.readDB)
	if err != nil {
		return err
	}
	st, err := a.openMigrated(ctx, cfg, f.noMigrate || f.dryRun)
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

	notifier, err := a.newNotifier(cfg, st, nil)
	if err != nil {
		return err
	}
	sc, err := a.newScanner(cfg, st, replica, notifier.scanRouter())
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	res, scanErr := sc.Run(ctx, scan.Params{Now: now, Trigger: scan.TriggerCLI, DryRun: f.dryRun, WithoutCases: f.withoutCases})
	if err := stopProfile(); err != nil {
		return err
	}
	if err := writeMemProfile(f.memProfile); err != nil {
		return err
	}
	if scanErr == nil && !f.dryRun {
		notifier.drain(ctx, f.notifyTimeout)
	}
	if f.json {
		if err := writeJSON(a.io.Stdout, res); err != nil {
			return err
		}
	} else if scanErr == nil {
		renderScan(a.io.Stdout, res, reportOptions{TopEntities: 3, Registry: a.reg, Style: a.style})
	}
	if scanErr != nil {
		return exitError{code: ExitFailure, err: fmt.Errorf("the scan could not run: %s", errorText(scanErr))}
	}
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// startCPUProfile starts a CPU profile into path ("" for none) and
// returns what stops it and closes the file.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("--cpu-profile: %w (give a path in a writable directory)", err)}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start the CPU profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("write the CPU profile %s: %w", path, err)
		}
		return nil
	}, nil
}

// writeMemProfile writes the allocations profile into path ("" for none).
func writeMemProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return usageError{fmt.Errorf("--mem-profile: %w (give a path in a writable directory)", err)}
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("write the memory profile %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the memory profile %s: %w", path, err)
	}
	return nil
}
