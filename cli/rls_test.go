package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

// TestRowSecurityIsReported: run as a database user that row-level
// security filters (a Supabase table with RLS on, read by a role without a
// policy for every row), doctor warns on the table and says how to fix it,
// and the scan, which still runs, says so in its warnings; as the owner,
// neither does.
func TestRowSecurityIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := testdb.MustDatabase(t)
	roleURL, role := testdb.MustRole(t, url)
	mustRun(t, dir, nil, "migrate", "--db", url)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for _, sql := range []string{
		"GRANT USAGE ON SCHEMA public TO " + role,
		"GRANT ALL ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO " + role,
		"ALTER TABLE deals ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY own_deals ON deals FOR SELECT TO " + role + " USING (false)",
	} {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}

	type warned struct {
		Success  bool     `json:"success"`
		Warnings []string `json:"warnings"`
	}
	r := mustRun(t, dir, nil, "doctor", "--db", roleURL)
	require.Contains(t, r.stdout, `row-level security filters the rows database user "`+role+`" reads here`)
	require.Contains(t, r.stdout, "BYPASSRLS")
	require.Equal(t, 1, strings.Count(r.stdout, "row-level security"), "deals alone:\n%s", r.stdout)
	var resp warned
	r = mustRun(t, dir, nil, "scan", "--json", "--db", roleURL)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
	require.True(t, resp.Success)
	require.Len(t, resp.Warnings, 1, r.stdout)
	require.Contains(t, resp.Warnings[0], `database user "`+role+`" reads and writes in deals:`)
	require.Contains(t, r.stderr, "row-level security")

	r = mustRun(t, dir, nil, "doctor", "--db", url)
	require.NotContains(t, r.stdout, "row-level security")
	resp = warned{}
	r = mustRun(t, dir, nil, "scan", "--json", "--db", url)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
	require.Empty(t, resp.Warnings)
}
