package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The health check's read of a large table in two halves at once
// (readTrends: the halves run on two sessions and are merged in the order
// of one query).

// halveRows is the size (rows, the planner's estimate over the table's
// partitions) from which HealthTrends reads client_health_scores in two
// halves at once, each on a session of its own: the aggregate of
// healthTrendsSQL runs on one backend, about 0.5–0.7 µs per reading in the
// window, and is the scan's longest read; at 1.4 M readings the two halves
// take 0.55× its time (psql, medians of 5: 420–530 against 665–865 ms).
// Below it, a second session is not worth its round trips. (The
// early-warning series, HealthSeries, are read at once: their reader's
// judging, not the server, sets their pace, and halves gained nothing.)
const halveRows = 200_000

// healthPivotSQL returns the estimated rows of client_health_scores (of a
// partitioned one, the sum over its leaf partitions) and the middle bound
// of the histogram of email that ANALYZE keeps for it ("" when there is
// none: never analysed, too few distinct emails, or not readable by this
// role). A partitioned table's own statistics come only from an ANALYZE of
// it (autovacuum analyses its partitions, never the parent): without them
// the largest analysed partition's serve, the same clients on another day.
// The pivot orders as the column does, the order of the key of
// ptd_health_email_calculated_at_idx, so that each half is one range of
// that index.
const healthPivotSQL = `
WITH r AS (
	SELECT c.relname, n.nspname, c.relkind, c.reltuples, c.oid = to_regclass('client_health_scores') AS own
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.oid = to_regclass('client_health_scores')
	   OR c.oid IN (SELECT relid FROM pg_partition_tree(to_regclass('client_health_scores')) WHERE isleaf)
)
SELECT coalesce((SELECT sum(greatest(reltuples, 0)) FROM r WHERE relkind <> 'p'), 0)::float8,
	coalesce((
	SELECT b[(cardinality(b) + 1) / 2]
	FROM r
	JOIN pg_stats s ON s.schemaname = r.nspname AND s.tablename = r.relname AND s.attname = 'email'
	CROSS JOIN LATERAL (SELECT s.histogram_bounds::text::text[] AS b) h
	WHERE cardinality(b) >= 2
	ORDER BY r.own DESC, s.inherited DESC, r.reltuples DESC
	LIMIT 1), '')`

// The conditions of healthTrendsSQL's %[4]s that read one half of the
// emails: below the pivot $5, and from it on. Each email, and so each
// email's readings, falls in exactly one of them.
const (
	healthLowerHalf = ` AND email < $5`
	healthUpperHalf = ` AND email >= $5`
)

// spareConnWait bounds the wait for a halved read's second session: the
// time to open one where the pool has room; without room there is no wait.
const spareConnWait = 2 * time.Second

// healthPivot is the pivot of the two halves (healthPivotSQL), or "" when
// the table is too small to halve or has no histogram of email. A failed
// lookup means one read, as for a small table: the pivot only spreads the
// work, and that read reports what is wrong with the database.
func (d *DB) healthPivot(ctx context.Context) string {
	var rows float64
	var pivot string
	if err := d.pool.QueryRow(ctx, healthPivotSQL).Scan(&rows, &pivot); err != nil || rows < d.halveRows {
		return ""
	}
	return pivot
}

// halfSessions returns two sessions to read the two halves of pivot on,
// or none: without a pivot, or where the pool has no second session to
// spare (none idle and no room for one more). It never waits for a
// session another read holds: the scan's other reads and its desk may
// hold them until this read ends. It counts the reads it lets halve
// (DB.halved).
func (d *DB) halfSessions(ctx context.Context, pivot string) (first, second *pgxpool.Conn) {
	if pivot == "" {
		return nil, nil
	}
	first, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, nil // the read at once says why
	}
	st := d.pool.Stat()
	if st.IdleConns() == 0 && st.TotalConns() >= st.MaxConns() {
		first.Release()
		return nil, nil
	}
	actx, cancel := context.WithTimeout(ctx, spareConnWait)
	defer cancel()
	if second, err = d.pool.Acquire(actx); err != nil {
		first.Release()
		return nil, nil
	}
	d.halved.Add(1)
	return first, second
}
