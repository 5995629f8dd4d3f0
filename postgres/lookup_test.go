package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// planScans returns the nodes of an EXPLAIN (FORMAT JSON) plan that read
// ptd_cases, each as "<node type> <index name>".
func planScans(t *testing.T, plan []byte) []string {
	t.Helper()
	var top []struct{ Plan map[string]any }
	require.NoError(t, json.Unmarshal(plan, &top))
	require.Len(t, top, 1)
	var out []string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if n["Relation Name"] == "ptd_cases" {
			idx, _ := n["Index Name"].(string)
			out = append(out, fmt.Sprintf("%v %s", n["Node Type"], idx))
		}
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				walk(m)
			}
		}
	}
	walk(top[0].Plan)
	return out
}

// TestCaseLookupsProbeTheKeyIndex: the scan's lookups of cases by key
// (SeenCases, UnresolvedCases, NewestResolvedCaseIDs) read each key's case
// through an index on key, on a table never analysed as well as after
// ANALYZE. Written as key = ANY($1), the lookup of unresolved cases was
// planned, on a table without statistics, as a bitmap scan of every
// unresolved case (the partial index by type) filtered by the keys: the
// shared benchmark's server runs no autovacuum, and each batch of 1,000
// keys read all 65,000 cases.
func TestCaseLookupsProbeTheKeyIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustMigrateUnvacuumed(t) // never analysed, as on a server without autovacuum
	var cases []proactive.Case
	var keys []string
	for i := range 4000 {
		c := storetest.SampleCase(fmt.Sprintf("deal_stall:deal-%d", i), testNow)
		if i%4 == 0 { // a quarter resolved: NewestResolvedCaseIDs has something to find
			resolved := testNow.Add(time.Hour)
			c.State, c.ResolvedAt, c.ResolveReason = proactive.CaseResolved, &resolved, proactive.ResolveCleared
		}
		cases = append(cases, c)
		if i%3 == 0 {
			keys = append(keys, c.Key)
		}
	}
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, cases) }))

	for _, stats := range []string{"never analysed", "analysed"} {
		if stats == "analysed" {
			mustExec(t, db, `ANALYZE ptd_cases`)
		}
		for _, tc := range []struct{ name, sql, index string }{
			{"SeenCases", seenCasesSQL, "ptd_cases_unresolved_key_idx"},
			{"UnresolvedCases", unresolvedCasesSQL(), "ptd_cases_unresolved_key_idx"},
			{"NewestResolvedCaseIDs", newestResolvedSQL, "ptd_cases_key_idx"},
		} {
			var plan []byte
			require.NoError(t, db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+tc.sql, keys).Scan(&plan))
			scans := planScans(t, plan)
			require.NotEmpty(t, scans, "%s, table %s: the plan reads no ptd_cases:\n%s", tc.name, stats, indentJSON(string(plan)))
			for _, s := range scans {
				require.Contains(t, []string{"Index Scan " + tc.index, "Index Only Scan " + tc.index}, s,
					"%s, table %s: ptd_cases read by %q, not one probe of %s per key:\n%s", tc.name, stats, s, tc.index, indentJSON(string(plan)))
			}
		}
	}
}
