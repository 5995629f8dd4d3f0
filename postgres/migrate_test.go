package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

func TestMigrateFresh(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Warnings)
	want := []string{"table client_health_scores", "table deals", "table sync_errors", "table leads",
		"table proactive_insights", "table ptd_notifications", "table ptd_scan_runs", "table ptd_schedule_ticks"}
	for _, ix := range indexes() {
		want = append(want, "index "+ix.name)
	}
	for _, w := range want {
		require.Contains(t, rep.Created, w)
	}
	again, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again.Created)
	require.Empty(t, again.Warnings)

	// A product table a user dropped comes back; nothing else is touched.
	mustExec(t, db, "DROP TABLE ptd_schedule_ticks")
	rep, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"table ptd_schedule_ticks"}, rep.Created)
}

// TestMigrateRebuildsInvalidIndex: an index left invalid by an interrupted
// CREATE INDEX CONCURRENTLY is built again.
func TestMigrateRebuildsInvalidIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	mustExec(t, db, "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ptd_deals_stage_idx'::regclass")
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"index ptd_deals_stage_idx"}, rep.Created)
	require.Equal(t, 1, mustCount(t, db, "SELECT count(*) FROM pg_index WHERE indexrelid = 'ptd_deals_stage_idx'::regclass AND indisvalid"))
}

// TestMigrateWithoutIndexRights migrates as a database user that may read
// and write the source tables but does not own them: the indexes it may not
// create are warnings naming the statement for the owner, everything else
// is created, and the checks run.
func TestMigrateWithoutIndexRights(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner, dbURL := mustOpen(t)
	for _, table := range proactive.SourceTables() {
		mustExec(t, owner, sourceTableDDL(table))
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	role := "ptd_test_role_" + hex.EncodeToString(b[:])
	mustExec(t, owner, "CREATE ROLE "+role+" LOGIN")
	t.Cleanup(func() {
		// Before testdb drops the database: the role owns objects in it.
		conn := mustConnect(t, dbURL)
		_, err := conn.Exec(context.Background(), "DROP OWNED BY "+role)
		require.NoError(t, err)
		admin := mustConnect(t, testdb.AdminURL(t))
		_, err = admin.Exec(context.Background(), "DROP ROLE "+role)
		require.NoError(t, err)
	})
	mustExec(t, owner, fmt.Sprintf(`GRANT USAGE, CREATE ON SCHEMA public TO %[1]s;
		GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO %[1]s`, role))

	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	u.User = url.User(role)
	db := mustOpenURL(t, u.String(), Options{})
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Contains(t, rep.Created, "table proactive_insights")
	require.Contains(t, rep.Created, "index ptd_insights_dedup_idx")
	require.NotContains(t, rep.Created, "index ptd_health_email_calculated_at_idx")
	all := strings.Join(rep.Warnings, "\n")
	require.Contains(t, all, "no right to create index ptd_health_email_calculated_at_idx on client_health_scores")
	require.Contains(t, all, "CREATE INDEX CONCURRENTLY IF NOT EXISTS ptd_health_email_calculated_at_idx ON client_health_scores")
	require.Contains(t, all, "no right to create index ptd_leads_new_idx on leads")
	require.Equal(t, 0, mustCount(t, owner, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "no invalid index left behind")

	_, _, err = storetest.Trends(ctx, db, proactive.HealthQuery{Now: testNow})
	require.NoError(t, err)
	res, err := save(ctx, db, "k", proactive.SeverityHigh, proactive.ChannelSlack)
	require.NoError(t, err)
	require.Equal(t, proactive.Inserted, res.Outcome)
}

// explainText is the text of sql's plan (EXPLAIN) with args.
func explainText(t *testing.T, db *DB, sql string, args ...any) string {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), "EXPLAIN "+sql, args...)
	require.NoError(t, err)
	lines, err := collectStrings(rows)
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// TestCheckPlans guards the plans the performance depends on: the health
// check reads the window through an index-only scan in group order, with
// no sort and no window function, and the skipped rows through the partial
// index.
func TestCheckPlans(t *testing.T) {
	t.Parallel()
	db, dbURL := mustOpen(t)
	mustSeedBench(t, dbURL, 3000, 7)
	from := testNow.Add(-14 * 24 * time.Hour)
	plan := func(sql string, args ...any) string { return explainText(t, db, sql, args...) }
	p := plan(fmt.Sprintf(healthTrendsSQL, "", "", "", ""), from, testNow, 7, 10.0)
	require.Contains(t, p, "Index Only Scan using ptd_health_email_calculated_at_idx", p)
	require.NotContains(t, p, "WindowAgg", p)
	require.NotContains(t, p, "Sort Key: client_health_scores.email", p)
	p = plan(healthSkippedSQL, from, testNow, testNow)
	require.Contains(t, p, "ptd_health_invalid_idx", p)
	require.NotContains(t, p, "Seq Scan", p)

	// With owner and value columns configured, only the names' lookup
	// reads them: the window is still read index-only.
	mustExec(t, db, "ALTER TABLE client_health_scores ADD COLUMN coach text, ADD COLUMN package_value numeric")
	outer, inner := nameExtras("coach", "package_value", []string{"text", "numeric"})
	p = plan(fmt.Sprintf(healthTrendsSQL, "", outer, inner, ""), from, testNow, 7, 10.0)
	require.Contains(t, p, "Index Only Scan using ptd_health_email_calculated_at_idx", p)
	require.NotContains(t, p, "Sort Key: client_health_scores.email", p)
}

// TestCheckPlansWithHistory: a health table that keeps its history holds
// the window as a small share of its readings; the planner then reads the
// window through ptd_health_calculated_at_idx and sorts it, instead of
// passing over every reading of the (email, calculated_at DESC,
// health_score) index. The history changes no trend.
func TestCheckPlansWithHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dbURL := mustOpen(t)
	mustSeedBench(t, dbURL, 1000, 7)
	q := proactive.HealthQuery{Now: testNow, WindowDays: 14, TrendDays: 7, MinDrop: 10}
	before, _, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.NotEmpty(t, before)

	from := testNow.Add(-14 * 24 * time.Hour)
	// 28 copies of the window, each 14 days further back: 400 days kept.
	mustExec(t, db, `INSERT INTO client_health_scores (email, firstname, lastname, health_score, health_zone, calculated_at)
		SELECT email, firstname, lastname, health_score, health_zone, calculated_at - k * interval '14 days'
		FROM client_health_scores, generate_series(1, 28) k
		WHERE calculated_at >= $1`, from)
	mustExec(t, db, "VACUUM (ANALYZE) client_health_scores")
	p := explainText(t, db, fmt.Sprintf(healthTrendsSQL, "", "", "", ""), from, testNow, 7, 10.0)
	require.Contains(t, p, "using ptd_health_calculated_at_idx on client_health_scores", p)
	require.NotContains(t, p, "Index Only Scan using ptd_health_email_calculated_at_idx", p)

	after, _, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

// TestHealthTrendsBothForms runs the health statement in its PostgreSQL 16
// form (aggregate ORDER BY) as well as its PostgreSQL 15 form on the same
// data: the same trends.
func TestHealthTrendsBothForms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dbURL := mustOpen(t)
	mustSeedBench(t, dbURL, 500, 3)
	q := proactive.HealthQuery{Now: testNow, WindowDays: 14, TrendDays: 7}
	db.major = 15
	old, _, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	db.major = 16
	sorted, _, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.Len(t, old, 500)
	require.Equal(t, old, sorted)
}

