package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/demo"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// benchNow is the moment the benchmark's data leads up to.
var benchNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// mustBenchDB opens the database BenchmarkScanReaders reads: the file at
// PTD_BENCH_SQLITE_DB when set (for instance one that `ptd-proactive bench
// --keep` copied from PostgreSQL; its data must lead up to benchNow), else
// a new file filled with the demo data of PTD_BENCH_CLIENTS clients
// (10,000 by default) and migrated.
func mustBenchDB(b *testing.B) *sqlite.DB {
	b.Helper()
	ctx := context.Background()
	if path := os.Getenv("PTD_BENCH_SQLITE_DB"); path != "" {
		db, err := sqlite.Open(ctx, path)
		require.NoError(b, err)
		b.Cleanup(func() { db.Close() })
		return db
	}
	clients := 10000
	if s := os.Getenv("PTD_BENCH_CLIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "PTD_BENCH_CLIENTS")
		clients = n
	}
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(b, err)
	require.NoError(b, demo.Load(ctx, db, demo.Generate(demo.Options{Now: benchNow, Clients: clients, Seed: 1})))
	_, err = db.Migrate(ctx) // statistics of the filled tables
	require.NoError(b, err)
	return db
}

// BenchmarkScanReaders times the four readers, alone and all four at once
// as a scan runs them, counting what they stream (nothing is kept: B/op is
// what a read allocates, not what it holds).
func BenchmarkScanReaders(b *testing.B) {
	ctx := context.Background()
	db := mustBenchDB(b)
	th := proactive.DefaultThresholds()
	health := func() int {
		n := 0
		_, err := db.HealthTrends(ctx, proactive.HealthQuery{Now: benchNow, WindowDays: proactive.HealthWindowDays,
			TrendDays: th.HealthTrendDays, MinDrop: th.HealthDropMedium}, func(proactive.HealthTrend) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	deals := func() int {
		n := 0
		_, err := db.StalledDeals(ctx, proactive.DealQuery{Now: benchNow, Stages: proactive.DefaultStallStages(), MinDays: th.DealStallDaysMedium}, func(proactive.Deal) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	syncs := func() int {
		n := 0
		_, err := db.SyncFailures(ctx, proactive.SyncQuery{Now: benchNow, Since: benchNow.Add(-24 * time.Hour)}, func(proactive.SyncFailureGroup) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	leads := func() int {
		n := 0
		_, err := db.WaitingLeads(ctx, proactive.LeadQuery{Now: benchNow, MinHours: th.ResponseDelayMedium}, func(proactive.Lead) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	readers := []struct {
		name string
		fn   func() int
	}{{"HealthTrends", health}, {"StalledDeals", deals}, {"SyncFailures", syncs}, {"WaitingLeads", leads}}
	for _, r := range readers {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = r.fn()
			}
			b.ReportMetric(float64(n), "records")
		})
	}
	b.Run("AllFour", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for _, r := range readers {
				wg.Go(func() { r.fn() })
			}
			wg.Wait()
		}
	})
}

// BenchmarkScanReadersContext times the health and deal readers on the
// demo data with the context of CONTRACT §11 present: a coach and a
// package value on every reading, a rep on every deal, a contact (with an
// email) for every deal's contact_id. "Plain" reads none of the configured
// columns (what a configuration without columns costs), "Columns" reads
// them.
func BenchmarkScanReadersContext(b *testing.B) {
	ctx := context.Background()
	clients := 10000
	if s := os.Getenv("PTD_BENCH_CLIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "PTD_BENCH_CLIENTS")
		clients = n
	}
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(b, err)
	require.NoError(b, demo.Load(ctx, db, demo.Generate(demo.Options{Now: benchNow, Clients: clients, Seed: 1})))
	require.NoError(b, db.ExecForTest(ctx, `
		ALTER TABLE client_health_scores ADD COLUMN coach TEXT;
		ALTER TABLE client_health_scores ADD COLUMN package_value NUMERIC;
		ALTER TABLE deals ADD COLUMN rep TEXT;
		UPDATE client_health_scores SET coach = 'Coach ' || (length(email) % 17), package_value = 100 * (length(email) % 40);
		UPDATE deals SET rep = 'Rep ' || (length(coalesce(name, '')) % 9);
		INSERT OR IGNORE INTO contacts (id, email) SELECT DISTINCT contact_id, contact_id || '@example.com' FROM deals WHERE contact_id IS NOT NULL`))
	_, err = db.Migrate(ctx) // statistics of the filled tables
	require.NoError(b, err)
	th := proactive.DefaultThresholds()
	for _, tc := range []struct {
		name string
		cols proactive.Columns
	}{{"Plain", proactive.Columns{}}, {"Columns", proactive.Columns{ClientOwner: "coach", DealOwner: "rep", ClientValue: "package_value"}}} {
		b.Run("HealthTrends/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				out, _, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: benchNow, WindowDays: proactive.HealthWindowDays,
					TrendDays: th.HealthTrendDays, MinDrop: th.HealthDropMedium, OwnerColumn: tc.cols.ClientOwner, ValueColumn: tc.cols.ClientValue})
				require.NoError(b, err)
				n = len(out)
			}
			b.ReportMetric(float64(n), "records")
		})
		b.Run("StalledDeals/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				out, _, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: benchNow, Stages: proactive.DefaultStallStages(),
					MinDays: th.DealStallDaysMedium, OwnerColumn: tc.cols.DealOwner})
				require.NoError(b, err)
				n = len(out)
			}
			b.ReportMetric(float64(n), "records")
		})
		b.Run("ClientOwners/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := db.ClientOwners(ctx, proactive.OwnerQuery{Now: benchNow, Column: "coach", ValueColumn: tc.cols.ClientValue},
					func(proactive.ClientOwner) error { return nil })
				require.NoError(b, err)
			}
		})
	}
}
