// Package insight turns the anomalies of one scan into alerts: it groups them
// by type (CONTRACT §4), derives the insights and predictions across them,
// and writes each group's title, summary, content, action items and dedup
// key. Like package rules it is pure: anomalies and the scan's now in, text
// and alerts out.
package insight

import (
	"iter"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// Group makes one alert group per anomaly type present, in
// proactive.AnomalyTypes() order. Members are ordered by
// rules.CompareAnomalies (urgency descending, ties alphabetically by
// entity); the first is the primary. Anomalies of an unknown type are left
// out. The input is not modified.
func Group(anoms []proactive.Anomaly) []proactive.AlertGroup {
	counts := countByType(anoms)
	var groups []proactive.AlertGroup
	for _, t := range proactive.AnomalyTypes() {
		if counts[t] == 0 {
			continue
		}
		members := make([]proactive.Anomaly, 0, counts[t])
		for a := range ofType(anoms, t) {
			members = append(members, *a)
		}
		rules.SortAnomalies(members)
		groups = append(groups, proactive.AlertGroup{
			ID:            string(t) + "_group",
			Type:          t,
			Primary:       members[0],
			Related:       members[1:],
			Severity:      CombinedSeverity(members),
			Urgency:       CombinedUrgency(members),
			AffectedCount: len(members),
		})
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
	switch {
	case top >= proactive.SeverityCritical.Rank():
		return proactive.SeverityCritical
	case top >= proactive.SeverityHigh.Rank() || len(members) >= 5:
		return proactive.SeverityHigh
	case len(members) >= 3:
		return proactive.SeverityMedium
	}
	return members[0].Severity
}

// CombinedUrgency is min(round(mean urgency + 2 × members), 100), rounded
// half up, computed exactly in integers. It is 0 for no members.
func CombinedUrgency(members []proactive.Anomaly) int {
	n := len(members)
	if n == 0 {
		return 0
	}
	sum := 0
	for _, m := range members {
		sum += m.UrgencyScore
	}
	// round((sum + 2n²) / n) = floor((2(sum + 2n²) + n) / 2n)
	num, den := 2*(sum+2*n*n)+n, 2*n
	q := num / den
	if num%den != 0 && num < 0 {
		q-- // floor, not truncation, for a (nonsensical) negative sum
	}
	return min(q, 100)
}

// countByType counts anomalies per type.
func countByType(anoms []proactive.Anomaly) map[proactive.AnomalyType]int {
	counts := make(map[proactive.AnomalyType]int, len(proactive.AnomalyTypes()))
	for i := range anoms {
		counts[anoms[i].Type]++
	}
	return counts
}

// ofType yields the anomalies of type t, in order, without copying them.
func ofType(anoms []proactive.Anomaly, t proactive.AnomalyType) iter.Seq[*proactive.Anomaly] {
	return func(yield func(*proactive.Anomaly) bool) {
		for i := range anoms {
			if anoms[i].Type == t && !yield(&anoms[i]) {
				return
			}
		}
	}
}
