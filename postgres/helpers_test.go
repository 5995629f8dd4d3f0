package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/stretchr/testify/require"
)

// mustOpen opens the store on a fresh database, closed when the test ends.
func mustOpen(t testing.TB) (*DB, string) {
	t.Helper()
	url := testdb.MustDatabase(t)
	db, err := Open(context.Background(), url, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, url
}

// mustMigrate opens the store on a fresh database and migrates it.
func mustMigrate(t testing.TB) (*DB, string) {
	t.Helper()
	db, url := mustOpen(t)
	_, err := db.Migrate(context.Background())
	require.NoError(t, err)
	return db, url
}

// mustExec runs SQL on the store's pool.
func mustExec(t testing.TB, db *DB, sql string, args ...any) {
	t.Helper()
	_, err := db.pool.Exec(context.Background(), sql, args...)
	require.NoError(t, err, sql)
}

// testNow is the scan's now of the tests.
var testNow = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
