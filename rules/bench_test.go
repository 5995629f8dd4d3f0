package rules

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The benchmark data: n records per check, about half of them anomalies,
// from a fixed seed.

func benchTrends(n int) []proactive.HealthTrend {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []string{"GREEN", "YELLOW", "RED", ""}
	out := make([]proactive.HealthTrend, n)
	for i := range out {
		cur := 20 + r.Float64()*70
		out[i] = proactive.HealthTrend{
			Email: fmt.Sprintf("client%06d@example.com", i), Firstname: "Client", Lastname: fmt.Sprint(i),
			Current: cur, Previous: cur + r.Float64()*30 - 5, Zone: zones[i%4], Readings: 2 + i%5,
		}
		if i%3 == 0 {
			avg := cur + r.Float64()*25
			out[i].WeekAvg = &avg
		}
	}
	return out
}

func benchDeals(n int, now time.Time) []proactive.Deal {
	r := rand.New(rand.NewPCG(3, 4))
	stages := proactive.DefaultStallStages()
	out := make([]proactive.Deal, n)
	for i := range out {
		amount := r.Float64() * 30000
		out[i] = proactive.Deal{
			ID: fmt.Sprint(i), Name: fmt.Sprintf("Deal %06d", i), Stage: stages[i%4], Amount: &amount,
			LastActivity: now.Add(-time.Duration(r.Float64() * 40 * float64(24*time.Hour))),
		}
	}
	return out
}

func benchSync(n int) []proactive.SyncFailureGroup {
	r := rand.New(rand.NewPCG(5, 6))
	sources := []string{"hubspot", "stripe", "meta", "zapier"}
	out := make([]proactive.SyncFailureGroup, n)
	for i := range out {
		out[i] = proactive.SyncFailureGroup{
			Source: sources[i%4], ErrorType: fmt.Sprintf("error_%06d", i), Count: 1 + r.IntN(8),
			LatestMessage: "boom",
		}
	}
	return out
}

func benchLeads(n int, now time.Time) []proactive.Lead {
	r := rand.New(rand.NewPCG(7, 8))
	out := make([]proactive.Lead, n)
	for i := range out {
		out[i] = proactive.Lead{
			ID: fmt.Sprint(i), Name: fmt.Sprintf("Lead %06d", i), Email: fmt.Sprintf("lead%06d@example.com", i),
			Source: "website", CreatedAt: now.Add(-time.Duration(r.Float64() * 36 * float64(time.Hour))),
		}
	}
	return out
}

// benchCheck runs one check b.N times and reports anomalies per second.
func benchCheck(b *testing.B, run func() []proactive.Anomaly) {
	b.ReportAllocs()
	found := 0
	for b.Loop() {
		found += len(run())
	}
	b.ReportMetric(float64(found)/b.Elapsed().Seconds(), "anomalies/s")
}

func BenchmarkHealth100k(b *testing.B) {
	in, th := benchTrends(100_000), proactive.DefaultThresholds()
	benchCheck(b, func() []proactive.Anomaly { return Health(in, th, testNow) })
}

func BenchmarkDeals100k(b *testing.B) {
	in, th := benchDeals(100_000, testNow), proactive.DefaultThresholds()
	benchCheck(b, func() []proactive.Anomaly { return Deals(in, th, testNow) })
}

func BenchmarkSync100k(b *testing.B) {
	in, th := benchSync(100_000), proactive.DefaultThresholds()
	benchCheck(b, func() []proactive.Anomaly { return Sync(in, th, testNow) })
}

func BenchmarkLeads100k(b *testing.B) {
	in, th := benchLeads(100_000, testNow), proactive.DefaultThresholds()
	benchCheck(b, func() []proactive.Anomaly { return Leads(in, th, testNow) })
}