// TestMigrateCaseRefresh upgrades a desk made by the first form of
// migration 10 (details jsonb, an index on last_seen_at, no fillfactor)
// through migrations 11 and 12: details become json and keep their
// values, the index gives way to the one by type, and new pages keep room
// for HOT updates — 40%, which migration 12 sets after 11's 60%.
func TestMigrateCaseRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	mustExec(t, db, `
		DROP INDEX ptd_cases_unresolved_type_idx;
		ALTER TABLE ptd_cases RESET (fillfactor);
		ALTER TABLE ptd_cases ALTER COLUMN details TYPE jsonb USING details::jsonb;
		CREATE INDEX ptd_cases_last_seen_idx ON ptd_cases (last_seen_at) WHERE resolved_at IS NULL;
		INSERT INTO ptd_cases (id, type, key, state, opened_at, last_seen_at, updated_at, details)
		VALUES ('6f1c3a52-7d3e-4c36-9d7a-4d2f0f1b2c3d', 'deal_stall', 'deal_stall:deal-1', 'open', now(), now(), now(), '{"b": 1, "a": 2.5}');
		DELETE FROM ptd_goose_db_version WHERE version_id >= 11`)
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Contains(t, rep.Created, "index ptd_cases_unresolved_type_idx")
	var typ string
	var indexes, hasFill int
	var details string
	require.NoError(t, db.pool.QueryRow(ctx, `
		SELECT format_type(a.atttypid, a.atttypmod),
			(SELECT count(*) FROM pg_indexes WHERE tablename = 'ptd_cases' AND indexname = 'ptd_cases_last_seen_idx'),
			(SELECT count(*) FROM pg_class WHERE relname = 'ptd_cases' AND 'fillfactor=40' = ANY(reloptions)),
			(SELECT details::text FROM ptd_cases)
		FROM pg_attribute a WHERE a.attrelid = 'ptd_cases'::regclass AND a.attname = 'details'`).Scan(&typ, &indexes, &hasFill, &details))
	require.Equal(t, "json", typ)
	require.Zero(t, indexes, "the index on last_seen_at is dropped")
	require.Equal(t, 1, hasFill)
	require.JSONEq(t, `{"a": 2.5, "b": 1}`, details)
}

