// Package bench measures full scans at several scales: it generates
// deterministic data (clients × 14 daily readings, deals, sync errors,
// leads; see Seed) into a fresh PostgreSQL database per scale and data
// variant, runs the real ptd-proactive binary's scan several times, and
// reports the median scan time, the median wall time of the process, its
// peak RSS and, measured in the same run, the time of the bare count(*)
// queries over the same windows: the floor no scan can beat. At the scales
// asked for it also copies the data into an embedded SQLite file and
// compares dry-run scans of both stores on the same data.
//
// The package knows no store: whatever must be done through the product's
// adapters (creating the indexes a user's migrate creates, opening a SQLite
// file to copy the data into) is a function of Options that the caller
// wires in.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// Scale is a number of clients, with its name when it has one.
type Scale struct {
	Name    string `json:"name,omitempty"`
	Clients int    `json:"clients"`
}

// String returns the name, or the number of clients.
func (s Scale) String() string {
	if s.Name != "" {
		return s.Name
	}
	return strconv.Itoa(s.Clients)
}

// NamedScales are the scales known by name: small (1,000 clients, 14,000
// readings), medium (10,000), large (100,000) and xlarge (1,000,000
// clients, 14 million readings). The first three are the shared harness's.
func NamedScales() []Scale {
	return []Scale{{"small", 1_000}, {"medium", 10_000}, {"large", 100_000}, {"xlarge", 1_000_000}}
}

