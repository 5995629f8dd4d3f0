package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/bench"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// testNow is the scan's now of the tests.
var testNow = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)

// mustOpen opens the store on a fresh database, closed when the test ends.
func mustOpen(t testing.TB) (*DB, string) {
	t.Helper()
	url := testdb.MustDatabase(t)
	return mustOpenURL(t, url, Options{}), url
}

// mustOpenURL opens another store (its own pool) on url.
func mustOpenURL(t testing.TB, url string, opts Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// mustMigrate opens the store on a fresh database and migrates it.
func mustMigrate(t testing.TB) (*DB, string) {
	t.Helper()
	db, url := mustOpen(t)
	_, err := db.Migrate(context.Background())
	require.NoError(t, err)
	return db, url
}

// mustMigrateUnvacuumed is mustMigrate with autovacuum (and autoanalyze)
// off for ptd_cases, as on a server that runs none: what a test counts or
// plans there is not changed behind its back.
func mustMigrateUnvacuumed(t testing.TB) *DB {
	t.Helper()
	db, _ := mustMigrate(t)
	mustExec(t, db, `ALTER TABLE ptd_cases SET (autovacuum_enabled = false)`)
	return db
}

// mustExec runs SQL on the store's pool.
func mustExec(t testing.TB, db *DB, sql string, args ...any) {
	t.Helper()
	_, err := db.pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// mustCount returns the result of a count query.
func mustCount(t testing.TB, db *DB, sql string, args ...any) int {
	t.Helper()
	var n int64
	require.NoError(t, db.pool.QueryRow(context.Background(), sql, args...).Scan(&n), sql)
	return int(n)
}

// mustConnect opens a plain connection of the test's own (not the store's).
func mustConnect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// requireCode fails unless err carries the proactive error code.
func requireCode(t testing.TB, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, proactive.ErrorCode(err), "error %q", err)
}

// testAlert builds an alert as the scan would.
func testAlert(key string, prio proactive.Severity, at time.Time) proactive.Alert {
	return proactive.Alert{
		InsightType:      proactive.InsightType,
		Priority:         prio,
		Title:            "title of " + key,
		Content:          "content of " + key + " at " + string(prio),
		Summary:          "summary of " + key,
		ActionItems:      []proactive.ActionItem{{Action: "Call Jane", Priority: prio, UrgencyScore: 90}},
		AffectedEntities: proactive.AffectedEntities{Type: proactive.HealthDrop, Count: 1, Entities: []string{"Jane"}, UrgencyScore: 90},
		SourceAgent:      proactive.SourceAgent,
		SourceData:       map[string]any{"group_id": "health_drop_group"},
		DedupKey:         key,
		CreatedAt:        at,
	}
}

// save stores a new alert at testNow with a notification per channel, in
// one desk transaction (storetest.SaveAlert).
func save(ctx context.Context, db *DB, key string, prio proactive.Severity, channels ...string) (proactive.SaveResult, error) {
	return storetest.SaveAlert(ctx, db, testAlert(key, prio, testNow), testNow, "scan-1", channels...)
}

// waitForLockWaiter waits until a backend of the store (application_name
// ptd-proactive) on the test's database waits for a lock, and returns its
// pid.
func waitForLockWaiter(t testing.TB, conn *pgx.Conn) uint32 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var pid uint32
		err := conn.QueryRow(context.Background(), `
			SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'
			LIMIT 1`, ApplicationName).Scan(&pid)
		if err == nil {
			return pid
		}
		require.ErrorIs(t, err, pgx.ErrNoRows)
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no backend of the store waited for the lock")
	return 0
}

// terminate ends a backend as an administrator would.
func terminate(t testing.TB, conn *pgx.Conn, pid uint32) {
	t.Helper()
	var ok bool
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", pid).Scan(&ok))
	require.True(t, ok, fmt.Sprintf("terminate backend %d", pid))
}

// collectStrings reads a one-column text result.
func collectStrings(rows pgx.Rows) ([]string, error) {
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// mustSeedBench fills the empty database at url with the benchmark's
// typical data (package bench) for clients clients, creates the indexes
// migrate creates and analyses the tables, as the bench command does.
func mustSeedBench(t testing.TB, url string, clients int, seed int64) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, bench.Seed(ctx, url, bench.Typical, clients, testNow, seed))
	db := mustOpenURL(t, url, Options{StatementTimeout: 10 * time.Minute})
	_, err := db.Migrate(ctx)
	require.NoError(t, err)
	mustExec(t, db, "VACUUM (ANALYZE) client_health_scores, deals, sync_errors, leads")
}

// withParam adds the query parameter param ("name=value", "" for none)
// to a database URL.
func withParam(url, param string) string {
	if param == "" {
		return url
	}
	if strings.Contains(url, "?") {
		return url + "&" + param
	}
	return url + "?" + param
}