// TestMigrateAddsTheDesk upgrades a database migrated before the desk: its
// outbox rows are kept and read as alert events, and a desk table a user
// dropped comes back, as does an outbox table (with the desk's columns).
func TestMigrateAddsTheDesk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	res, err := save(ctx, db, "health_drop_a@x.com_2025-12-10", proactive.SeverityHigh, proactive.ChannelSlack)
	require.NoError(t, err)
	// Back to the schema before the desk.
	mustExec(t, db, `
		DROP TABLE ptd_case_events, ptd_cases, ptd_silences, ptd_resolve_notices;
		ALTER TABLE ptd_notifications DROP COLUMN event, DROP COLUMN recipient, DROP COLUMN payload;
		ALTER TABLE proactive_insights DROP COLUMN resolved_at;
		DELETE FROM ptd_goose_db_version WHERE version_id >= 10`)

	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	for _, want := range []string{"table ptd_cases", "table ptd_case_events", "table ptd_silences", "table ptd_resolve_notices",
		"index ptd_cases_unresolved_key_idx", "column proactive_insights.resolved_at",
		"column ptd_notifications.event", "column ptd_notifications.recipient", "column ptd_notifications.payload"} {
		require.Contains(t, rep.Created, want)
	}
	require.Empty(t, rep.Warnings)
	ns, err := db.ListNotifications(ctx, proactive.NotificationFilter{})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, res.ID, ns[0].AlertID)
	require.Equal(t, proactive.EventAlert, ns[0].Event, "a row from before events is an alert's")
	again, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again.Created, "a second migrate finds nothing to do")

	mustExec(t, db, "DROP TABLE ptd_silences; DROP TABLE ptd_notifications")
	rep, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"table ptd_notifications", "index ptd_notifications_due_idx", "index ptd_notifications_created_idx",
		"table ptd_silences", "index ptd_silences_ends_idx"}, rep.Created)
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
		if _, err := tx.FindSilences(ctx, proactive.SilenceQuery{}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, []proactive.Notification{{Channel: proactive.ChannelWebhook, Event: proactive.EventResolve,
			IdempotencyKey: "k", NextAttemptAt: testNow, CreatedAt: testNow,
			Payload: &proactive.NotificationPayload{Cases: []proactive.ResolvedCase{{ID: "c", Key: "k"}}}}})
	}))
	ns, err = db.ListNotifications(ctx, proactive.NotificationFilter{})
	require.NoError(t, err)
	require.Equal(t, proactive.EventResolve, ns[0].Event, "the recreated outbox has the desk's columns")
}

// CONTRACT §11.1 on PostgreSQL: migrate creates contacts where it is
// missing and never alters a user's table for the context: no
// deals.contact_email, no configured column (those are the user's).
func TestMigrateContextLeavesUserTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpenURL(t, testdb.MustSchema(t), Options{})
	mustExec(t, db, `CREATE TABLE deals (id bigint PRIMARY KEY, name text, stage text, amount numeric, contact_id bigint,
		created_at timestamptz, updated_at timestamptz, last_activity_date timestamptz, owner_email text)`)
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Contains(t, rep.Created, "table contacts")
	require.NotContains(t, rep.Created, "table deals")
	require.NotContains(t, rep.Created, "column deals.contact_email")
	info, err := readTableInfo(ctx, db.pool, "deals")
	require.NoError(t, err)
	require.NotContains(t, info.columns, "contact_email", "the user's deals are left as they are")
	again, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again.Created)

	// A user's contacts (bigint ids, more columns) is theirs: kept as it is,
	// and read by deals.contact_id of the same type.
	mustExec(t, db, "DROP TABLE contacts; CREATE TABLE contacts (id bigint PRIMARY KEY, email text, phone text)")
	rep, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Created)
	mustExec(t, db, "INSERT INTO contacts VALUES (7, ' Ann@X.com ', '555')")
	mustExec(t, db, "INSERT INTO deals (id, name, stage, amount, contact_id, created_at) VALUES (1, 'Acme', 'Trial', 10, 7, $1)", testNow.Add(-20*24*time.Hour))
	ds, _, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: testNow, Stages: proactive.DefaultStallStages()})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	require.Equal(t, "ann@x.com", ds[0].ContactEmail)
	dc, err := db.dealContext(ctx, "")
	require.NoError(t, err)
	require.Equal(t, contactByKeySQL, dc.join, "ids of one type: looked up through contacts' key")
}
