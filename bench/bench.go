// Package bench measures a full scan on PostgreSQL at several scales: it
// generates deterministic data (clients × 14 daily readings, deals, sync
// errors, leads) into a fresh database per scale, runs the real
// ptd-proactive binary's scan several times, and prints the median scan
// time, the peak RSS of the scanning process, the rows read per second and,
// beside them, the time of bare count(*) queries over the same windows: the
// floor no scan can beat.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ptd-agents/ptd-proactive/postgres"
)

// Options configure a benchmark run.
type Options struct {
	// AdminURL is a PostgreSQL URL whose user may create databases; one
	// database per scale is created beside it and dropped after.
	AdminURL string
	// Scales are the client counts to measure (default 1,000, 10,000, 100,000).
	Scales []int
	// Runs is the number of measured scans per scale (default 5), after one warm-up.
	Runs int
	// Binary is the ptd-proactive executable that scans (its peak RSS is measured).
	Binary string
	// Now is the moment the data leads up to and the scans evaluate at.
	Now time.Time
	// Keep leaves the databases in place for inspection.
	Keep bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Result is the measurement of one scale.
type Result struct {
	// Clients is the scale: clients with 14 daily readings each.
	Clients int `json:"clients"`
	// WindowRows are the rows the four checks must look at.
	WindowRows int64 `json:"window_rows"`
	// ScanMedian is the median of the measured scans' own duration_ms.
	ScanMedian time.Duration `json:"scan_median_ns"`
	// PeakRSS is the largest peak resident set of a scanning process, in bytes.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// RowsPerSec is WindowRows over ScanMedian.
	RowsPerSec float64 `json:"rows_per_second"`
	// Floor is the median time of the bare count(*) queries over the windows.
	Floor time.Duration `json:"count_floor_ns"`
	// Anomalies is what the scan found.
	Anomalies int `json:"anomalies"`
	// Seed is how long generating the data, migrating and indexing took.
	Seed time.Duration `json:"seed_ns"`
}

// Ratio is the scan time over the count(*) floor.
func (r Result) Ratio() float64 {
	if r.Floor <= 0 {
		return 0
	}
	return float64(r.ScanMedian) / float64(r.Floor)
}

// Run measures every scale and returns the results in order.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if len(o.Scales) == 0 {
		o.Scales = []int{1_000, 10_000, 100_000}
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	var out []Result
	for _, n := range o.Scales {
		r, err := runScale(ctx, o, n)
		if err != nil {
			return out, fmt.Errorf("bench %d clients: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func runScale(ctx context.Context, o Options, clients int) (Result, error) {
	res := Result{Clients: clients}
	// One database per scale and process, so that two runs never drop
	// each other's.
	name := fmt.Sprintf("ptd_bench_%d_%d", clients, os.Getpid())
	dbURL, err := withDatabase(o.AdminURL, name)
	if err != nil {
		return res, err
	}
	admin, err := pgx.Connect(ctx, o.AdminURL)
	if err != nil {
		return res, fmt.Errorf("connect to %s: %w", postgres.Redact(o.AdminURL), err)
	}
	defer admin.Close(context.Background())
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return res, fmt.Errorf("drop old %s: %w", name, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return res, fmt.Errorf("create %s: %w", name, err)
	}
	if !o.Keep {
		defer admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	}

	fmt.Fprintf(o.Log, "%d clients: generating data in database %s…\n", clients, name)
	start := time.Now()
	if err := postgres.SeedBench(ctx, dbURL, clients, o.Now, 1); err != nil {
		return res, err
	}
	st, err := postgres.Open(ctx, dbURL, postgres.Options{StatementTimeout: 10 * time.Minute})
	if err != nil {
		return res, err
	}
	_, err = st.Migrate(ctx) // the indexes the checks need, as a user's migrate creates them
	st.Close()
	if err != nil {
		return res, err
	}
	res.Seed = time.Since(start)

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return res, fmt.Errorf("vacuum analyze: %w", err)
	}

	floors := make([]time.Duration, 0, o.Runs)
	for range o.Runs + 1 {
		d, rows, err := countFloor(ctx, dbURL, o.Now)
		if err != nil {
			return res, err
		}
		floors = append(floors, d)
		res.WindowRows = rows
	}
	res.Floor = median(floors[1:])

	fmt.Fprintf(o.Log, "%d clients: %d rows in the windows; scanning…\n", clients, res.WindowRows)
	scans := make([]time.Duration, 0, o.Runs)
	for i := range o.Runs + 1 {
		if _, err := conn.Exec(ctx, "DELETE FROM ptd_notifications; DELETE FROM proactive_insights"); err != nil {
			return res, fmt.Errorf("clear alerts between runs: %w", err)
		}
		d, rss, anomalies, err := scanOnce(ctx, o.Binary, dbURL, o.Now)
		if err != nil {
			return res, err
		}
		if i == 0 {
			continue // warm-up
		}
		scans = append(scans, d)
		res.PeakRSS = max(res.PeakRSS, rss)
		res.Anomalies = anomalies
	}
	res.ScanMedian = median(scans)
	if res.ScanMedian > 0 {
		res.RowsPerSec = float64(res.WindowRows) / res.ScanMedian.Seconds()
	}
	return res, nil
}

// floorQueries count the rows of each check's window: what any scan must
// at least read.
func floorQueries() []string {
	return []string{
		`SELECT count(*) FROM client_health_scores WHERE calculated_at >= $1::timestamptz - interval '14 days' AND calculated_at <= $1`,
		`SELECT count(*) FROM deals WHERE lower(stage) IN ('assessment','proposal','negotiation','trial')`,
		`SELECT count(*) FROM sync_errors WHERE resolved_at IS NULL AND created_at >= $1::timestamptz - interval '24 hours' AND created_at <= $1`,
		`SELECT count(*) FROM leads WHERE lower(status) = 'new' AND last_contact_date IS NULL`,
	}
}

// countFloor runs the four counts concurrently, as a scan runs its checks,
// each on its own connection, and returns the wall time and the total.
func countFloor(ctx context.Context, dbURL string, now time.Time) (time.Duration, int64, error) {
	qs := floorQueries()
	conns := make([]*pgx.Conn, len(qs))
	for i := range qs {
		c, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return 0, 0, fmt.Errorf("connect: %w", err)
		}
		defer c.Close(context.Background())
		conns[i] = c
	}
	counts := make([]int64, len(qs))
	errs := make([]error, len(qs))
	start := time.Now()
	var wg sync.WaitGroup
	for i, q := range qs {
		wg.Go(func() {
			args := []any{}
			if strings.Contains(q, "$1") {
				args = append(args, now)
			}
			errs[i] = conns[i].QueryRow(ctx, q, args...).Scan(&counts[i])
		})
	}
	wg.Wait()
	d := time.Since(start)
	var total int64
	for i, err := range errs {
		if err != nil {
			return 0, 0, fmt.Errorf("count floor %d: %w", i, err)
		}
		total += counts[i]
	}
	return d, total, nil
}

// scanOnce runs the binary's scan and returns its own duration_ms, the
// process's peak RSS and the anomalies found.
func scanOnce(ctx context.Context, binary, dbURL string, now time.Time) (time.Duration, int64, int, error) {
	cmd := exec.CommandContext(ctx, binary, "scan", "--json", "--no-migrate", "--log-level", "error",
		"--db", dbURL, "--now", now.Format(time.RFC3339))
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		return 0, 0, 0, fmt.Errorf("scan: %w: %s", err, msg)
	}
	var resp struct {
		Success    bool  `json:"success"`
		DurationMS int64 `json:"duration_ms"`
		Anomalies  int   `json:"anomalies_detected"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || !resp.Success {
		return 0, 0, 0, fmt.Errorf("scan answered %s (%v)", out, err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return time.Duration(resp.DurationMS) * time.Millisecond, rss, resp.Anomalies, nil
}

// withDatabase returns adminURL with its database name replaced.
func withDatabase(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		// url.Error repeats the URL, password and all: keep only its reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("parse %s: %w", postgres.Redact(adminURL), err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// median returns the middle duration (the upper one of an even count), 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// Print writes the results as a Markdown table.
func Print(w io.Writer, rs []Result, runs int) {
	fmt.Fprintf(w, "| clients | rows in windows | scan (median of %d) | peak RSS | rows read/s | count(*) floor | scan ÷ floor | anomalies |\n", runs)
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %d | %d | %d ms | %.1f MB | %.2f M | %d ms | %.1f× | %d |\n",
			r.Clients, r.WindowRows, r.ScanMedian.Milliseconds(), float64(r.PeakRSS)/1e6,
			r.RowsPerSec/1e6, r.Floor.Milliseconds(), r.Ratio(), r.Anomalies)
	}
}
