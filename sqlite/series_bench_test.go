package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// BenchmarkHealthSeries times HealthSeries over 10,000 clients × 14 daily
// readings (a noisy level, one client in 30 falling on the newest
// reading), beside HealthTrends over the same window.
func BenchmarkHealthSeries(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(b, err)
	const clients = 10_000
	rows := make([]proactive.Row, 0, clients*14)
	for c := range clients {
		for d := range 14 {
			score := float64(45 + c%50 + (c*7+d*13)%7 - 3)
			if c%30 == 0 && d == 13 {
				score -= 15
			}
			rows = append(rows, proactive.Row{
				"email": fmt.Sprintf("client%05d@example.com", c), "firstname": "First", "lastname": fmt.Sprint(c),
				"health_score": score, "health_zone": "GREEN", "calculated_at": now.Add(-time.Duration(13-d)*24*time.Hour - time.Duration(c%3600)*time.Second),
			})
		}
	}
	require.NoError(b, db.InsertRows(ctx, proactive.TableHealthScores, proactive.SourceColumns(proactive.TableHealthScores), rows))

	b.Run("HealthSeries", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n = 0
			_, err := db.HealthSeries(ctx, proactive.SeriesQuery{Now: now, MinReadings: 5, NoNames: true}, func(*proactive.ClientSeries) error { n++; return nil })
			require.NoError(b, err)
		}
		b.ReportMetric(float64(n), "clients")
	})
	b.Run("HealthTrends", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: now, WindowDays: 14, TrendDays: 7, MinDrop: 7})
			require.NoError(b, err)
		}
	})
}
