package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ptd-agents/ptd-proactive/bench"
)

func (a *app) benchCommand() *cobra.Command {
	var (
		scales []int
		runs   int
		keep   bool
		now    string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure full scans on PostgreSQL at 1k, 10k and 100k clients",
		Long: `Generate deterministic data at each scale (clients × 14 daily health readings,
as many deals, half as many sync errors, as many leads) into a fresh PostgreSQL
database beside --db (one per scale, dropped after unless --keep), run this binary's
scan --runs times after a warm-up, and print a Markdown table: median scan time, peak
RSS of the scanning process, rows read per second, the time of bare count(*) queries
over the same windows (the floor no scan can beat) and the ratio of the two.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !isPostgresURL(a.dbURL) {
				return usageError{errors.New("bench needs a PostgreSQL --db (postgres://…) whose user may create databases")}
			}
			if runs < 1 {
				return usageError{fmt.Errorf("--runs %d: measure at least 1 scan per scale", runs)}
			}
			if len(scales) == 0 {
				return usageError{errors.New("--scales is empty: give client counts such as 1000,10000")}
			}
			for _, n := range scales {
				if n < 1 || n > 10_000_000 {
					return usageError{fmt.Errorf("--scales %d: use client counts from 1 to 10000000", n)}
				}
			}
			t, err := parseNow(now)
			if err != nil {
				return err
			}
			if now == "" {
				t = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find this binary: %w", err)
			}
			rs, err := bench.Run(cmd.Context(), bench.Options{
				AdminURL: a.dbURL, Scales: scales, Runs: runs, Binary: self, Now: t, Keep: keep, Log: a.io.Stderr,
			})
			if err != nil {
				return err
			}
			bench.Print(a.io.Stdout, rs, runs)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&scales, "scales", []int{1_000, 10_000, 100_000}, "client counts to measure (env PTD_SCALES)")
	fl.IntVar(&runs, "runs", 5, "measured scans per scale, after one warm-up (env PTD_RUNS)")
	fl.BoolVar(&keep, "keep", false, "keep the generated databases (env PTD_KEEP)")
	fl.StringVar(&now, "now", "", "the moment the data leads up to (default 2026-01-15T12:00:00Z) (env PTD_NOW)")
	return cmd
}
