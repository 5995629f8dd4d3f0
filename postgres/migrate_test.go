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

	_, _, err = db.HealthTrends(ctx, proactive.HealthQuery{Now: testNow})
	require.NoError(t, err)
	res, err := save(ctx, db, "k", proactive.SeverityHigh, proactive.ChannelSlack)
	require.NoError(t, err)
	require.Equal(t, proactive.Inserted, res.Outcome)
}

// TestCheckPlans guards the plans the performance depends on: the health
// check reads the window through an index-only scan in group order, with
// no sort and no window function, and the skipped rows through the partial
// index.
func TestCheckPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dbURL := mustOpen(t)
	mustSeedBench(t, dbURL, 3000, 7)
	from := testNow.Add(-14 * 24 * time.Hour)
	plan := func(sql string, args ...any) string {
		rows, err := db.pool.Query(ctx, "EXPLAIN "+sql, args...)
		require.NoError(t, err)
		lines, err := collectStrings(rows)
		require.NoError(t, err)
		return strings.Join(lines, "\n")
	}
	p := plan(fmt.Sprintf(healthTrendsSQL, ""), from, testNow, 7, 10.0)
	require.Contains(t, p, "Index Only Scan using ptd_health_email_calculated_at_idx", p)
	require.NotContains(t, p, "WindowAgg", p)
	require.NotContains(t, p, "Sort Key: client_health_scores.email", p)
	p = plan(healthSkippedSQL, from, testNow)
	require.Contains(t, p, "ptd_health_invalid_idx", p)
	require.NotContains(t, p, "Seq Scan", p)
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
	old, _, err := db.HealthTrends(ctx, q)
	require.NoError(t, err)
	db.major = 16
	sorted, _, err := db.HealthTrends(ctx, q)
	require.NoError(t, err)
	require.Len(t, old, 500)
	require.Equal(t, old, sorted)
}
