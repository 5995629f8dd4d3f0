package postgres

import (
	"context"
	"fmt"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The statements of SeedBench. $1 clients (or rows), $2 now, $3 seed.
// hashint8extended(x, seed) is PostgreSQL's own 64-bit hash: the data is a
// pure function of (clients, now, seed), whatever the plan or the machine.
const (
	// 14 daily readings per client, written day by day (as a daily job
	// would, so the heap is not in email order). About 3% of the clients
	// drop suddenly on the newest reading, 1% slide slowly over the week,
	// and one reading in 2,000 makes no sense (no email, score 150).
	seedHealthSQL = `
INSERT INTO client_health_scores (email, firstname, lastname, health_score, health_zone, calculated_at)
SELECT CASE WHEN bad = 1 THEN NULL ELSE 'client' || c || '@example.com' END,
	'First' || c, 'Last' || c,
	CASE WHEN bad = 2 THEN 150 ELSE s.score END,
	CASE WHEN s.score >= 70 THEN 'GREEN' WHEN s.score >= 40 THEN 'YELLOW' ELSE 'RED' END,
	$2::timestamptz - make_interval(days => d, secs => (c % 3600)::int)
FROM generate_series(13, 0, -1) AS d,
	generate_series(1::bigint, $1::bigint) AS c,
	LATERAL (SELECT abs(hashint8extended(c, $3) % 100) AS kind,
		CASE abs(hashint8extended(c * 16 + d, $3 + 4) % 2000) WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 0 END AS bad) k,
	LATERAL (SELECT greatest(0, least(100,
		45 + abs(hashint8extended(c, $3 + 1) % 50) + abs(hashint8extended(c * 16 + d, $3 + 2) % 7) - 3
		- CASE WHEN k.kind < 3 AND d = 0 THEN 10 + abs(hashint8extended(c, $3 + 3) % 25)
		       WHEN k.kind = 3 AND d < 7 THEN (7 - d) * 3
		       ELSE 0 END))::float8 AS score) s`

	// One deal per client; stages in mixed case; about 5% of them idle for
	// 14–64 days (about 3% of all deals stall: those in a stall stage).
	seedDealsSQL = `
INSERT INTO deals (name, stage, amount, contact_id, created_at, updated_at, last_activity_date)
SELECT 'Deal ' || i,
	(ARRAY['Prospecting', 'Assessment', 'Proposal', 'PROPOSAL', 'negotiation', 'Trial', 'Closed Won', 'Closed Lost'])
		[1 + abs(hashint8extended(i, $3 + 10) % 8)],
	round(500 + abs(hashint8extended(i, $3 + 11) % 5000000) / 100.0, 2),
	'contact-' || (1 + abs(hashint8extended(i, $3 + 12) % $1::bigint)),
	a.at - interval '90 days',
	a.at,
	CASE WHEN i % 5 = 0 THEN NULL ELSE a.at END
FROM generate_series(1::bigint, $1::bigint) AS i,
	LATERAL (SELECT $2::timestamptz - CASE WHEN abs(hashint8extended(i, $3 + 13) % 100) < 5
		THEN make_interval(days => 14 + abs(hashint8extended(i, $3 + 14) % 50)::int)
		ELSE make_interval(days => abs(hashint8extended(i, $3 + 14) % 13)::int) END
		- make_interval(hours => abs(hashint8extended(i, $3 + 15) % 24)::int) AS at) a`

	// Half a row per client. About 3% are unresolved in the last 24 h, over
	// 4 sources × 4 error types; the rest are older, 85% of them resolved.
	seedSyncSQL = `
INSERT INTO sync_errors (error_type, source, object_type, error_message, created_at, retry_count, resolved_at)
SELECT (ARRAY['rate_limit', 'auth_error', 'timeout', 'validation_error'])[1 + abs(hashint8extended(i, $3 + 20) % 4)],
	(ARRAY['hubspot', 'stripe', 'meta', 'salesforce'])[1 + abs(hashint8extended(i, $3 + 21) % 4)],
	(ARRAY['contact', 'deal', 'invoice', 'campaign'])[1 + abs(hashint8extended(i, $3 + 22) % 4)],
	'sync error ' || i,
	a.at,
	abs(hashint8extended(i, $3 + 23) % 5)::int,
	CASE WHEN a.recent OR abs(hashint8extended(i, $3 + 24) % 100) < 15 THEN NULL ELSE a.at + interval '1 hour' END
FROM generate_series(1::bigint, $1::bigint) AS i,
	LATERAL (SELECT abs(hashint8extended(i, $3 + 25) % 100) < 3 AS recent) r,
	LATERAL (SELECT r.recent,
		$2::timestamptz - CASE WHEN r.recent
			THEN make_interval(secs => abs(hashint8extended(i, $3 + 26) % 86000)::int)
			ELSE make_interval(days => 1 + abs(hashint8extended(i, $3 + 26) % 30)::int) END AS at) a`

	// One lead per client. About 3% are new, never contacted and 6–48 h
	// old; 1% are new and younger than 6 h; the rest were contacted.
	seedLeadsSQL = `
INSERT INTO leads (name, email, created_at, status, source, last_contact_date)
SELECT 'Lead ' || i, 'lead' || i || '@example.com', a.at,
	CASE WHEN k.kind < 4 THEN (ARRAY['new', 'NEW', 'New'])[1 + (i % 3)::int]
		ELSE (ARRAY['contacted', 'qualified', 'lost', 'new'])[1 + abs(hashint8extended(i, $3 + 31) % 4)] END,
	(ARRAY['website', 'referral', 'ads', 'event'])[1 + abs(hashint8extended(i, $3 + 32) % 4)],
	CASE WHEN k.kind < 4 THEN NULL ELSE a.at + interval '2 hours' END
FROM generate_series(1::bigint, $1::bigint) AS i,
	LATERAL (SELECT abs(hashint8extended(i, $3 + 30) % 100) AS kind) k,
	LATERAL (SELECT $2::timestamptz - CASE
		WHEN k.kind < 3 THEN make_interval(mins => 360 + abs(hashint8extended(i, $3 + 33) % 2520)::int)
		WHEN k.kind = 3 THEN make_interval(mins => abs(hashint8extended(i, $3 + 33) % 360)::int)
		ELSE make_interval(days => 1 + abs(hashint8extended(i, $3 + 33) % 60)::int) END AS at) a`
)

// SeedBench fills the four source tables of the (empty) database at
// databaseURL with the benchmark's data shape, deterministically from
// (clients, now, seed): clients × 14 daily health readings, clients deals,
// clients/2 sync errors and clients leads, about 2–5% of each anomalous,
// and a few rows that make no sense. It then runs Migrate (so the checks'
// indexes exist) and VACUUM ANALYZE. The data is generated by PostgreSQL
// itself (generate_series), so 100,000 clients take seconds. It refuses a
// database whose source tables already hold rows.
func SeedBench(ctx context.Context, databaseURL string, clients int, now time.Time, seed int64) error {
	if clients <= 0 {
		return proactive.Errorf(proactive.EINVALID, "seed bench: clients is %d: give a positive number", clients)
	}
	d, err := Open(ctx, databaseURL, Options{StatementTimeout: 10 * time.Minute})
	if err != nil {
		return err
	}
	defer d.Close()
	for _, table := range proactive.SourceTables() {
		if _, err := createIfMissing(ctx, d.pool, table, sourceTableDDL(table)); err != nil {
			return d.fail("seed bench: create table "+table, err)
		}
		var hasRows bool
		if err := d.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+")").Scan(&hasRows); err != nil {
			return d.tableFail("seed bench", table, err)
		}
		if hasRows {
			return proactive.Errorf(proactive.EINVALID, "seed bench: table %s already has rows: seed an empty database", table)
		}
	}
	steps := []struct {
		table string
		sql   string
		rows  int
	}{
		{proactive.TableHealthScores, seedHealthSQL, clients},
		{proactive.TableDeals, seedDealsSQL, clients},
		{proactive.TableSyncErrors, seedSyncSQL, max(clients/2, 1)},
		{proactive.TableLeads, seedLeadsSQL, clients},
	}
	for _, s := range steps {
		if _, err := d.pool.Exec(ctx, s.sql, s.rows, now.UTC(), seed); err != nil {
			return d.tableFail("seed bench: fill "+s.table, s.table, err)
		}
	}
	if _, err := d.Migrate(ctx); err != nil {
		return fmt.Errorf("seed bench: %w", err)
	}
	for _, s := range steps {
		if _, err := d.pool.Exec(ctx, "VACUUM (ANALYZE) "+s.table); err != nil {
			return d.tableFail("seed bench: vacuum "+s.table, s.table, err)
		}
	}
	return nil
}
