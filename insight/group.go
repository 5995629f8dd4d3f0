// Package insight turns the anomalies of one scan into alerts: it groups them
// by type (CONTRACT §4), derives the insights and predictions across them,
// and writes each group's title, summary, content, action items and dedup
// key. What is particular to a check (its titles, sentences, analysis)
// comes from the check's value in the registry; this package knows no
// check by name. Like package rules it is pure: anomalies and the scan's
// now in, text and alerts out.
//
// Grouping and analysis are streaming: a Reducer keeps per group the
// counts, sums and the most urgent members the alert text needs, never the
// whole list, so a scan's memory is bounded by its groups, not by its
// anomalies.
package insight

import (
	"slices"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// keep is how many members a Reducer keeps by name: the primary and
// proactive.MaxRelated related ones.
const keep = 1 + proactive.MaxRelated

// Reducer builds the alert group of one type from its members, one at a
// time, in any order. The group is the same whatever the order.
type Reducer struct {
	typ     proactive.AnomalyType
	n       int
	sum     int     // urgencies
	revenue float64 // revenue at risk, over every member
	topRank int     // highest severity rank
	top     []proactive.Anomaly
	sorted  bool
	// bar is the least urgent member kept at the last trim, once one has
	// kept a full set: a member less urgent than it is never kept, so Add
	// counts it and drops it without a copy or a sort (most members of a
	// large group).
	bar    proactive.Anomaly
	hasBar bool
}

// NewReducer returns an empty Reducer for anomalies of type t.
func NewReducer(t proactive.AnomalyType) *Reducer { return &Reducer{typ: t} }

// Add takes one member.
func (r *Reducer) Add(a proactive.Anomaly) {
	r.n++
	r.sum += a.UrgencyScore
	r.revenue += a.RevenueAtRisk()
	r.topRank = max(r.topRank, a.Severity.Rank())
	if r.hasBar && rules.CompareAnomalies(a, r.bar) > 0 {
		return
	}
	r.top = append(r.top, a)
	r.sorted = false
	if len(r.top) >= 4*keep {
		r.trim()
	}
}

// trim keeps the most urgent members.
func (r *Reducer) trim() {
	if !r.sorted {
		rules.SortAnomalies(r.top)
		r.sorted = true
	}
	if len(r.top) > keep {
		clear(r.top[keep:])
		r.top = r.top[:keep]
	}
	if len(r.top) == keep {
		r.bar, r.hasBar = r.top[keep-1], true
	}
}

// Len is the number of members added.
func (r *Reducer) Len() int { return r.n }

// Group returns the alert group, false when no member was added: the
// primary is the most urgent member (rules.CompareAnomalies), Related the
// next most urgent (at most proactive.MaxRelated), and the combined
// severity and urgency, and the revenue at risk, cover every member.
func (r *Reducer) Group() (proactive.AlertGroup, bool) {
	if r.n == 0 {
		return proactive.AlertGroup{}, false
	}
	r.trim()
	return proactive.AlertGroup{
		ID:            string(r.typ) + "_group",
		Type:          r.typ,
		Primary:       r.top[0],
		Related:       slices.Clone(r.top[1:]),
		Severity:      combinedSeverity(r.topRank, r.n, r.top[0].Severity),
		Urgency:       combinedUrgency(r.sum, r.n),
		AffectedCount: r.n,
		RevenueAtRisk: r.revenue,
	}, true
}

// Group makes one alert group per type present, in the registry's order.
// Members are ordered by rules.CompareAnomalies (urgency descending, ties
// alphabetically by entity); the first is the primary. Anomalies of a type
// the registry does not know are left out. The input is not modified.
func Group(reg *proactive.Registry, anoms []proactive.Anomaly) []proactive.AlertGroup {
	reducers := map[proactive.AnomalyType]*Reducer{}
	for _, a := range anoms {
		if _, ok := reg.Lookup(a.Type); !ok {
			continue
		}
		r := reducers[a.Type]
		if r == nil {
			r = NewReducer(a.Type)
			reducers[a.Type] = r
		}
		r.Add(a)
	}
	var groups []proactive.AlertGroup
	for _, t := range reg.Types() {
		if r := reducers[t]; r != nil {
			g, _ := r.Group()
			groups = append(groups, g)
		}
	}
	return groups
}

// CombinedSeverity is the severity of a group whose members are given most
// urgent first: critical when any member is; else high when any member is
// high or there are at least 5 members; else medium with at least 3 members;
// else the primary's (members[0]). Severities are compared by rank, never by
// their text. It is "" for no members.
func CombinedSeverity(members []proactive.Anomaly) proactive.Severity {
	if len(members) == 0 {
		return ""
	}
	top := 0
	for _, m := range members {
		top = max(top, m.Severity.Rank())
	}
	return combinedSeverity(top, len(members), members[0].Severity)
}

func combinedSeverity(topRank, n int, primary proactive.Severity) proactive.Severity {
	switch {
	case topRank >= proactive.SeverityCritical.Rank():
		return proactive.SeverityCritical
	case topRank >= proactive.SeverityHigh.Rank() || n >= 5:
		return proactive.SeverityHigh
	case n >= 3:
		return proactive.SeverityMedium
	}
	return primary
}

// CombinedUrgency is min(round(mean urgency + 2 × members), 100), rounded
// half up, computed exactly in integers. It is 0 for no members.
func CombinedUrgency(members []proactive.Anomaly) int {
	sum := 0
	for _, m := range members {
		sum += m.UrgencyScore
	}
	return combinedUrgency(sum, len(members))
}

func combinedUrgency(sum, n int) int {
	if n == 0 {
		return 0
	}
	// round((sum + 2n²) / n) = floor((2(sum + 2n²) + n) / 2n)
	num, den := 2*(sum+2*n*n)+n, 2*n
	q := num / den
	if num%den != 0 && num < 0 {
		q-- // floor, not truncation, for a (nonsensical) negative sum
	}
	return min(q, 100)
}
