package cli_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// TestInteractiveCommandsLogWarningsOnly: the commands people run at a
// terminal log warnings and errors only, unless --log-level or
// PTD_LOG_LEVEL asks for more; scan and serve, which operators watch, log
// at info.
func TestInteractiveCommandsLogWarningsOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd-proactive.db")
	const now = "2026-11-27T10:00:00Z"

	r := mustRun(t, dir, nil, "demo", "--now", now, "--db", db)
	require.Empty(t, r.stderr, "the demo prints its report and nothing else")
	require.Contains(t, r.stdout, "Scan at 2026-11-27T10:00:00Z")

	for _, args := range [][]string{
		{"alerts", "--now", now}, {"cases"}, {"doctor", "--now", now}, {"client", "ava.taylor271@example.com"},
		{"silence", "list"}, {"notifications"}, {"migrate"}, {"version"},
	} {
		r := mustRun(t, dir, nil, append(args, "--db", db)...)
		require.Empty(t, r.stderr, "%v", args)
	}

	r = mustRun(t, dir, nil, "scan", "--now", now, "--db", db)
	require.Contains(t, r.stderr, "level=INFO")
	require.Contains(t, r.stderr, "Starting comprehensive monitoring scan")

	r = mustRun(t, dir, nil, "demo", "--now", now, "--db", db, "--log-level", "info")
	require.Contains(t, r.stderr, "Starting comprehensive monitoring scan")
	r = mustRun(t, dir, []string{"PTD_LOG_LEVEL=info"}, "demo", "--now", now, "--db", db)
	require.Contains(t, r.stderr, "Starting comprehensive monitoring scan")
	r = mustRun(t, dir, nil, "scan", "--now", now, "--db", db, "--log-level", "warn")
	require.Empty(t, r.stderr)

	// Warnings still show: a column missing from a source table.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	require.NoError(t, err)
	var ex storetest.Execer = st
	require.NoError(t, ex.ExecForTest(ctx, "ALTER TABLE deals DROP COLUMN last_activity_date"))
	require.NoError(t, st.Close())
	r = mustRun(t, dir, nil, "alerts", "--now", now, "--db", db)
	require.Contains(t, r.stderr, "level=WARN")
	require.Contains(t, r.stderr, "last_activity_date")
	require.NotContains(t, r.stderr, "level=INFO")
}
