package postgres

import (
	"context"
	"testing"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/stretchr/testify/require"
)

// TestRowSecurity: the tables whose rows row-level security filters for
// the store's user are named — RLS on and the user neither owner nor a
// bypasser — and no others: RLS off, RLS on but read by the owner (or a
// superuser), a missing table. Doctor marks them and counts what the
// policies let through.
func TestRowSecurity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, url := mustMigrate(t)
	roleURL, role := testdb.MustRole(t, url)
	mustExec(t, admin, `INSERT INTO deals (id, name, stage, amount, created_at) VALUES
		(1, 'A', 'Proposal', 1, now()), (2, 'B', 'Trial', 1, now()), (3, 'C', 'Won', 1, now())`)
	for _, sql := range []string{
		"GRANT USAGE ON SCHEMA public TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		// RLS on, a policy that shows the role two deals of three.
		"ALTER TABLE deals ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY not_won ON deals FOR SELECT TO " + role + " USING (stage <> 'Won')",
		// RLS on and forced, no policy: the role sees nothing.
		"ALTER TABLE proactive_insights ENABLE ROW LEVEL SECURITY",
		"ALTER TABLE proactive_insights FORCE ROW LEVEL SECURITY",
		// RLS on, but the table belongs to the role.
		"ALTER TABLE leads ENABLE ROW LEVEL SECURITY",
		"ALTER TABLE leads OWNER TO " + role,
	} {
		mustExec(t, admin, sql)
	}
	tables := append(proactive.SourceTables(), proactive.TableInsights, "no_such_table")

	user := mustOpenURL(t, roleURL, Options{MaxConns: 2})
	rs, err := user.RowSecurity(ctx, tables)
	require.NoError(t, err)
	require.Equal(t, proactive.RowSecurity{User: role, Tables: []string{proactive.TableDeals, proactive.TableInsights}}, rs)

	rs, err = admin.RowSecurity(ctx, tables) // a superuser bypasses every policy
	require.NoError(t, err)
	require.Empty(t, rs.Tables)
	require.NotEmpty(t, rs.User)

	rep, err := user.Doctor(ctx, testNow)
	require.NoError(t, err)
	require.Equal(t, role, rep.User)
	filtered := map[string]bool{}
	for _, tr := range rep.Tables {
		filtered[tr.Table] = tr.RowSecurity
		if tr.Table == proactive.TableDeals {
			require.EqualValues(t, 2, tr.Rows, "the rows the policy lets through")
		}
	}
	require.Equal(t, map[string]bool{
		proactive.TableHealthScores: false, proactive.TableDeals: true, proactive.TableSyncErrors: false,
		proactive.TableLeads: false, proactive.TableInsights: true,
	}, filtered)
}
