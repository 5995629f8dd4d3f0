package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

// TestScanReadDB runs the binary with a read replica: a streaming standby
// the test starts. The scan (migrating the primary first) reads the
// standby and says so; a standby URL in PTD_READ_DATABASE_URL does the same;
// a bad postgres.max_replica_lag, a replica for the SQLite store and a URL
// that is no PostgreSQL URL are refused with messages that name the
// setting and never show the password.
func TestScanReadDB(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	r := run(t, dir, nil, "scan", "--db", filepath.Join(dir, "x.db"), "--read-db", "postgres://u:s3cret@replica:5432/app")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "--read-db needs a PostgreSQL --db")
	r = run(t, dir, nil, "scan", "--db", "postgres://u@127.0.0.1:1/app", "--read-db", "mysql://u:s3cret@replica/app")
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "--read-db must be a postgres:// or postgresql:// URL")
	require.NotContains(t, r.stderr, "s3cret")
	cfg := filepath.Join(dir, "lag.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("postgres:\n  max_replica_lag: -5s\n"), 0o600))
	r = run(t, dir, nil, "scan", "--db", filepath.Join(dir, "x.db"), "--config", cfg)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "postgres.max_replica_lag (-5s) must be positive")

	primary := testdb.StartPrimary(t)
	standby := primary.StartStandby(t)
	mustRun(t, dir, nil, "migrate", "--db", primary.URL)
	standby.CaughtUp(t, primary)
	var resp struct {
		Success  bool     `json:"success"`
		ReadFrom string   `json:"read_from"`
		Warnings []string `json:"warnings"`
	}
	for _, args := range [][]string{
		{"scan", "--json", "--db", primary.URL, "--read-db", standby.URL},
		{"scan", "--json", "--db", primary.URL},
	} {
		r = mustRun(t, dir, []string{"PTD_READ_DATABASE_URL=" + standby.URL}, args...)
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
		require.True(t, resp.Success)
		require.Equal(t, "replica", resp.ReadFrom, r.stderr)
		require.Empty(t, resp.Warnings)
	}
	r = mustRun(t, dir, nil, "scan", "--db", primary.URL, "--read-db", standby.URL)
	require.Contains(t, r.stdout, "read from the replica")
}
