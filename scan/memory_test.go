package scan_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// generated is a source that makes its records as it streams them —
// deals stalled for 40 days and leads waiting 30 hours, all anomalies —
// and measures the live heap while it does (after a garbage collection):
// what the scan holds of the records already streamed.
type generated struct {
	now          time.Time
	deals, leads int
	every        int    // measure after so many records, and at the end
	peak         uint64 // the largest live heap measured
}

func (g *generated) measure() {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	g.peak = max(g.peak, m.HeapAlloc)
}

func (g *generated) HealthTrends(context.Context, proactive.HealthQuery, func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	return nil, nil
}

func (g *generated) StalledDeals(_ context.Context, _ proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error) {
	amount := 5000.0
	for i := range g.deals {
		id := strconv.Itoa(i)
		err := fn(proactive.Deal{ID: id, Name: "Deal " + id, Stage: "Proposal", Amount: &amount,
			LastActivity: g.now.Add(-40 * 24 * time.Hour), ContactEmail: "buyer" + id + "@example.com", Owner: "rep" + strconv.Itoa(i%20)})
		if err != nil {
			return nil, err
		}
		if (i+1)%g.every == 0 {
			g.measure()
		}
	}
	g.measure()
	return nil, nil
}

func (g *generated) SyncFailures(context.Context, proactive.SyncQuery, func(proactive.SyncFailureGroup) error) (proactive.Skipped, error) {
	return nil, nil
}

func (g *generated) WaitingLeads(_ context.Context, _ proactive.LeadQuery, fn func(proactive.Lead) error) (proactive.Skipped, error) {
	for i := range g.leads {
		id := strconv.Itoa(i)
		err := fn(proactive.Lead{ID: id, Name: "Lead " + id, Email: "lead" + id + "@example.com", Source: "website",
			CreatedAt: g.now.Add(-30 * time.Hour)})
		if err != nil {
			return nil, err
		}
		if (i+1)%g.every == 0 {
			g.measure()
		}
	}
	g.measure()
	return nil, nil
}

// emptyDesk is a desk that holds nothing: no case is stored, every write
// is accepted and forgotten, so that what the test measures is the scan's
// own memory, not a store's. It measures the live heap at each batch of
// cases the scan writes.
type emptyDesk struct {
	proactive.DeskTx
	src *generated
}

func (d emptyDesk) Update(_ context.Context, fn func(proactive.DeskTx) error) error { return fn(d) }
func (d emptyDesk) View(_ context.Context, fn func(proactive.DeskTx) error) error   { return fn(d) }

func (emptyDesk) UnresolvedCases(context.Context, []string) ([]proactive.Case, error) {
	return nil, nil
}
func (emptyDesk) SeenCases(context.Context, []string) ([]proactive.Case, error) { return nil, nil }
func (emptyDesk) CasesByID(context.Context, []string) ([]proactive.Case, error) { return nil, nil }
func (emptyDesk) FindCases(context.Context, proactive.CaseQuery) ([]proactive.Case, error) {
	return nil, nil
}
func (emptyDesk) UnresolvedCaseIDs(context.Context, []string) ([]string, error) { return nil, nil }
func (emptyDesk) CountCases(context.Context) ([]proactive.CaseCount, error)     { return nil, nil }
func (emptyDesk) CountUnresolvedCases(context.Context) (int, error)             { return 0, nil }
func (emptyDesk) NewestResolvedCaseIDs(context.Context, []string) (map[string]string, error) {
	return nil, nil
}
func (d emptyDesk) InsertCases(context.Context, []proactive.Case) error {
	d.src.measure()
	return nil
}
func (emptyDesk) UpdateCases(context.Context, []proactive.Case) error        { return nil }
func (emptyDesk) RefreshCases(context.Context, []proactive.Case) error       { return nil }
func (emptyDesk) TouchCases(context.Context, []string, time.Time) error      { return nil }
func (emptyDesk) AddCaseEvents(context.Context, []proactive.CaseEvent) error { return nil }
func (emptyDesk) SetInhibitedBy(context.Context, proactive.AnomalyType, string) error {
	return nil
}
func (emptyDesk) FindSilences(context.Context, proactive.SilenceQuery) ([]proactive.Silence, error) {
	return nil, nil
}
func (emptyDesk) FindGroupAlert(context.Context, proactive.GroupAlertQuery) (proactive.Alert, bool, error) {
	return proactive.Alert{}, false, nil
}
func (emptyDesk) InsertAlert(context.Context, proactive.Alert) (string, error) { return "alert", nil }
func (emptyDesk) OpenAlerts(context.Context, time.Time) ([]proactive.Alert, error) {
	return nil, nil
}
func (emptyDesk) ResolvedOpenAlerts(context.Context, time.Time, []string) ([]string, error) {
	return nil, nil
}
func (emptyDesk) Enqueue(context.Context, []proactive.Notification) error { return nil }
func (emptyDesk) PendingManualResolves(context.Context, string, time.Time) ([]proactive.Case, error) {
	return nil, nil
}

// TestScanMemoryIsBoundedByGroups scans 200,000 anomalies (100,000 stalled
// deals, 100,000 waiting leads) streamed by a source that makes them as it
// goes, and measures the live heap at every batch: it stays far below what
// holding the anomalies would take. The scan keeps per anomaly only, for
// the alert's case_ids, a compact member (its case id's 16 bytes and an
// owner index) and, while its check runs, its case's place (an 8-byte
// entry by the key's hash): about 50 bytes; the checks and the batches hold
// a few thousand records at a time. Members held as lifecycle.Members (72
// bytes and the id's text) bring it to about 160 bytes per anomaly, a
// seen set of all checks' cases at once to about 60, and a check that
// gathers its records before judging them (as when the readers returned
// slices) to over 300: the bound fails for each.
func TestScanMemoryIsBoundedByGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200,000-anomaly scan")
	}
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	const n = 200_000
	src := &generated{now: now, deals: n / 2, leads: n / 2, every: 25_000}
	// One case id for all: the ids' own bytes (36 each) are the alert's, not
	// the scan's to save.
	sc, err := scan.New(scan.Options{Store: &fakeStore{}, Source: src, Desk: emptyDesk{src: src},
		Checks: []proactive.AnomalyType{proactive.DealStall, proactive.ResponseDelay}, NewID: func() string { return "case" }})
	require.NoError(t, err)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := sc.Run(t.Context(), scan.Params{Now: now, Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, n, res.AnomaliesDetected)
	require.Equal(t, n/2, res.Breakdown.Count(proactive.DealStall))
	require.Equal(t, n/2, res.Breakdown.Count(proactive.ResponseDelay))
	require.Len(t, res.AlertGroups, 2)

	grown := int64(src.peak) - int64(before.HeapAlloc)
	perAnomaly := float64(grown) / n
	t.Logf("live heap: %d bytes before, peak %d during the scan: %.0f bytes per anomaly", before.HeapAlloc, src.peak, perAnomaly)
	require.Less(t, perAnomaly, 56.0, "the scan holds %.0f bytes per anomaly: is a slice of all records or anomalies back?", perAnomaly)
}
