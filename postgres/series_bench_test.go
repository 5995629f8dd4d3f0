package postgres

import (
	"context"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/bench"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// BenchmarkHealthSeries times HealthSeries on SeedBench's data
// (PTD_BENCH_CLIENTS clients × 14 readings, 10,000 by default) as a
// check's first pass reads it (no names), with names (which a check asks
// only for the clients it flags), and HealthTrends over the same window.
func BenchmarkHealthSeries(b *testing.B) {
	ctx := context.Background()
	url := testdb.MustDatabase(b)
	clients := benchClients(b)
	start := time.Now()
	require.NoError(b, bench.Seed(ctx, url, bench.Typical, clients, testNow, 1))
	b.Logf("seeded %d clients in %s", clients, time.Since(start).Round(time.Millisecond))
	db, err := Open(ctx, url, Options{})
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })

	b.Run("HealthSeries", func(b *testing.B) {
		b.ReportAllocs()
		n, readings := 0, 0
		for b.Loop() {
			n, readings = 0, 0
			_, err := db.HealthSeries(ctx, proactive.SeriesQuery{Now: testNow, MinReadings: 5, NoNames: true}, func(s *proactive.ClientSeries) error {
				n++
				readings += len(s.Readings)
				return nil
			})
			require.NoError(b, err)
		}
		b.ReportMetric(float64(n), "clients")
		b.ReportMetric(float64(readings), "readings")
	})
	b.Run("HealthSeriesNamed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, err := db.HealthSeries(ctx, proactive.SeriesQuery{Now: testNow, MinReadings: 5}, func(*proactive.ClientSeries) error { return nil })
			require.NoError(b, err)
		}
	})
	b.Run("HealthTrends", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: testNow, WindowDays: 14, TrendDays: 7, MinDrop: 7})
			require.NoError(b, err)
		}
	})
}
