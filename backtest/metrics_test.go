package backtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/backtest"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// at parses a test time: 2026-01-05 or 2026-01-05T15:00:00Z.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	layout := time.RFC3339
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	v, err := time.Parse(layout, s)
	require.NoError(t, err)
	return v.UTC()
}

// kase builds a case of type typ for entity id, opened at opened and
// resolved at resolved ("" while open).
func kase(t *testing.T, typ proactive.AnomalyType, id, opened, resolved string) proactive.Case {
	t.Helper()
	c := proactive.Case{Type: typ, Key: proactive.CaseKey(typ, id), OpenedAt: at(t, opened), State: proactive.CaseOpen}
	if resolved != "" {
		r := at(t, resolved)
		c.ResolvedAt, c.State = &r, proactive.CaseResolved
	}
	return c
}

// outcomes parses "key,at" lines after the header.
func outcomes(t *testing.T, lines ...string) *backtest.Outcomes {
	t.Helper()
	o, err := backtest.ParseOutcomes(strings.NewReader("key,at\n"+strings.Join(lines, "\n")), "test.csv")
	require.NoError(t, err)
	return &o
}

func fp(v float64) *float64 { return &v }
func ip(v int) *int         { return &v }

// form is the outcome form of check typ (Check.OutcomeKey).
func form(typ proactive.AnomalyType) func(string) bool {
	c, _ := rules.Registry().Lookup(typ)
	return c.OutcomeKey
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	const (
		hd = proactive.HealthDrop
		ds = proactive.DealStall
		rd = proactive.ResponseDelay
		sf = proactive.SyncFail
	)
	from, to := "2026-01-01", "2026-01-31"
	tests := []struct {
		name     string
		typ      proactive.AnomalyType
		cases    []proactive.Case
		outcomes []string // nil: no outcomes file
		want     backtest.CheckReport
	}{
		{
			name: "no cases: every median and ratio is null",
			typ:  hd, outcomes: []string{},
			want: backtest.CheckReport{Hits: ip(0), OutcomesConsidered: ip(0)},
		},
		{
			name: "no outcomes file: the outcome figures are null; odd count median; still open measured to --to",
			typ:  hd,
			cases: []proactive.Case{
				kase(t, hd, "a@x.com", "2026-01-02", "2026-01-03"),                     // 24 h
				kase(t, hd, "b@x.com", "2026-01-05", "2026-01-07T12:00:00Z"),           // 60 h
				kase(t, hd, "a@x.com", "2026-01-30", ""),                               // open: 24 h to --to
				kase(t, ds, "deal-1", "2026-01-02", ""),                                // another check's: ignored
				kase(t, hd, "c@x.com", "2026-01-10T00:00:00Z", "2026-01-20T00:00:00Z"), // 240 h
				kase(t, hd, "d@x.com", "2026-01-10T00:00:00Z", "2026-01-10T06:00:00Z"), // 6 h
			},
			want: backtest.CheckReport{CasesOpened: 5, Entities: 4, StillOpen: 1, MedianOpenHours: fp(24)},
		},
		{
			name: "even count median: the mean of the middle two",
			typ:  hd,
			cases: []proactive.Case{
				kase(t, hd, "a@x.com", "2026-01-02", "2026-01-03"),           // 24
				kase(t, hd, "b@x.com", "2026-01-02", "2026-01-04"),           // 48
				kase(t, hd, "c@x.com", "2026-01-02", "2026-01-02T06:00:00Z"), // 6
				kase(t, hd, "d@x.com", "2026-01-02", "2026-01-06"),           // 96
			},
			want: backtest.CheckReport{CasesOpened: 4, Entities: 4, MedianOpenHours: fp(36)},
		},
		{
			name:     "outcome on the opening date is a hit, with lead time 0",
			typ:      hd,
			cases:    []proactive.Case{kase(t, hd, "a@x.com", "2026-01-10T23:00:00Z", "2026-01-11T23:00:00Z")},
			outcomes: []string{"a@x.com,2026-01-10 01:00:00"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, MedianOpenHours: fp(24),
				Hits: ip(1), Precision: fp(1), OutcomesConsidered: ip(1), Recall: fp(1), MedianLeadDays: fp(0)},
		},
		{
			name:     "outcome 30 days after the opening date is a hit",
			typ:      hd,
			cases:    []proactive.Case{kase(t, hd, "a@x.com", "2026-01-10T08:00:00Z", "2026-01-11T08:00:00Z")},
			outcomes: []string{"a@x.com,2026-02-09"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, MedianOpenHours: fp(24),
				Hits: ip(1), Precision: fp(1), OutcomesConsidered: ip(1), Recall: fp(1), MedianLeadDays: fp(30)},
		},
		{
			name:     "outcome 31 days after is no hit, and not recalled",
			typ:      hd,
			cases:    []proactive.Case{kase(t, hd, "a@x.com", "2026-01-10T08:00:00Z", "2026-01-11T08:00:00Z")},
			outcomes: []string{"a@x.com,2026-02-10"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, MedianOpenHours: fp(24),
				Hits: ip(0), Precision: fp(0), OutcomesConsidered: ip(1), Recall: fp(0)},
		},
		{
			name:     "outcome before any case: no hit, not recalled",
			typ:      hd,
			cases:    []proactive.Case{kase(t, hd, "a@x.com", "2026-01-10", "2026-01-11")},
			outcomes: []string{"a@x.com,2026-01-09T23:59:59Z"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, MedianOpenHours: fp(24),
				Hits: ip(0), Precision: fp(0), OutcomesConsidered: ip(1), Recall: fp(0)},
		},
		{
			name: "lead time from the earliest case within 30 days; odd and even medians",
			typ:  hd,
			cases: []proactive.Case{
				kase(t, hd, "a@x.com", "2026-01-05", "2026-01-06"), // 25 days before a's outcome
				kase(t, hd, "a@x.com", "2026-01-20", "2026-01-21"), // 10 days before
				kase(t, hd, "b@x.com", "2026-01-25", "2026-01-26"), // 5 days before b's
				kase(t, hd, "c@x.com", "2026-01-01", "2026-01-02"), // 31 days before c's: not it
				kase(t, hd, "c@x.com", "2026-01-30", "2026-01-31"), // 2 days before c's
			},
			outcomes: []string{"a@x.com,2026-01-30", "b@x.com,2026-01-30", "c@x.com,2026-02-01", "z@x.com,2026-01-15"},
			// leads 25, 5, 2 (z not recalled): median 5. Hits: a×2, b, c's second (c's first
			// opened 31 days before): 4 of 5.
			want: backtest.CheckReport{CasesOpened: 5, Entities: 3, MedianOpenHours: fp(24),
				Hits: ip(4), Precision: fp(0.8), OutcomesConsidered: ip(4), Recall: fp(0.75), MedianLeadDays: fp(5)},
		},
		{
			name: "even number of recalled outcomes: the mean of the middle two lead times",
			typ:  hd,
			cases: []proactive.Case{
				kase(t, hd, "a@x.com", "2026-01-05", "2026-01-06"),
				kase(t, hd, "b@x.com", "2026-01-10", "2026-01-11"),
			},
			outcomes: []string{"a@x.com,2026-01-06", "b@x.com,2026-01-20"},
			want: backtest.CheckReport{CasesOpened: 2, Entities: 2, MedianOpenHours: fp(24),
				Hits: ip(2), Precision: fp(1), OutcomesConsidered: ip(2), Recall: fp(1), MedianLeadDays: fp(5.5)},
		},
		{
			name:     "keys are compared trimmed and lower-cased",
			typ:      ds,
			cases:    []proactive.Case{kase(t, ds, "deal-AB7", "2026-01-10", "2026-01-11")},
			outcomes: []string{"  DEAL-ab7 ,2026-01-12"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, MedianOpenHours: fp(24),
				Hits: ip(1), Precision: fp(1), OutcomesConsidered: ip(1), Recall: fp(1), MedianLeadDays: fp(2)},
		},
		{
			name:     "recall counts only the check's form: emails for health, deal- for deals, lead- for leads",
			typ:      rd,
			cases:    []proactive.Case{kase(t, rd, "lead-9", "2026-01-10", "2026-01-11")},
			outcomes: []string{"lead-9,2026-01-11", "lead-8,2026-01-11", "deal-9,2026-01-11", "a@x.com,2026-01-11"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, MedianOpenHours: fp(24),
				Hits: ip(1), Precision: fp(1), OutcomesConsidered: ip(2), Recall: fp(0.5), MedianLeadDays: fp(1)},
		},
		{
			name:     "outcomes considered from --from to --to + 30 days",
			typ:      hd,
			outcomes: []string{"a@x.com,2025-12-31", "a@x.com,2026-01-01", "a@x.com,2026-03-02", "a@x.com,2026-03-03"},
			// 2026-01-31 + 30 days = 2026-03-02.
			want: backtest.CheckReport{Hits: ip(0), OutcomesConsidered: ip(2), Recall: fp(0)},
		},
		{
			name:     "a check without an outcome form: precision counts, recall and lead time null",
			typ:      sf,
			cases:    []proactive.Case{kase(t, sf, "hubspot_rate_limit", "2026-01-10", "")},
			outcomes: []string{"HubSpot_Rate_Limit,2026-01-12", "a@x.com,2026-01-12"},
			want: backtest.CheckReport{CasesOpened: 1, Entities: 1, StillOpen: 1, MedianOpenHours: fp(21 * 24),
				Hits: ip(1), Precision: fp(1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var o *backtest.Outcomes
			if tc.outcomes != nil {
				o = outcomes(t, tc.outcomes...)
			}
			got := backtest.Measure(tc.typ, form(tc.typ), tc.cases, 0, o, at(t, from), at(t, to))
			tc.want.Type = tc.typ
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMeasureAlertsPassThrough(t *testing.T) {
	t.Parallel()
	got := backtest.Measure(proactive.HealthDrop, nil, nil, 7, nil, at(t, "2026-01-01"), at(t, "2026-01-02"))
	require.Equal(t, 7, got.Alerts)
}

func TestOutcomeForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  proactive.AnomalyType
		key  string
		want bool
	}{
		{proactive.HealthDrop, "a@x.com", true},
		{proactive.HealthForecast, "a@x.com", true},
		{proactive.HealthAnomaly, "a@x.com", true},
		{proactive.RenewalRisk, "a@x.com", true},
		{proactive.HealthDrop, "deal-1", false},
		{proactive.DealStall, "deal-1", true},
		{proactive.DealStall, "lead-1", false},
		{proactive.ResponseDelay, "lead-1", true},
		{proactive.ResponseDelay, "a@x.com", false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, form(tc.typ)(tc.key), "%s %s", tc.typ, tc.key)
	}
	require.Nil(t, form(proactive.SyncFail), "sync_fail has no outcome form: its recall is null")
	require.Nil(t, form(proactive.CoachWorkload), "coach_workload has no outcome form: its recall is null")
}
