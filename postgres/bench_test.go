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
// as a scan runs them, on the benchmark's typical data (package bench) (PTD_BENCH_CLIENTS clients).
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
		out, _, err := db.HealthTrends(ctx, proactive.HealthQuery{Now: testNow, WindowDays: proactive.HealthWindowDays,
			TrendDays: th.HealthTrendDays, MinDrop: th.HealthDropMedium})
		require.NoError(b, err)
		return len(out)
	}
	deals := func() int {
		out, _, err := db.StalledDeals(ctx, proactive.DealQuery{Now: testNow, Stages: proactive.DefaultStallStages(), MinDays: th.DealStallDaysMedium})
		require.NoError(b, err)
		return len(out)
	}
	syncs := func() int {
		out, _, err := db.SyncFailures(ctx, proactive.SyncQuery{Now: testNow, Since: testNow.Add(-24 * time.Hour)})
		require.NoError(b, err)
		return len(out)
	}
	leads := func() int {
		out, _, err := db.WaitingLeads(ctx, proactive.LeadQuery{Now: testNow, MinHours: th.ResponseDelayMedium})
		require.NoError(b, err)
		return len(out)
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
