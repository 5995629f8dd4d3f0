package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
		key := fmt.Sprintf("deal_stall:deal-%d", i)
		c := storetest.SampleCase(key, testNow)
		if i%4 == 0 { // a quarter resolved: NewestResolvedCaseIDs has something to find
			c = storetest.ResolvedSample(key, testNow, testNow.Add(time.Hour))
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
		// A batch's range (a sixtieth of the keys at 65,000 cases) is
		// read through the unique index of unresolved cases: walked, or
		// as a bitmap of it (without statistics), never the whole table.
		var plan []byte
		require.NoError(t, db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+seenCasesBetweenSQL, "deal_stall:deal-100", "deal_stall:deal-107").Scan(&plan))
		scans := planScans(t, plan)
		require.Len(t, scans, 1, "SeenCasesBetween, table %s:\n%s", stats, indentJSON(string(plan)))
		require.Contains(t, []string{"Index Scan ptd_cases_unresolved_key_idx", "Bitmap Heap Scan "}, scans[0],
			"SeenCasesBetween, table %s:\n%s", stats, indentJSON(string(plan)))
		require.Contains(t, string(plan), `"Index Name": "ptd_cases_unresolved_key_idx"`)

		// The touch of such a batch walks the same range, not the
		// primary key per id.
		var ids []string
		for _, c := range cases {
			if c.Key >= "deal_stall:deal-100" && c.Key <= "deal_stall:deal-107" && c.ResolvedAt == nil {
				ids = append(ids, c.ID)
			}
		}
		require.NotEmpty(t, ids)
		require.NoError(t, db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+touchCasesBetweenSQL,
			"deal_stall:deal-100", "deal_stall:deal-107", ids, testNow).Scan(&plan))
		require.NotContains(t, string(plan), `"Index Name": "ptd_cases_pkey"`, "TouchCasesBetween, table %s:\n%s", stats, indentJSON(string(plan)))
		require.Contains(t, string(plan), `"Index Name": "ptd_cases_unresolved_key_idx"`, "TouchCasesBetween, table %s:\n%s", stats, indentJSON(string(plan)))
	}
}

// TestCaseKeysCompareAsBytes: ptd_cases.key has the collation "C"
// (migration 00013), so that its indexes hold keys in Go's byte order,
// the order of SeenCasesBetween's ranges, whatever the database's
// collation. The test database's own collation may well order ASCII as
// bytes do; the column's collation is what makes it hold everywhere.
func TestCaseKeysCompareAsBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	collation := func() string {
		var c string
		require.NoError(t, db.pool.QueryRow(ctx, `
			SELECT coalesce(collation_name, '(the database default)') FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'ptd_cases' AND column_name = 'key'`).Scan(&c))
		return c
	}
	require.Equal(t, "C", collation())
	// A desk table a user dropped comes back from 00010_desk.sql as it
	// stands: with the collation too.
	mustExec(t, db, `DROP TABLE ptd_cases`)
	_, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Equal(t, "C", collation(), "the recreated table")
}

// TestClearingInhibitionReadsOnlyTheInhibited: a scan clears inhibited_by
// of every type no rule inhibits (every type, without rules); the UPDATE
// finds the inhibited cases through their partial index, not by reading
// every unresolved case of the type, on a table never analysed as well as
// after ANALYZE.
func TestClearingInhibitionReadsOnlyTheInhibited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustMigrateUnvacuumed(t)
	var cases []proactive.Case
	for i := range 3000 {
		c := storetest.SampleCase(fmt.Sprintf("deal_stall:deal-%d", i), testNow)
		if i%100 == 0 {
			c.InhibitedBy = "sync_fail"
		}
		cases = append(cases, c)
	}
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, cases) }))
	for _, stats := range []string{"never analysed", "analysed"} {
		if stats == "analysed" {
			mustExec(t, db, `ANALYZE ptd_cases`)
		}
		var plan []byte
		require.NoError(t, db.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+clearInhibitedSQL, "deal_stall").Scan(&plan))
		require.Contains(t, string(plan), `"Index Name": "ptd_cases_inhibited_idx"`, "table %s:\n%s", stats, indentJSON(string(plan)))
	}
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.SetInhibitedBy(ctx, proactive.DealStall, "") }))
	require.Zero(t, mustCount(t, db, `SELECT count(*) FROM ptd_cases WHERE inhibited_by IS NOT NULL`))
}

