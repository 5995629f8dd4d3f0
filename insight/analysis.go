package insight

import (
	proactive "github.com/ptd-agents/ptd-proactive"
)

// Analysis is the trend analysis across all anomalies of one scan: the
// insights and predictions of CONTRACT §4 and §11.10, in the registry's
// order.
type Analysis struct {
	// Insights are every type's insights, in type order.
	Insights []string `json:"insights"`
	// Predictions are every type's predictions, in type order.
	Predictions []string `json:"predictions"`
	// ByType holds the insights and predictions of each type that has any.
	ByType map[proactive.AnomalyType]proactive.Findings `json:"-"`
}

// For returns the insights and predictions about anomalies of type t.
func (a Analysis) For(t proactive.AnomalyType) (insights, predictions []string) {
	f := a.ByType[t]
	return f.Insights, f.Predictions
}

// Analyst feeds each anomaly of a scan to its check's Analyzer.
type Analyst struct {
	reg       *proactive.Registry
	settings  proactive.Settings
	analyzers map[proactive.AnomalyType]proactive.Analyzer
}

// NewAnalyst returns an Analyst for the checks of reg under settings s.
func NewAnalyst(reg *proactive.Registry, s proactive.Settings) *Analyst {
	an := &Analyst{reg: reg, settings: s, analyzers: map[proactive.AnomalyType]proactive.Analyzer{}}
	for _, c := range reg.All() {
		if c.Text.Analyze != nil {
			an.analyzers[c.Type] = c.Text.Analyze(s)
		}
	}
	return an
}

// Add takes one anomaly; one of a check without analysis is ignored.
func (an *Analyst) Add(a *proactive.Anomaly) {
	if z := an.analyzers[a.Type]; z != nil {
		z.Add(a)
	}
}

// Reset forgets what was added of type t (a check that failed half way).
func (an *Analyst) Reset(t proactive.AnomalyType) {
	if c, ok := an.reg.Lookup(t); ok && c.Text.Analyze != nil {
		an.analyzers[t] = c.Text.Analyze(an.settings)
	}
}

// Analysis returns the insights and predictions in the registry's order;
// Insights and Predictions are empty, never nil, when there is nothing to say.
func (an *Analyst) Analysis() Analysis {
	out := Analysis{
		Insights:    []string{},
		Predictions: []string{},
		ByType:      make(map[proactive.AnomalyType]proactive.Findings),
	}
	for _, t := range an.reg.Types() {
		z := an.analyzers[t]
		if z == nil {
			continue
		}
		f := z.Findings()
		if len(f.Insights)+len(f.Predictions) == 0 {
			continue
		}
		out.ByType[t] = f
		out.Insights = append(out.Insights, f.Insights...)
		out.Predictions = append(out.Predictions, f.Predictions...)
	}
	return out
}

// Analyze derives the insights and predictions of a scan's anomalies (in
// any order) under settings s.
func Analyze(reg *proactive.Registry, s proactive.Settings, anoms []proactive.Anomaly) Analysis {
	an := NewAnalyst(reg, s)
	for i := range anoms {
		an.Add(&anoms[i])
	}
	return an.Analysis()
}
