package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMigrateDropsTheLastSeenIndex: a desk made by the first form of
// migration 10 loses its index on last_seen_at, which every scan's refresh
// of last_seen_at rewrote; a new desk never has it; the cases to resolve
// are still found through an index.
func TestMigrateDropsTheLastSeenIndex(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "ptd.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	migrate := func() {
		t.Helper()
		_, err := db.Migrate(ctx)
		require.NoError(t, err)
	}
	indexes := func() int {
		t.Helper()
		var n int
		require.NoError(t, db.read.QueryRowContext(ctx,
			"SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ptd_cases_last_seen_idx'").Scan(&n))
		return n
	}
	migrate()
	require.Zero(t, indexes(), "a new desk")
	require.NoError(t, db.ExecForTest(ctx, `
		CREATE INDEX ptd_cases_last_seen_idx ON ptd_cases (last_seen_at) WHERE resolved_at IS NULL;
		DELETE FROM ptd_schema_migrations WHERE version_id >= 12`))
	require.Equal(t, 1, indexes())
	migrate()
	require.Zero(t, indexes(), "an upgraded desk")
	plan := queryPlan(t, db.read, `SELECT id FROM ptd_cases
		WHERE resolved_at IS NULL AND type IN ('deal_stall') AND last_seen_at <= '2026-01-01'`)
	require.Contains(t, strings.Join(plan, "; "), "USING INDEX", "the cases to resolve")
}

// TestClearingInhibitionReadsOnlyTheInhibited: a scan clears inhibited_by
// of every type no rule inhibits (every type, without rules) through the
// partial index of inhibited cases, not by reading every unresolved case
// of the type.
func TestClearingInhibitionReadsOnlyTheInhibited(t *testing.T) {
	db := migratedDB(t)
	plan := queryPlan(t, db.read, clearInhibitedSQL, "deal_stall")
	require.Contains(t, strings.Join(plan, "; "), "USING INDEX ptd_cases_inhibited_idx")
}

// TestSeenCasesBetweenWalksAKeyIndex: a batch's cases read as a key range
// are a range of an index on key, not a scan of every case.
func TestSeenCasesBetweenWalksAKeyIndex(t *testing.T) {
	db := migratedDB(t)
	plan := strings.Join(queryPlan(t, db.read, seenCasesBetweenSQL, "deal_stall:deal-1", "deal_stall:deal-2"), "; ")
	require.Regexp(t, `USING INDEX ptd_cases_(unresolved_)?key_idx \(key>\? AND key<\?\)`, plan)
}

// migratedDB opens a migrated store in a file of the test's own.
func migratedDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "ptd.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	_, err = db.Migrate(t.Context())
	require.NoError(t, err)
	return db
}
