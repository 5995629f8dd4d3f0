package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptd-agents/ptd-proactive/bench"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

func (a *app) benchCommand() *cobra.Command {
	var (
		scales       []string
		variants     []string
		sqliteScales []string
		noSQLite     bool
		runs         int
		keep         bool
		now          string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure full scans on PostgreSQL (and SQLite) at several scales",
		Long: `Generate deterministic data at each scale (clients × 14 daily health readings,
as many deals, half as many sync errors, as many leads) into a fresh PostgreSQL
database beside --db (one per scale and data variant, dropped after unless --keep),
create the indexes migrate creates, run this binary's scan --runs times after a
warm-up, and print a Markdown table: median scan time (the scan's duration_ms), median
wall time of the process, its peak RSS, rows read per second, the time of bare
count(*) queries over the same windows measured between the scans (the floor no scan
can beat) and the ratio of the two. Between scans the desk's tables are vacuumed
(VACUUM ANALYZE), as autovacuum does between scans 15 minutes apart. Then the cost
of case state: the same scan without cases (dry run, scan --without-cases), as a
dry run, steady and first (every case opened); and the early-warning checks' cost.

Scales: small (1,000 clients), medium (10,000), large (100,000), xlarge (1,000,000:
14 million readings, several GB of disk) or a number of clients. Data variants:
typical (about 3% anomalous) and high (the shared harness's anomaly share: at 100,000
clients about 5,700 health drops, 31,000 stalled deals, 29,000 waiting leads).

At the --sqlite-scales the data is also copied into an embedded SQLite file and
dry-run scans of both stores are compared on it (time, RSS, same result).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := parseNow(now)
			if err != nil {
				return err
			}
			if !postgres.IsURL(a.dbURL) {
				return usageError{errors.New("bench needs a PostgreSQL --db (postgres://…) whose user may create databases")}
			}
			if runs < 1 {
				return usageError{fmt.Errorf("--runs %d: measure at least 1 scan per scale", runs)}
			}
			if len(scales) == 0 {
				return usageError{errors.New("--scales is empty: give scales such as small,medium or 1000,10000")}
			}
			o := bench.Options{AdminURL: a.dbURL, Runs: runs, Keep: keep, Log: a.io.Stderr, Now: t}
			for _, s := range scales {
				sc, err := bench.ParseScale(s)
				if err != nil {
					return usageError{fmt.Errorf("--scales: %w", err)}
				}
				o.Scales = append(o.Scales, sc)
			}
			for _, v := range variants {
				if !isVariant(v) {
					return usageError{fmt.Errorf("--variants %q: use typical or high", v)}
				}
				o.Variants = append(o.Variants, bench.Variant(v))
			}
			for _, s := range sqliteScales {
				sc, err := bench.ParseScale(s)
				if err != nil {
					return usageError{fmt.Errorf("--sqlite-scales: %w", err)}
				}
				o.SQLiteScales = append(o.SQLiteScales, sc.Clients)
			}
			if o.Binary, err = os.Executable(); err != nil {
				return fmt.Errorf("find this binary: %w", err)
			}
			o.Prepare = migratePostgres
			if !noSQLite {
				o.OpenSQLite = openSQLiteTarget
			}
			rs, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			bench.Print(a.io.Stdout, rs, runs)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&scales, "scales", []string{"small", "medium", "large"}, "scales to measure: small, medium, large, xlarge or client counts (env PTD_SCALES)")
	fl.StringSliceVar(&variants, "variants", []string{string(bench.Typical)}, "data variants: typical, high (env PTD_VARIANTS)")
	fl.StringSliceVar(&sqliteScales, "sqlite-scales", []string{"medium"}, "scales at which SQLite dry runs are compared with PostgreSQL on the same data (env PTD_SQLITE_SCALES)")
	fl.BoolVar(&noSQLite, "no-sqlite", false, "skip the SQLite comparison (env PTD_NO_SQLITE)")
	fl.IntVar(&runs, "runs", 5, "measured scans per scale, after one warm-up (env PTD_RUNS)")
	fl.BoolVar(&keep, "keep", false, "keep the generated databases and SQLite files (env PTD_KEEP)")
	fl.StringVar(&now, "now", "", "the moment the data leads up to, default now (the scans then run live); a past time makes them read the tables as of then: "+timeForms+" (env PTD_NOW)")
	return cmd
}

// isVariant reports whether v names a bench data variant.
func isVariant(v string) bool {
	for _, known := range bench.Variants() {
		if string(known) == v {
			return true
		}
	}
	return false
}

// migratePostgres creates what migrate creates in the bench database at
// dbURL: the indexes the checks read through.
func migratePostgres(ctx context.Context, dbURL string) error {
	st, err := postgres.Open(ctx, dbURL, postgres.Options{StatementTimeout: time.Hour})
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.Migrate(ctx)
	return err
}

// openSQLiteTarget opens the SQLite file the bench copies its data into.
func openSQLiteTarget(ctx context.Context, path string) (bench.Target, error) {
	return sqlite.Open(ctx, path)
}
