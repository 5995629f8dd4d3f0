package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/demo"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/scan"
)

type demoFlags struct {
	now     string
	clients int
	seed    uint64
	reset   bool
	json    bool
}

func (a *app) demoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build the embedded database with realistic sample data and run a scan",
		Long: `Create ptd-proactive.db (or --db), fill the four source tables with a realistic
fortnight of business data — a few hundred clients with daily health readings, a
pipeline across all stages, sync errors from HubSpot, Stripe and Meta, inbound leads;
mostly healthy, with every kind of anomaly at every severity — then run a scan and
print the report. Run it again: the data is kept, and the second scan stores no
duplicates. --reset rebuilds the embedded database.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDemo(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.now, "now", "", "build the data and scan at this time: "+timeForms+" (env PTD_NOW)")
	fl.IntVar(&f.clients, "clients", demo.DefaultClients, "number of clients to generate (env PTD_CLIENTS)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed; the same seed and --now give the same data (env PTD_SEED)")
	fl.BoolVar(&f.reset, "reset", false, "delete the embedded database file first (env PTD_RESET)")
	fl.BoolVar(&f.json, "json", false, "print the scan's response object as JSON (env PTD_JSON)")
	return cmd
}

func (a *app) runDemo(ctx context.Context, f demoFlags) error {
	if f.clients < demo.MinClients || f.clients > 1_000_000 {
		return usageError{fmt.Errorf("--clients %d: use %d to 1000000 (fewer clients cannot hold every kind of anomaly at every severity)", f.clients, demo.MinClients)}
	}
	now, err := parseNow(f.now)
	if err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if f.reset {
		if postgres.IsURL(a.dbURL) {
			return usageError{errors.New("--reset only deletes an embedded (SQLite) database file; it never drops PostgreSQL data")}
		}
		path := sqlitePath(a.dbURL)
		if err := checkDatabaseURL(a.dbURL); err != nil {
			return err
		}
		if err := checkResettable(path); err != nil {
			return err
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("reset: %w", err)
			}
		}
	}
	st, err := a.openMigrated(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()

	rep, err := st.Doctor(ctx, now)
	if err != nil {
		return fmt.Errorf("inspect the database: %w", err)
	}
	var existing int64
	for _, t := range rep.Tables {
		if t.Table != proactive.TableInsights {
			existing += t.Rows
		}
	}
	out := a.io.Stdout
	if existing == 0 {
		ds := demo.Generate(demo.Options{Now: now, Clients: f.clients, Seed: f.seed})
		if err := demo.Load(ctx, st, ds); err != nil {
			return err
		}
		c := ds.Counts()
		if !f.json {
			termtext.Fprintf(out, "Built %s with sample data: %s (%s), %s, %s, %s.\n\n",
				rep.Database, termtext.Count(f.clients, "client"), termtext.Count(c[proactive.TableHealthScores], "health reading"),
				termtext.Count(c[proactive.TableDeals], "deal"), termtext.Count(c[proactive.TableSyncErrors], "sync error"), termtext.Count(c[proactive.TableLeads], "lead"))
		}
	} else if !f.json {
		termtext.Fprintf(out, "Using the %s already in %s (--reset rebuilds it).\n\n", termtext.Count(int(existing), "source row"), rep.Database)
	}

	notifier, err := a.newNotifier(cfg, st, nil)
	if err != nil {
		return err
	}
	sc, err := a.newScanner(cfg, st, nil, notifier.scanRouter())
	if err != nil {
		return err
	}
	res, err := sc.Run(ctx, scan.Params{Now: now, Trigger: scan.TriggerDemo})
	if err != nil {
		return exitError{code: ExitFailure, err: fmt.Errorf("the scan could not run: %s", errorText(err))}
	}
	notifier.drain(ctx, defaultNotifyTimeout)
	if f.json {
		return writeJSON(out, res)
	}
	renderScan(out, res, reportOptions{TopEntities: 3, Registry: a.reg, Style: a.style})
	termtext.Fprintln(out)
	switch {
	case res.AlertsSaved == 0 && res.DuplicatesSkipped > 0:
		what := "all " + termtext.Count(res.DuplicatesSkipped, "alert group") + " were"
		if res.DuplicatesSkipped == 1 {
			what = "the one alert group was"
		}
		termtext.Fprintf(out, "No duplicates stored: %s already alerted within the dedup window.\n", what)
	default:
		termtext.Fprintln(out, "Run the demo again: the second scan stores no duplicates.")
	}
	termtext.Fprintln(out, "See the alerts with 'ptd-proactive alerts' (one in full: 'ptd-proactive alerts show ID'), the cases they track with\n'ptd-proactive cases', or the dashboard with 'ptd-proactive serve'.")
	return nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// checkResettable refuses to let --reset delete anything but a SQLite
// database file (or an empty file): a mistyped --db must not delete a
// document or a directory.
func checkResettable(path string) error {
	if err := checkSQLitePath(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if n == 0 || (err == nil && string(head) == sqliteHeader) {
		return nil
	}
	return fmt.Errorf("--reset: %s is not a SQLite database, so it is not deleted: point --db at the demo's database file (default %s)", path, DefaultDatabase)
}
