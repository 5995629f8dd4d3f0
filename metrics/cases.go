package metrics

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// CaseCountFunc reports the number of cases by type and state. It is
// called at scrape time with a context bounded by QueueTimeout.
type CaseCountFunc func(ctx context.Context) ([]proactive.CaseCount, error)

// caseCollector reports the ptd_proactive_cases gauge by calling a
// CaseCountFunc at scrape time: every known type and state, 0 when none.
type caseCollector struct {
	scraped[[]proactive.CaseCount]
	types []proactive.AnomalyType
}

// Collect implements prometheus.Collector.
func (c *caseCollector) Collect(ch chan<- prometheus.Metric) {
	counts, ok := c.read(ch)
	if !ok {
		return
	}
	type key struct {
		t proactive.AnomalyType
		s proactive.CaseState
	}
	n := map[key]int{}
	types := slices.Clone(c.types)
	for _, cc := range counts {
		n[key{cc.Type, cc.State}] += cc.Count
		if !slices.Contains(types, cc.Type) {
			types = append(types, cc.Type) // a check no longer registered still has cases
		}
	}
	for _, t := range types {
		for _, s := range proactive.CaseStates() {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[key{t, s}]), string(s), string(t))
		}
	}
}

// SetCaseCounts makes the ptd_proactive_cases gauge report f's counts at
// every scrape (every registered type in every state, 0 when none); an
// error of f is a scrape error for this metric only. A nil f turns the
// gauge off.
func (m *Metrics) SetCaseCounts(f CaseCountFunc) {
	if m == nil {
		return
	}
	m.cases.set(f)
}

// DeskCaseCounts returns a CaseCountFunc that counts the cases of d in one
// read-only desk transaction.
func DeskCaseCounts(d proactive.Desk) CaseCountFunc {
	return func(ctx context.Context) ([]proactive.CaseCount, error) {
		var out []proactive.CaseCount
		err := d.View(ctx, func(tx proactive.DeskTx) error {
			var err error
			out, err = tx.CountCases(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
		return out, nil
	}
}

// CacheCaseCounts returns a CaseCountFunc that answers f's last counts for
// ttl instead of calling f again (/metrics is public: a scrape must not
// cost a database read each time). Concurrent scrapes share one call of
// f; an error is returned but not kept.
func CacheCaseCounts(f CaseCountFunc, ttl time.Duration) CaseCountFunc {
	return cached(f, ttl, slices.Clone)
}

// ObserveCaseEvents counts case events by kind in the transitions
// counter: a manual action's or a dismiss's (a scan's are counted by
// ObserveScan from its result).
func (m *Metrics) ObserveCaseEvents(evs []proactive.CaseEvent) {
	if m == nil {
		return
	}
	for _, e := range evs {
		m.transitions.WithLabelValues(string(e.Kind)).Inc()
	}
}
