package cli_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

// TestThroughConnectionPooler runs the binary against PostgreSQL behind
// PgBouncer, as many Supabase and self-hosted databases are reached. In
// session mode the demo and a second scan work as directly (the second
// scan stores no duplicate); in transaction mode the scan stops with a
// message that names the pooler mode and the way out.
func TestThroughConnectionPooler(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	session := testdb.StartPooler(t, testdb.SessionPooling)
	url := session.URL(t, testdb.MustDatabase(t))
	mustRun(t, dir, nil, "demo", "--db", url)
	var resp struct {
		Success           bool  `json:"success"`
		AnomaliesDetected int   `json:"anomalies_detected"`
		AlertsSaved       int   `json:"alerts_saved"`
		Errors            []any `json:"errors"`
	}
	r := mustRun(t, dir, nil, "scan", "--json", "--db", url)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
	require.True(t, resp.Success)
	require.Empty(t, resp.Errors, r.stderr)
	require.Positive(t, resp.AnomaliesDetected)
	require.Zero(t, resp.AlertsSaved, "the demo's scan stored them")
	var cases []map[string]any
	r = mustRun(t, dir, nil, "cases", "--json", "--db", url)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &cases), r.stdout)
	require.NotEmpty(t, cases)

	tx := testdb.StartPooler(t, testdb.TransactionPooling)
	url = tx.URL(t, testdb.MustDatabase(t))
	mustRun(t, dir, nil, "migrate", "--db", url) // leaves its statements on the one server session
	r = run(t, dir, nil, "scan", "--json", "--db", url)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "a connection pooler in transaction mode")
	require.Contains(t, r.stderr, "pooler in session mode (Supabase: the session pooler, port 5432)")
}
