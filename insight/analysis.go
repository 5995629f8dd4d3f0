package insight

import (
	"fmt"
	"iter"
	"slices"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// Analysis is the trend analysis across all anomalies of one scan: the
// insights and predictions of CONTRACT §4, in anomaly type order.
type Analysis struct {
	// Insights are every type's insights, in type order.
	Insights []string `json:"insights"`
	// Predictions are every type's predictions, in type order.
	Predictions []string `json:"predictions"`
	// ByType holds the insights and predictions of each type that has any.
	ByType map[proactive.AnomalyType]Findings `json:"-"`
}

// Findings are the insights and predictions about one anomaly type.
type Findings struct {
	Insights    []string
	Predictions []string
}

// For returns the insights and predictions about anomalies of type t.
func (a Analysis) For(t proactive.AnomalyType) (insights, predictions []string) {
	f := a.ByType[t]
	return f.Insights, f.Predictions
}

// Analyze derives CONTRACT §4's insights and predictions from the anomalies
// of a scan (in any order); counts are per type and averages are rounded
// half up in the text:
//
//   - 3 or more health drops: the count and average drop, and a systemic
//     issue prediction when the unrounded average is over 15;
//   - 3 or more deal stalls: the most common stage as written (a tie goes to
//     the alphabetically first) and a review of that stage;
//   - any sync failure: the distinct sources, alphabetically, and a
//     prediction when any failure is critical;
//   - 2 or more response delays: the count and average wait, and a
//     conversion prediction.
//
// Insights and Predictions are empty, never nil, when there is nothing to say.
func Analyze(anoms []proactive.Anomaly) Analysis {
	counts := countByType(anoms)
	out := Analysis{
		Insights:    []string{},
		Predictions: []string{},
		ByType:      make(map[proactive.AnomalyType]Findings),
	}
	for _, t := range proactive.AnomalyTypes() {
		var f Findings
		n, as := counts[t], ofType(anoms, t)
		switch t {
		case proactive.HealthDrop:
			f = analyzeHealth(n, as)
		case proactive.DealStall:
			f = analyzeDeals(n, as)
		case proactive.SyncFail:
			f = analyzeSync(n, as)
		case proactive.ResponseDelay:
			f = analyzeLeads(n, as)
		}
		if len(f.Insights)+len(f.Predictions) == 0 {
			continue
		}
		out.ByType[t] = f
		out.Insights = append(out.Insights, f.Insights...)
		out.Predictions = append(out.Predictions, f.Predictions...)
	}
	return out
}

// The analyses of each type get the number of anomalies of the type and
// the anomalies themselves.

func analyzeHealth(n int, as iter.Seq[*proactive.Anomaly]) Findings {
	var f Findings
	if n < 3 {
		return f
	}
	avg := meanMetric(n, as)
	f.Insights = append(f.Insights, fmt.Sprintf("%d clients experiencing health score drops. Average drop: %d points.", n, rules.RoundHalfUp(avg)))
	if avg > 15 {
		f.Predictions = append(f.Predictions, "Trend indicates potential systemic issue affecting multiple clients. Investigate common factors.")
	}
	return f
}

func analyzeDeals(n int, as iter.Seq[*proactive.Anomaly]) Findings {
	var f Findings
	if n < 3 {
		return f
	}
	counts := make(map[string]int)
	for a := range as {
		counts[text(*a, "stage")]++
	}
	stage, k := "", 0
	for s, c := range counts {
		if c > k || c == k && rules.CompareText(s, stage) < 0 {
			stage, k = s, c
		}
	}
	f.Insights = append(f.Insights, fmt.Sprintf("%d deals stalled. Most common stage: %s (%d deals)", n, stage, k))
	f.Predictions = append(f.Predictions, fmt.Sprintf("Review %s stage process. May indicate bottleneck or unclear next steps.", stage))
	return f
}

func analyzeSync(n int, as iter.Seq[*proactive.Anomaly]) Findings {
	var f Findings
	if n == 0 {
		return f
	}
	var sources []string
	seen := make(map[string]bool)
	critical := false
	for a := range as {
		if s := text(*a, "source"); !seen[s] {
			seen[s] = true
			sources = append(sources, s)
		}
		critical = critical || a.Severity == proactive.SeverityCritical
	}
	slices.SortFunc(sources, rules.CompareText)
	f.Insights = append(f.Insights, fmt.Sprintf("Sync failures detected across %d source(s): %s", len(sources), strings.Join(sources, ", ")))
	if critical {
		f.Predictions = append(f.Predictions, "Critical sync failures may cause data inconsistencies. Immediate attention required.")
	}
	return f
}

func analyzeLeads(n int, as iter.Seq[*proactive.Anomaly]) Findings {
	var f Findings
	if n < 2 {
		return f
	}
	f.Insights = append(f.Insights, fmt.Sprintf("%d leads waiting for response. Average wait time: %d hours", n, rules.RoundHalfUp(meanMetric(n, as))))
	f.Predictions = append(f.Predictions, "Slow lead response times directly impact conversion rates. Consider automation or staffing adjustments.")
	return f
}

// meanMetric is the mean of the n anomalies' metrics, denoised.
func meanMetric(n int, as iter.Seq[*proactive.Anomaly]) float64 {
	sum := 0.0
	for a := range as {
		sum += metric(*a)
	}
	return rules.Denoise(sum / float64(n))
}
