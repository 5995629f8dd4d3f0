package insight

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// benchRecords makes n records of each of the four kinds from a fixed seed,
// about half of them anomalies.
func benchRecords(n int) ([]proactive.HealthTrend, []proactive.Deal, []proactive.SyncFailureGroup, []proactive.Lead) {
	r := rand.New(rand.NewPCG(11, 12))
	zones := []string{"GREEN", "YELLOW", "RED", ""}
	stages := proactive.DefaultStallStages()
	sources := []string{"hubspot", "stripe", "meta", "zapier"}
	trends := make([]proactive.HealthTrend, n)
	deals := make([]proactive.Deal, n)
	syncs := make([]proactive.SyncFailureGroup, n)
	leads := make([]proactive.Lead, n)
	for i := range n {
		cur := 20 + r.Float64()*70
		trends[i] = proactive.HealthTrend{
			Email: fmt.Sprintf("client%06d@example.com", i), Firstname: "Client", Lastname: fmt.Sprint(i),
			Current: cur, Previous: cur + r.Float64()*30 - 5, Zone: zones[i%4], Readings: 2 + i%5,
		}
		amount := r.Float64() * 30000
		deals[i] = proactive.Deal{
			ID: fmt.Sprint(i), Name: fmt.Sprintf("Deal %06d", i), Stage: stages[i%4], Amount: &amount,
			LastActivity: testNow.Add(-time.Duration(r.Float64() * 40 * float64(24*time.Hour))),
		}
		syncs[i] = proactive.SyncFailureGroup{
			Source: sources[i%4], ErrorType: fmt.Sprintf("error_%06d", i), Count: 1 + r.IntN(8),
		}
		leads[i] = proactive.Lead{
			ID: fmt.Sprint(i), Name: fmt.Sprintf("Lead %06d", i), Email: fmt.Sprintf("lead%06d@example.com", i),
			CreatedAt: testNow.Add(-time.Duration(r.Float64() * 36 * float64(time.Hour))),
		}
	}
	return trends, deals, syncs, leads
}

// BenchmarkDetectAndGroup100k runs the pure part of a scan over 100,000
// entities (25,000 of each kind): the four checks, the analysis, grouping
// and building every group's alert.
func BenchmarkDetectAndGroup100k(b *testing.B) {
	trends, deals, syncs, leads := benchRecords(25_000)
	th := proactive.DefaultThresholds()
	b.ReportAllocs()
	found := 0
	for b.Loop() {
		var all []proactive.Anomaly
		all = append(all, rules.Health(trends, th, testNow)...)
		all = append(all, rules.Deals(deals, th, testNow)...)
		all = append(all, rules.Sync(syncs, th, testNow)...)
		all = append(all, rules.Leads(leads, th, testNow)...)
		a := Analyze(testReg, proactive.DefaultSettings(), all)
		for _, g := range Group(testReg, all) {
			_ = BuildAlert(chk(g), g, a, testNow)
		}
		found += len(all)
	}
	b.ReportMetric(float64(found)/b.Elapsed().Seconds(), "anomalies/s")
}

// BenchmarkGroup100k groups and analyses 100,000 ready anomalies.
func BenchmarkGroup100k(b *testing.B) {
	trends, deals, syncs, leads := benchRecords(50_000)
	th := proactive.DefaultThresholds()
	var all []proactive.Anomaly
	all = append(all, rules.Health(trends, th, testNow)...)
	all = append(all, rules.Deals(deals, th, testNow)...)
	all = append(all, rules.Sync(syncs, th, testNow)...)
	all = append(all, rules.Leads(leads, th, testNow)...)
	all = all[:min(len(all), 100_000)]
	b.ReportAllocs()
	for b.Loop() {
		a := Analyze(testReg, proactive.DefaultSettings(), all)
		for _, g := range Group(testReg, all) {
			_ = BuildAlert(chk(g), g, a, testNow)
		}
	}
	b.ReportMetric(float64(len(all)*b.N)/b.Elapsed().Seconds(), "anomalies/s")
}
