package postgres

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// benchClients is the number of clients BenchmarkScanReaders seeds:
// PTD_BENCH_CLIENTS, 10,000 by default.
func benchClients(b *testing.B) int {
	if s := os.Getenv("PTD_BENCH_CLIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "PTD_BENCH_CLIENTS")
		return n
	}
	return 10000
}

// BenchmarkScanReaders times the four readers, alone and all four at once
// as a scan runs them, counting what they stream (nothing is kept: B/op is
// what a read allocates, not what it holds), on the benchmark's typical
// data (package bench) of PTD_BENCH_CLIENTS clients.
func BenchmarkScanReaders(b *testing.B) {
	ctx := context.Background()
	url := testdb.MustDatabase(b)
	clients := benchClients(b)
	start := time.Now()
	mustSeedBench(b, url, clients, 1)
	b.Logf("seeded %d clients in %s", clients, time.Since(start).Round(time.Millisecond))
	db, err := Open(ctx, url, Options{})
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })

	th := proactive.DefaultThresholds()
	health := func() int {
		n := 0
		_, err := db.HealthTrends(ctx, proactive.HealthQuery{Now: testNow, WindowDays: proactive.HealthWindowDays,
			TrendDays: th.HealthTrendDays, MinDrop: th.HealthDropMedium}, func(proactive.HealthTrend) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	deals := func() int {
		n := 0
		_, err := db.StalledDeals(ctx, proactive.DealQuery{Now: testNow, Stages: proactive.DefaultStallStages(), MinDays: th.DealStallDaysMedium}, func(proactive.Deal) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	syncs := func() int {
		n := 0
		_, err := db.SyncFailures(ctx, proactive.SyncQuery{Now: testNow, Since: testNow.Add(-24 * time.Hour)}, func(proactive.SyncFailureGroup) error { n++; return nil })
		require.NoError(b, err)
		return n
	}
	leads := func() int {
		n := 0
		_, err := db.WaitingLeads(ctx, proactive.LeadQuery{Now: testNow, MinHours: th.ResponseDelayMedium}, func(proactive.Lead) error { n++; return nil })
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

// BenchmarkDeskBulk times the desk's bulk primitives on 65,000 cases.
func BenchmarkDeskBulk(b *testing.B) {
	db, _ := mustMigrate(b)
	storetest.BenchDesk(b, db, 65000)
}

// BenchmarkScanReadersContext times the health and deal readers and
// ClientOwners with the context of CONTRACT §11 present: a coach and a
// package value on every reading, a rep on every deal, a contact with an
// email for every deal's contact_id (PTD_BENCH_CLIENTS clients). "Plain"
// reads none of the configured columns, "Columns" reads them.
func BenchmarkScanReadersContext(b *testing.B) {
	ctx := context.Background()
	url := testdb.MustDatabase(b)
	mustSeedBench(b, url, benchClients(b), 1)
	db, err := Open(ctx, url, Options{StatementTimeout: 10 * time.Minute})
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	mustExec(b, db, `
		ALTER TABLE client_health_scores ADD COLUMN coach text, ADD COLUMN package_value numeric;
		ALTER TABLE deals ADD COLUMN rep text;
		UPDATE client_health_scores SET coach = 'Coach ' || (abs(hashtext(email)) % 17), package_value = 100 * (abs(hashtext(email)) % 40);
		UPDATE deals SET rep = 'Rep ' || (abs(hashtext(name)) % 9);
		INSERT INTO contacts (id, email) SELECT DISTINCT contact_id, contact_id || '@example.com' FROM deals WHERE contact_id IS NOT NULL ON CONFLICT DO NOTHING`)
	mustExec(b, db, "VACUUM (ANALYZE) client_health_scores, deals, contacts")
	th := proactive.DefaultThresholds()
	for _, tc := range []struct {
		name string
		cols proactive.Columns
	}{{"Plain", proactive.Columns{}}, {"Columns", proactive.Columns{ClientOwner: "coach", DealOwner: "rep", ClientValue: "package_value"}}} {
		b.Run("HealthTrends/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				out, _, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: testNow, WindowDays: proactive.HealthWindowDays,
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
				out, _, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: testNow, Stages: proactive.DefaultStallStages(),
					MinDays: th.DealStallDaysMedium, OwnerColumn: tc.cols.DealOwner})
				require.NoError(b, err)
				n = len(out)
			}
			b.ReportMetric(float64(n), "records")
		})
		b.Run("ClientOwners/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := db.ClientOwners(ctx, proactive.OwnerQuery{Now: testNow, Column: "coach", ValueColumn: tc.cols.ClientValue},
					func(proactive.ClientOwner) error { return nil })
				require.NoError(b, err)
			}
		})
	}
}
