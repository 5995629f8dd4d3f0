package rules

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// benchSeries makes n clients × 14 daily readings, from a fixed seed, in
// the shape of postgres.SeedBench: a noisy level, about 3% falling on the
// newest reading, 1% sliding over the week (and so heading for RED).
func benchSeries(n int) []proactive.ClientSeries {
	r := rand.New(rand.NewPCG(9, 10))
	zones := []string{"GREEN", "YELLOW", "RED", ""}
	out := make([]proactive.ClientSeries, n)
	for i := range out {
		level := 45 + r.Float64()*50
		kind := r.IntN(100)
		s := proactive.ClientSeries{Email: fmt.Sprintf("client%06d@example.com", i), Firstname: "Client", Lastname: fmt.Sprint(i), Zone: zones[i%4]}
		s.Readings = make([]proactive.SeriesPoint, 14)
		for d := range 14 {
			score := level + float64(r.IntN(7)) - 3
			switch {
			case kind < 3 && d == 13:
				score -= 10 + float64(r.IntN(25))
			case kind == 3 && d >= 7:
				score -= float64(d-6) * 3
			}
			s.Readings[d] = proactive.SeriesPoint{Score: max(0, min(100, score)), At: testNow.Add(-time.Duration(13-d) * 24 * time.Hour)}
		}
		out[i] = s
	}
	return out
}

// BenchmarkEarlyWarning100k is the pure part both early-warning health
// checks add to a scan: every one of 100,000 clients × 14 readings judged
// for a forecast (91 pairwise slopes) and for an unusual drop.
func BenchmarkEarlyWarning100k(b *testing.B) {
	series, th := benchSeries(100_000), proactive.DefaultThresholds()
	b.Run("Forecast", func(b *testing.B) {
		benchCheck(b, func() []proactive.Anomaly { return Forecasts(series, th, testNow) })
	})
	b.Run("Anomaly", func(b *testing.B) {
		benchCheck(b, func() []proactive.Anomaly { return Anomalies(series, nil, th, testNow) })
	})
}