// TestSessionsSortInMemory: the store's sessions have a work_mem of at
// least 16 MB, so that the sorted deals and leads of a large scan are
// sorted in memory, and a larger work_mem the URL (or the role, or the
// server) sets is kept.
func TestSessionsSortInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct{ name, param, want string }{
		{"the server's default 4 MB raised", "", "16MB"},
		{"a lower setting raised", "work_mem=1MB", "16MB"},
		{"a larger setting kept", "work_mem=64MB", "64MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, url := mustOpen(t)
			db := mustOpenURL(t, withParam(url, tc.param), Options{})
			var got string
			require.NoError(t, db.pool.QueryRow(ctx, "SHOW work_mem").Scan(&got))
			require.Equal(t, tc.want, got)
		})
	}
}

// TestLargeAlertsAreCompressedWithLZ4: the store's sessions write TOASTed
// values with lz4 where the server has it and nobody chose a method, so
// that the case ids of a 30,000-case group's alert (1.2 MB) are not run
// through pglz on every scan; a method the URL (or the server, or the
// role) sets is kept. The alert reads back whole either way.
func TestLargeAlertsAreCompressedWithLZ4(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := mustMigrate(t)
	probe := mustOpenURL(t, url, Options{})
	var hasLZ4 bool
	require.NoError(t, probe.pool.QueryRow(ctx,
		`SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&hasLZ4))
	if !hasLZ4 {
		t.Skip("this PostgreSQL server was built without lz4: the store keeps its default compression")
	}
	ids := make([]string, 30_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i*40503)
	}
	for _, tc := range []struct{ name, param, want string }{
		{"the server's default: lz4", "", "lz4"},
		{"set in the URL: kept", "options=-c%20default_toast_compression%3Dpglz", "pglz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := mustOpenURL(t, withParam(url, tc.param), Options{})
			var setting string
			require.NoError(t, db.pool.QueryRow(ctx, "SHOW default_toast_compression").Scan(&setting))
			require.Equal(t, tc.want, setting)
			// The pool decides once, on its first session: the sessions
			// opened after it take the same method.
			// (Each is released before anything is asserted: a failed
			// test closes the pool, which waits for its sessions.)
			var conns []*pgxpool.Conn
			var errs []error
			for range 3 {
				c, err := db.pool.Acquire(ctx)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				conns = append(conns, c)
			}
			var later []string
			for _, c := range conns {
				var s string
				errs = append(errs, c.QueryRow(ctx, "SHOW default_toast_compression").Scan(&s))
				later = append(later, s)
				c.Release()
			}
			require.NoError(t, errors.Join(errs...))
			require.Equal(t, []string{tc.want, tc.want, tc.want}, later, "the sessions after the first")

			a := testAlert("deal_stall_"+tc.want+"_2025-12-10", proactive.SeverityHigh, testNow)
			a.SourceData["case_ids"] = ids
			var id string
			require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
				var err error
				id, err = tx.InsertAlert(ctx, a)
				return err
			}))
			var method *string
			require.NoError(t, db.pool.QueryRow(ctx,
				`SELECT pg_column_compression(source_data) FROM proactive_insights WHERE id::text = $1`, id).Scan(&method))
			if tc.want == "lz4" {
				require.NotNil(t, method, "1.2 MB of case ids stored uncompressed")
				require.Equal(t, "lz4", *method)
			} else if method != nil {
				require.Equal(t, tc.want, *method)
			}
			var got proactive.Alert
			require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
				var err error
				got, err = tx.GetAlert(ctx, id)
				return err
			}))
			require.Len(t, got.SourceData["case_ids"], len(ids))
		})
	}
}