// ParseScale reads a scale: a name of NamedScales or a number of clients
// (1 to 10,000,000).
func ParseScale(s string) (Scale, error) {
	s = strings.TrimSpace(s)
	for _, n := range NamedScales() {
		if strings.EqualFold(s, n.Name) {
			return n, nil
		}
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || n < 1 || n > 10_000_000 {
		return Scale{}, fmt.Errorf("scale %q: use small, medium, large, xlarge or a number of clients from 1 to 10000000", s)
	}
	for _, named := range NamedScales() {
		if named.Clients == n {
			return named, nil
		}
	}
	return Scale{Clients: n}, nil
}

// Target is an embedded store the data is copied into for the SQLite
// comparison: it takes rows and creates its indexes.
type Target interface {
	proactive.Importer
	Migrate(ctx context.Context) (proactive.MigrateReport, error)
	Close() error
}

// Options configure a benchmark run.
type Options struct {
	// AdminURL is a PostgreSQL URL whose user may create databases; one
	// database per scale and variant is created beside it and dropped after.
	AdminURL string
	// Scales are the scales to measure (default small, medium, large).
	Scales []Scale
	// Variants are the data shapes to measure at each scale (default Typical).
	Variants []Variant
	// Runs is the number of measured scans per scale (default 5), after one warm-up.
	Runs int
	// Binary is the ptd-proactive executable that scans (its peak RSS is measured).
	Binary string
	// Now is the moment the data leads up to. Zero means the current
	// time, and then the scans run live (no --now), as a scheduled scan
	// does. A Now given is passed to every scan as --now: a past one makes
	// the scans read the tables as they stood then (a backtest's reads),
	// which on PostgreSQL scan the sync errors and leads whole.
	Now time.Time
	// live is set by validate when Now defaulted to the current time.
	live bool
	// workDir is where the scans run, an empty directory; earlyWarning
	// is a settings file in it enabling the two early-warning checks
	// besides the four. Run sets both.
	workDir, earlyWarning string
	// Keep leaves the databases (and SQLite files) in place for inspection.
	Keep bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Prepare creates, in the freshly seeded database at dbURL, what the
	// product's migrate creates (the indexes the checks read through).
	// Required.
	Prepare func(ctx context.Context, dbURL string) error
	// OpenSQLite opens (creating it) an embedded database file to copy the
	// data into; nil skips the SQLite comparison.
	OpenSQLite func(ctx context.Context, path string) (Target, error)
	// SQLiteScales are the client counts at which SQLite is compared
	// (default 10,000: medium).
	SQLiteScales []int
	// Dir holds the SQLite files; default a temporary directory.
	Dir string
}

// Result is the measurement of one scale and variant.
type Result struct {
	Scale   Scale   `json:"scale"`
	Variant Variant `json:"variant"`
	// WindowRows are the rows the four checks must look at.
	WindowRows int64 `json:"window_rows"`
	// ScanMedian is the median of the measured scans' own duration_ms.
	ScanMedian time.Duration `json:"scan_median_ns"`
	// WallMedian is the median wall time of the scanning process, start-up,
	// connection and exit included.
	WallMedian time.Duration `json:"wall_median_ns"`
	// PeakRSS is the largest peak resident set of a scanning process, in bytes.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// RowsPerSec is WindowRows over ScanMedian.
	RowsPerSec float64 `json:"rows_per_second"`
	// Floor is the median time of the bare count(*) queries over the
	// windows, run concurrently, measured between the scans of this run.
	Floor time.Duration `json:"count_floor_ns"`
	// Anomalies is what the scan found.
	Anomalies int `json:"anomalies"`
	// Seed is how long generating the data, migrating and analysing took.
	Seed time.Duration `json:"seed_ns"`
	// SQLite is the dry-run comparison with the embedded store; nil when
	// not measured at this scale.
	SQLite *Comparison `json:"sqlite,omitempty"`
	// Cases is what keeping case state costs on PostgreSQL.
	Cases CaseCost `json:"cases"`
	// EarlyWarning is the median dry run with health_forecast and
	// health_anomaly besides the four checks, their cases already open
	// (compare Cases.Dry).
	EarlyWarning time.Duration `json:"early_warning_dry_ns"`
}

// CaseCost compares the scan's time with and without case state on one
// store and data: the same scan as a dry run (reads and decisions, nothing
// written), the steady scan (every case already open: only what changed is
// written) and the first scan (every case opened in that scan).
type CaseCost struct {
	// Without is the same dry run without case state (scan
	// --without-cases: every anomaly actionable, no case read or written).
	Without time.Duration `json:"without_cases_ns"`
	Dry     time.Duration `json:"dry_ns"`
	Steady  time.Duration `json:"steady_ns"`
	First   time.Duration `json:"first_ns"`
	// Open is the number of open cases after the scan.
	Open int `json:"open_cases"`
}

// SteadyRatio is the steady scan's time over the scan's without cases.
func (c CaseCost) SteadyRatio() float64 { return ratio(c.Steady, c.Without) }

// FirstRatio is the first scan's time over the scan's without cases.
func (c CaseCost) FirstRatio() float64 { return ratio(c.First, c.Without) }

// ratio is a over b, 0 when b is not positive.
func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Comparison is a dry-run scan of the same data on PostgreSQL and SQLite.
type Comparison struct {
	// Postgres and SQLite are the median scan times (duration_ms) of the
	// dry runs; the walls are the processes' median wall times.
	Postgres     time.Duration `json:"postgres_ns"`
	SQLite       time.Duration `json:"sqlite_ns"`
	PostgresWall time.Duration `json:"postgres_wall_ns"`
	SQLiteWall   time.Duration `json:"sqlite_wall_ns"`
	// SQLiteRSS is the peak RSS of a SQLite scanning process, in bytes.
	SQLiteRSS int64 `json:"sqlite_peak_rss_bytes"`
	// Same reports whether both scans found the same anomalies, groups,
	// insights and skipped rows.
	Same bool `json:"same_result"`
	// Cases is what keeping case state costs on SQLite.
	Cases CaseCost `json:"cases"`
}

// Ratio is the SQLite scan time over the PostgreSQL one.
func (c Comparison) Ratio() float64 {
	if c.Postgres <= 0 {
		return 0
	}
	return float64(c.SQLite) / float64(c.Postgres)
}

// Ratio is the scan time over the count(*) floor.
func (r Result) Ratio() float64 {
	if r.Floor <= 0 {
		return 0
	}
	return float64(r.ScanMedian) / float64(r.Floor)
}

// validate fills in the defaults.
func (o Options) validate() (Options, error) {
	if o.Prepare == nil {
		return o, errors.New("bench: Options.Prepare is required")
	}
	if o.Binary == "" {
		return o, errors.New("bench: Options.Binary is required")
	}
	if len(o.Scales) == 0 {
		o.Scales = NamedScales()[:3]
	}
	if len(o.Variants) == 0 {
		o.Variants = []Variant{Typical}
	}
	for _, v := range o.Variants {
		if _, err := v.steps(); err != nil {
			return o, fmt.Errorf("bench: %w", err)
		}
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(time.Second)
		o.live = true
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if len(o.SQLiteScales) == 0 {
		o.SQLiteScales = []int{10_000}
	}
	return o, nil
}

// scanNow is the --now the scans get: none (zero) when live.
func (o Options) scanNow() time.Time {
	if o.live {
		return time.Time{}
	}
	return o.Now
}

// Run measures every scale of every variant and returns the results in
// order (variants within scales).
func Run(ctx context.Context, o Options) ([]Result, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	if o.OpenSQLite != nil && o.Dir == "" {
		dir, err := os.MkdirTemp("", "ptd-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: temporary directory: %w", err)
		}
		if !o.Keep {
			defer os.RemoveAll(dir)
		}
		o.Dir = dir
	}
	work, err := os.MkdirTemp("", "ptd-bench-run-")
	if err != nil {
		return nil, fmt.Errorf("bench: temporary directory: %w", err)
	}
	defer os.RemoveAll(work)
	o.workDir, o.earlyWarning = work, filepath.Join(work, "early-warning.yaml")
	ew := "checks: [health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly]\n"
	if err := os.WriteFile(o.earlyWarning, []byte(ew), 0o600); err != nil {
		return nil, fmt.Errorf("bench: settings file: %w", err)
	}
	var out []Result
	for _, s := range o.Scales {
		for _, v := range o.Variants {
			r, err := runScale(ctx, o, s, v)
			if err != nil {
				return out, fmt.Errorf("bench %s %s: %w", s, v, err)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// runScale seeds one database and measures it.
func runScale(ctx context.Context, o Options, s Scale, v Variant) (Result, error) {
	res := Result{Scale: s, Variant: v}
	// One database per scale, variant and process, so that two runs never
	// drop each other's.
	name := fmt.Sprintf("ptd_bench_%d_%s_%d", s.Clients, v, os.Getpid())
	dbURL, err := withDatabase(o.AdminURL, name)
	if err != nil {
		return res, err
	}
	admin, err := pgx.Connect(ctx, o.AdminURL)
	if err != nil {
		return res, fmt.Errorf("connect to %s: %w", redact(o.AdminURL), err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return res, fmt.Errorf("drop old %s: %w", name, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return res, fmt.Errorf("create %s: %w", name, err)
	}
	if !o.Keep {
		defer admin.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	}

	fmt.Fprintf(o.Log, "%s (%s, %s data): generating data in database %s…\n", s, termtext.Count(s.Clients, "client"), v, name)
	start := time.Now()
	if err := Seed(ctx, dbURL, v, s.Clients, o.Now, 1); err != nil {
		return res, err
	}
	if err := o.Prepare(ctx, dbURL); err != nil {
		return res, fmt.Errorf("prepare: %w", err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return res, fmt.Errorf("vacuum analyze: %w", err)
	}
	res.Seed = time.Since(start)

	fmt.Fprintf(o.Log, "%s %s: seeded in %s; scanning and counting…\n", s, v, res.Seed.Round(time.Second))
	// Scans and counts alternate, so that both see the same cache and load.
	var scans, walls, floors, withouts []time.Duration
	clearAlerts := func() error {
		if _, err := conn.Exec(ctx, "DELETE FROM ptd_notifications; DELETE FROM proactive_insights"); err != nil {
			return fmt.Errorf("clear alerts between runs: %w", err)
		}
		return nil
	}
	for i := range o.Runs + 1 {
		if err := vacuumDesk(ctx, conn); err != nil {
			return res, err
		}
		// The scan without cases runs beside each steady scan, so that
		// the ratio of the two sees the same cache and load. Each finds
		// no alert of the day stored and starts once the server has
		// settled; they take turns to go first, so that neither always
		// runs in the wake of the other (a commit's writes, a vacuum's).
		sr, wo, err := o.pair(ctx, dbURL, pairOrder(i), clearAlerts)
		if err != nil {
			return res, err
		}
		f, rows, err := countFloor(ctx, dbURL, o.Now)
		if err != nil {
			return res, err
		}
		res.WindowRows = rows
		if i == 0 {
			continue // warm-up
		}
		withouts = append(withouts, wo.scan)
		scans = append(scans, sr.scan)
		walls = append(walls, sr.wall)
		floors = append(floors, f)
		res.PeakRSS = max(res.PeakRSS, sr.rss)
		res.Anomalies = sr.anomalies
		res.Cases.Open = sr.openCases
	}
	res.ScanMedian, res.WallMedian, res.Floor = median(scans), median(walls), median(floors)
	res.Cases.Steady, res.Cases.Without = res.ScanMedian, median(withouts)
	fmt.Fprintf(o.Log, "%s %s: measuring case state (dry runs, first scans)…\n", s, v)
	var dries, firsts, early []time.Duration
	for range min(o.Runs, 3) {
		if err := vacuumDesk(ctx, conn); err != nil {
			return res, err
		}
		dr, err := o.scan(ctx, dbURL, dry)
		if err != nil {
			return res, err
		}
		dries = append(dries, dr.scan)
		// Early warning as it runs once enabled: a scan with the six
		// checks first opens their cases (a one-off, unmeasured), then
		// the measured dry run finds them open, as every later scan does.
		if _, err := o.scan(ctx, dbURL, wet, o.earlyWarning); err != nil {
			return res, err
		}
		if err := vacuumDesk(ctx, conn); err != nil {
			return res, err
		}
		er, err := o.scan(ctx, dbURL, dry, o.earlyWarning)
		if err != nil {
			return res, err
		}
		early = append(early, er.scan)
		if _, err := conn.Exec(ctx, "TRUNCATE ptd_case_events, ptd_resolve_notices, ptd_cases, ptd_notifications, proactive_insights"); err != nil {
			return res, fmt.Errorf("clear cases before a first scan: %w", err)
		}
		fr, err := o.scan(ctx, dbURL, wet)
		if err != nil {
			return res, err
		}
		firsts = append(firsts, fr.scan)
	}
	res.Cases.Dry, res.Cases.First = median(dries), median(firsts)
	res.EarlyWarning = median(early)
	if res.ScanMedian > 0 {
		res.RowsPerSec = float64(res.WindowRows) / res.ScanMedian.Seconds()
	}

	if o.OpenSQLite != nil && slices.Contains(o.SQLiteScales, s.Clients) {
		c, err := compareSQLite(ctx, o, dbURL, s, v)
		if err != nil {
			return res, err
		}
		res.SQLite = &c
	}
	return res, nil
}

// pairOrder is the order of run i's scan without cases and steady scan:
// each goes first in every other run.
func pairOrder(i int) [2]mode {
	if i%2 == 0 {
		return [2]mode{dryWithoutCases, wet}
	}
	return [2]mode{wet, dryWithoutCases}
}

// pair runs the steady (wet) scan and the scan without cases on db in
// order, each after before (when given) and settle, and returns them.
func (o Options) pair(ctx context.Context, db string, order [2]mode, before func() error) (steady, without scanRun, err error) {
	for _, m := range order {
		if before != nil {
			if err := before(); err != nil {
				return steady, without, err
			}
		}
		if err := settle(ctx); err != nil {
			return steady, without, err
		}
		r, err := o.scan(ctx, db, m)
		if err != nil {
			return steady, without, err
		}
		if m == wet {
			steady = r
		} else {
			without = r
		}
	}
	return steady, without, nil
}

// settleTime is how long a measured scan waits after the bench's own
// writes (a vacuum, cleared alerts) and the scan before it, so that the
// server's background work on those (writing dirty pages and WAL) does
// not land in the scan's time, and each scan of a pair starts as the
// other does.
const settleTime = 500 * time.Millisecond

// settle waits settleTime, or until ctx ends.
func settle(ctx context.Context) error {
	t := time.NewTimer(settleTime)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// vacuumDesk vacuums the desk's tables between scans, as autovacuum does
// on a production server between scans 15 minutes apart: each scan of the
// high data refreshes tens of thousands of cases, and a server that runs
// no autovacuum (a test machine) would otherwise measure each scan over
// the dead rows of all the ones before.
func vacuumDesk(ctx context.Context, conn *pgx.Conn) error {
	for _, t := range []string{"ptd_cases", "ptd_case_events", "proactive_insights", "ptd_notifications"} {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return fmt.Errorf("vacuum %s between scans: %w", t, err)
		}
	}
	return nil
}

// compareSQLite copies the database at dbURL into a SQLite file and runs
// dry-run scans of both, alternating.
func compareSQLite(ctx context.Context, o Options, dbURL string, s Scale, v Variant) (Comparison, error) {
	var c Comparison
	path := filepath.Join(o.Dir, fmt.Sprintf("bench-%d-%s.db", s.Clients, v))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
	fmt.Fprintf(o.Log, "%s %s: copying the data into %s…\n", s, v, path)
	if err := copyToSQLite(ctx, o, dbURL, path); err != nil {
		return c, err
	}
	// The copy holds no cases: its first scan opens them all, the next
	// ones keep them (and find their group alerts already stored).
	// The first run's wet scan goes first (it opens the cases); then the
	// two take turns, as on PostgreSQL.
	var steady, withouts []time.Duration
	for i := range o.Runs + 1 {
		order := pairOrder(i)
		if i == 0 {
			order = [2]mode{wet, dryWithoutCases}
		}
		lite, wo, err := o.pair(ctx, "sqlite:"+path, order, nil)
		if err != nil {
			return c, err
		}
		withouts = append(withouts, wo.scan)
		if i == 0 {
			c.Cases.First = lite.scan
			continue
		}
		steady = append(steady, lite.scan)
		c.Cases.Open = lite.openCases
	}
	c.Cases.Steady, c.Cases.Without = median(steady), median(withouts)
	// Then dry runs of both, alternating, each store holding the cases
	// of the same data (a dry run on the bare copy would open them all).
	var pgScan, pgWall, liteScan, liteWall []time.Duration
	var pgOut, liteOut []byte
	for i := range o.Runs + 1 {
		pg, err := o.scan(ctx, dbURL, dry)
		if err != nil {
			return c, err
		}
		lite, err := o.scan(ctx, "sqlite:"+path, dry)
		if err != nil {
			return c, err
		}
		pgOut, liteOut = pg.out, lite.out
		if i == 0 {
			continue
		}
		pgScan, pgWall = append(pgScan, pg.scan), append(pgWall, pg.wall)
		liteScan, liteWall = append(liteScan, lite.scan), append(liteWall, lite.wall)
		c.SQLiteRSS = max(c.SQLiteRSS, lite.rss)
	}
	c.Postgres, c.PostgresWall = median(pgScan), median(pgWall)
	c.SQLite, c.SQLiteWall = median(liteScan), median(liteWall)
	c.Cases.Dry = c.SQLite
	same, err := sameResult(pgOut, liteOut)
	if err != nil {
		return c, err
	}
	c.Same = same
	return c, nil
}

// copyColumns is, per source table, the columns copied to SQLite and the
// expression that reads each (numbers as float8 or int8, so that they
// arrive as Go float64 and int64).
func copyColumns(table string) (cols, exprs []string) {
	cols = proactive.SourceColumns(table)
	exprs = make([]string, len(cols))
	for i, c := range cols {
		switch c {
		case "id", "contact_id":
			exprs[i] = c + "::text"
		case "amount", "health_score":
			exprs[i] = c + "::float8"
		case "retry_count":
			exprs[i] = c + "::int8"
		default:
			exprs[i] = c
		}
	}
	return cols, exprs
}

// copyToSQLite copies the four source tables from PostgreSQL into a new
// SQLite file through the store's importer, then migrates it (its indexes).
func copyToSQLite(ctx context.Context, o Options, dbURL, path string) error {
	dst, err := o.OpenSQLite(ctx, path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer dst.Close()
	if _, err := dst.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", path, err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const batch = 50_000
	for _, table := range proactive.SourceTables() {
		cols, exprs := copyColumns(table)
		rows, err := conn.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+table)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		buf := make([]proactive.Row, 0, batch)
		flush := func() error {
			if len(buf) == 0 {
				return nil
			}
			err := dst.InsertRows(ctx, table, cols, buf)
			buf = buf[:0]
			return err
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", table, err)
			}
			r := make(proactive.Row, len(cols))
			for i, c := range cols {
				r[c] = vals[i]
			}
			if buf = append(buf, r); len(buf) == batch {
				if err := flush(); err != nil {
					rows.Close()
					return fmt.Errorf("copy %s: %w", table, err)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		if err := flush(); err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
	}
	// Once more: the indexes on the filled tables, as a user who imports
	// first and migrates after would have them (and ANALYZE statistics).
	if _, err := dst.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", path, err)
	}
	return nil
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
		defer c.Close(context.WithoutCancel(ctx))
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

// scanRun is one scanning process.
type scanRun struct {
	scan, wall time.Duration
	rss        int64
	anomalies  int
	openCases  int
	out        []byte
}

// mode is how the bench runs a scan.
type mode int

const (
	wet             mode = iota // a real scan: cases and alerts stored
	dry                         // --dry-run: computed, then rolled back
	dryWithoutCases             // --dry-run --without-cases: the scan before the risk desk
)

// scan runs the binary's scan on db and returns its own duration_ms, its
// wall time, the process's peak RSS, the anomalies found and the output.
// It runs in Options.workDir with the given settings file (--config; ""
// for none): a ptd-proactive.yaml in the caller's directory is not read.
func (o Options) scan(ctx context.Context, db string, m mode, config ...string) (scanRun, error) {
	args := []string{"scan", "--json", "--no-migrate", "--log-level", "error", "--db", db}
	if now := o.scanNow(); !now.IsZero() {
		args = append(args, "--now", now.Format(time.RFC3339))
	}
	switch m {
	case dry:
		args = append(args, "--dry-run")
	case dryWithoutCases:
		args = append(args, "--dry-run", "--without-cases")
	}
	if len(config) > 0 {
		args = append(args, "--config", config[0])
	}
	cmd := exec.CommandContext(ctx, o.Binary, args...)
	cmd.Dir = o.workDir
	cmd.Env = append(os.Environ(), "PTD_READ_DATABASE_URL=") // measure the primary, whatever the caller's environment
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return scanRun{}, fmt.Errorf("scan %s: %w", redact(db), err)
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	wall := time.Since(start)
	rss := peak()
	out := stdout.Bytes()
	if err != nil {
		return scanRun{}, fmt.Errorf("scan %s: %w: %s", redact(db), err, stderr.String())
	}
	var resp struct {
		Success    bool  `json:"success"`
		DurationMS int64 `json:"duration_ms"`
		Anomalies  int   `json:"anomalies_detected"`
		Cases      struct {
			Open int `json:"open"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || !resp.Success {
		return scanRun{}, fmt.Errorf("scan %s answered %.500s (%v)", redact(db), out, err)
	}
	return scanRun{scan: time.Duration(resp.DurationMS) * time.Millisecond, wall: wall, rss: rss, anomalies: resp.Anomalies, openCases: resp.Cases.Open, out: out}, nil
}

// rssPoll is how often watchPeakRSS reads a process's peak RSS.
const rssPoll = 2 * time.Millisecond

// watchPeakRSS follows the peak RSS (VmHWM in /proc/PID/status) of a
// running process until the returned function is called after the process
// ended; that returns the last peak read, in bytes (0 when none could be).
// The rusage of the ended child would not do: exec'd from this process,
// the child's ru_maxrss starts at this process's own peak (Linux keeps the
// larger of the old and the new address space's), so a bench that seeded
// 100,000 clients reports every scan at its own 150 MB. The last few
// milliseconds of the child may be missed.
func watchPeakRSS(pid int) func() int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak atomic.Int64
	read := func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					peak.Store(max(peak.Load(), kb*1024))
				}
			}
		}
		return true
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(rssPoll)
		defer t.Stop()
		for read() {
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// sameResult compares what two scans found: anomalies, breakdown, groups,
// insights, predictions, errors and skipped rows (not times).
func sameResult(a, b []byte) (bool, error) {
	pick := func(raw []byte) (map[string]any, error) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("read scan output: %w", err)
		}
		out := map[string]any{}
		for _, k := range []string{"anomalies_detected", "breakdown", "alert_groups", "insights", "predictions", "errors", "skipped_rows"} {
			out[k] = m[k]
		}
		return out, nil
	}
	ma, err := pick(a)
	if err != nil {
		return false, err
	}
	mb, err := pick(b)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(ma, mb), nil
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
		return "", fmt.Errorf("parse %s: %w", redact(adminURL), err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// redact hides the password of a URL for messages; text that does not
// parse as a URL is not shown.
func redact(s string) string {
	if strings.HasPrefix(s, "sqlite:") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return "the database URL"
	}
	return u.Redacted()
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

// Print writes the results as Markdown tables: the scans, then the SQLite
// comparisons when any were measured.
func Print(w io.Writer, rs []Result, runs int) {
	fmt.Fprintf(w, "| scale | data | rows in windows | scan (median of %d) | wall | peak RSS | rows read/s | count(*) floor | scan ÷ floor | anomalies |\n", runs)
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %d | %d ms | %d ms | %.1f MB | %.2f M | %d ms | %.1f× | %d |\n",
			scaleLabel(r.Scale), r.Variant, r.WindowRows, r.ScanMedian.Milliseconds(), r.WallMedian.Milliseconds(),
			float64(r.PeakRSS)/1e6, r.RowsPerSec/1e6, r.Floor.Milliseconds(), r.Ratio(), r.Anomalies)
	}
	fmt.Fprintln(w, "\nCase state: the same scan without cases (dry run, scan --without-cases), as a dry run with them, steady (every case already open) and first (every case opened in that scan):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scale | data | store | open cases | without cases | dry run | steady scan | steady ÷ without | first scan | first ÷ without |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
	row := func(r Result, store string, c CaseCost) {
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d ms | %d ms | %d ms | %.2f× | %d ms | %.2f× |\n",
			scaleLabel(r.Scale), r.Variant, store, c.Open, c.Without.Milliseconds(), c.Dry.Milliseconds(), c.Steady.Milliseconds(), c.SteadyRatio(),
			c.First.Milliseconds(), c.FirstRatio())
	}
	var cs []Result
	for _, r := range rs {
		row(r, "PostgreSQL", r.Cases)
		if r.SQLite != nil {
			row(r, "SQLite", r.SQLite.Cases)
			cs = append(cs, r)
		}
	}
	fmt.Fprintln(w, "\nEarly warning on PostgreSQL: dry runs of the four checks, then with health_forecast and health_anomaly besides, their cases open (a scan with the six opened them first):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scale | data | four checks | six checks | added |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %d ms | %d ms | %+d ms |\n", scaleLabel(r.Scale), r.Variant, r.Cases.Dry.Milliseconds(),
			r.EarlyWarning.Milliseconds(), (r.EarlyWarning - r.Cases.Dry).Milliseconds())
	}
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nDry runs on the same data (median of %d; wall in brackets):\n\n", runs)
	fmt.Fprintln(w, "| scale | data | PostgreSQL | SQLite | SQLite ÷ PostgreSQL | SQLite peak RSS | same result |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|")
	for _, r := range cs {
		c := r.SQLite
		same := "yes"
		if !c.Same {
			same = "NO"
		}
		fmt.Fprintf(w, "| %s | %s | %d ms (%d ms) | %d ms (%d ms) | %.1f× | %.1f MB | %s |\n",
			scaleLabel(r.Scale), r.Variant, c.Postgres.Milliseconds(), c.PostgresWall.Milliseconds(),
			c.SQLite.Milliseconds(), c.SQLiteWall.Milliseconds(), c.Ratio(), float64(c.SQLiteRSS)/1e6, same)
	}
}

// scaleLabel renders a scale for the table: "medium (10000)" or "2500".
func scaleLabel(s Scale) string {
	if s.Name == "" {
		return strconv.Itoa(s.Clients)
	}
	return fmt.Sprintf("%s (%d)", s.Name, s.Clients)
}
