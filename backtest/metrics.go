package backtest

import (
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// HitWindow is how long after a case opened an outcome still counts for
// it, and how long before an outcome a case must have opened to recall it
// (CONTRACT §12: 30 days, on UTC dates).
const HitWindow = 30 * 24 * time.Hour

// CheckReport is what the backtest measured for one check. The outcome
// metrics (Precision through OutcomesConsidered) are nil without an
// outcomes file; a ratio or median with an empty denominator is nil too.
type CheckReport struct {
	// Type is the check.
	Type proactive.AnomalyType `json:"-"`
	// Alerts counts the replay's inserted, escalated and updated group
	// alerts of the check.
	Alerts int `json:"alerts"`
	// CasesOpened counts the cases the replay opened; Entities the
	// distinct case keys among them; StillOpen those unresolved at the end.
	CasesOpened int `json:"cases_opened"`
	Entities    int `json:"entities"`
	StillOpen   int `json:"still_open"`
	// MedianOpenHours is the median time from opening to resolution, a
	// case still open measured to the end of the backtest.
	MedianOpenHours *float64 `json:"median_open_hours"`
	// Precision is Hits ÷ CasesOpened.
	Precision *float64 `json:"precision"`
	// Recall is the share of OutcomesConsidered with a case of the check
	// opened on the outcome's date or up to 30 days before; nil for a
	// check whose entities have no outcomes (Check.OutcomeKey nil).
	Recall *float64 `json:"recall"`
	// MedianLeadDays is the median over the recalled outcomes of the days
	// from the earliest such case's opening date to the outcome's date.
	MedianLeadDays *float64 `json:"median_lead_days"`
	// Hits counts the cases with an outcome for their entity on their
	// opening date or up to 30 days later.
	Hits *int `json:"hits"`
	// OutcomesConsidered counts the outcomes of the check's form dated
	// between the start and 30 days after the end; nil when the check has
	// no form.
	OutcomesConsidered *int `json:"outcomes_considered"`
}

// Measure computes one check's figures from the cases the replay opened
// (of any type: those of other checks are ignored), its alert count and,
// when outcomes is not nil, the outcomes (CONTRACT §12). form is the
// check's Check.OutcomeKey; from and to bound the backtest.
func Measure(t proactive.AnomalyType, form func(id string) bool, cases []proactive.Case, alerts int, outcomes *Outcomes, from, to time.Time) CheckReport {
	r := CheckReport{Type: t, Alerts: alerts}
	keys := map[string]bool{}
	opened := map[string][]time.Time{} // entity id → UTC opening dates, ascending
	var hours []float64
	for i := range cases {
		c := &cases[i]
		if c.Type != t {
			continue
		}
		r.CasesOpened++
		keys[c.Key] = true
		end := to
		if c.ResolvedAt != nil {
			end = *c.ResolvedAt
		} else {
			r.StillOpen++
		}
		hours = append(hours, end.Sub(c.OpenedAt).Hours())
		id := caseID(c)
		opened[id] = append(opened[id], Day(c.OpenedAt))
	}
	r.Entities = len(keys)
	r.MedianOpenHours = median(hours)
	if outcomes == nil {
		return r
	}
	for id := range opened {
		slices.SortFunc(opened[id], func(a, b time.Time) int { return a.Compare(b) })
	}
	// Precision: a case is a hit when an outcome for its entity falls on
	// its opening date or within 30 days after.
	at := map[string][]time.Time{}
	for _, o := range outcomes.List {
		at[o.Key] = append(at[o.Key], o.Date)
	}
	hits := 0
	for id, days := range opened {
		for _, d := range days {
			if slices.ContainsFunc(at[id], func(a time.Time) bool { return !a.Before(d) && !a.After(d.Add(HitWindow)) }) {
				hits++
			}
		}
	}
	r.Hits = &hits
	r.Precision = ratio(hits, r.CasesOpened)
	if form == nil {
		return r
	}
	// Recall: the outcomes of the check's form in [from, to + 30 days]
	// with a case opened on their date or up to 30 days before.
	considered, recalled := 0, 0
	var leads []float64
	last := to.Add(HitWindow)
	for _, o := range outcomes.List {
		if !form(o.Key) || o.Date.Before(from) || o.Date.After(last) {
			continue
		}
		considered++
		for _, d := range opened[o.Key] { // ascending: the first match is the earliest
			if !d.After(o.Date) && !d.Before(o.Date.Add(-HitWindow)) {
				recalled++
				leads = append(leads, float64(o.Date.Sub(d)/(24*time.Hour)))
				break
			}
		}
	}
	r.OutcomesConsidered = &considered
	r.Recall = ratio(recalled, considered)
	r.MedianLeadDays = median(leads)
	return r
}

// caseID is a case's key without its type, as outcome keys are compared.
func caseID(c *proactive.Case) string {
	return NormalizeKey(strings.TrimPrefix(c.Key, string(c.Type)+":"))
}

// ratio is n ÷ d, nil when d is 0.
func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

// median is the middle value (the mean of the middle two for an even
// count), nil when there is none.
func median(vs []float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}
