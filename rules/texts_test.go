package rules

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// TestRegistryOrder: the eight checks in CONTRACT §11.10's order, the
// four of Part one by default only.
func TestRegistryOrder(t *testing.T) {
	t.Parallel()
	reg := Registry()
	require.Equal(t, []proactive.AnomalyType{
		"health_drop", "deal_stall", "sync_fail", "response_delay",
		"health_forecast", "health_anomaly", "renewal_risk", "coach_workload",
	}, reg.Types())
	require.Equal(t, []proactive.AnomalyType{"health_drop", "deal_stall", "sync_fail", "response_delay"}, reg.Defaults())
}

// TestRegistryWorkingSet: the scan's memory budget grows by the largest
// working set of the checks it runs; the checks that stream every
// client's series declare one (they share one read), the others none.
func TestRegistryWorkingSet(t *testing.T) {
	t.Parallel()
	reg := Registry()
	for _, tc := range []struct {
		name  string
		types []proactive.AnomalyType
		want  int64
	}{
		{"none", nil, 0},
		{"the default checks: batch by batch", reg.Defaults(), 0},
		{"the forecast", []proactive.AnomalyType{proactive.HealthDrop, proactive.HealthForecast}, seriesWorkingSet},
		{"the anomaly check alone reads the series too", []proactive.AnomalyType{proactive.HealthAnomaly}, seriesWorkingSet},
		{"both: one read, counted once", reg.Types(), seriesWorkingSet},
		{"an unknown type counts nothing", []proactive.AnomalyType{"invoice_overdue"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, reg.WorkingSet(tc.types))
		})
	}
}

// TestEarlyWarningTexts holds the texts of CONTRACT §11.10 verbatim:
// breakdown keys, titles of one member and of a group, and the insight
// sentence, given for any number of members.
func TestEarlyWarningTexts(t *testing.T) {
	t.Parallel()
	s := proactive.DefaultSettings()
	s.Thresholds.ForecastDays = 10
	for _, tc := range []struct {
		typ                 proactive.AnomalyType
		breakdown           string
		entity, one, group3 string
		insight1, insight3  string
	}{
		{proactive.HealthForecast, "health_forecasts", "Jane Doe (jane@x.com)",
			"Client Heading for RED: Jane Doe (jane@x.com)", "3 Clients Heading for RED",
			"1 clients forecast to reach RED within 10 days.", "3 clients forecast to reach RED within 10 days."},
		{proactive.HealthAnomaly, "health_anomalies", "Jane Doe (jane@x.com)",
			"Unusual Health Drop: Jane Doe (jane@x.com)", "3 Clients: Unusual Health Drops",
			"1 clients with drops unusual for their own history.", "3 clients with drops unusual for their own history."},
		{proactive.RenewalRisk, "renewal_risks", "Jane Doe (jane@x.com)",
			"Renewal Risk: Jane Doe (jane@x.com)", "3 Clients at Renewal Risk",
			"1 clients at renewal risk: falling health with stuck deals or leads.", "3 clients at renewal risk: falling health with stuck deals or leads."},
		{proactive.CoachWorkload, "coach_workloads", "Ann Lee",
			"Coach Overloaded: Ann Lee", "3 Coaches Overloaded",
			"1 coaches carry an outsized share of at-risk clients.", "3 coaches carry an outsized share of at-risk clients."},
	} {
		c, ok := Registry().Lookup(tc.typ)
		require.True(t, ok, tc.typ)
		require.False(t, c.Default, "%s runs only when configured", tc.typ)
		require.Equal(t, tc.breakdown, c.BreakdownKey)
		p := &proactive.Anomaly{Type: tc.typ, Entity: tc.entity}
		require.Equal(t, tc.one, c.Text.Title(1, p))
		require.Equal(t, tc.group3, c.Text.Title(3, p))
		for n, want := range map[int]string{1: tc.insight1, 3: tc.insight3} {
			z := c.Text.Analyze(s)
			for range n {
				z.Add(p)
			}
			require.Equal(t, proactive.Findings{Insights: []string{want}}, z.Findings(), "%s with %d", tc.typ, n)
		}
		require.Equal(t, proactive.Findings{}, c.Text.Analyze(s).Findings(), "%s: nothing to say without members", tc.typ)
	}
}

// TestEarlyWarningActions holds the recommended actions of CONTRACT
// §11.10 verbatim, for each severity a check gives.
func TestEarlyWarningActions(t *testing.T) {
	t.Parallel()
	require.Equal(t, "URGENT: Score falling 2.5 points a day; reaches RED in 1.2 days. Call today and agree a recovery plan.",
		forecastAction(proactive.SeverityCritical, -2.5, 1.2))
	require.Equal(t, "High Priority: Score falling 2.0 points a day; reaches RED in 3.0 days. Book a check-in within 48 hours.",
		forecastAction(proactive.SeverityHigh, -2, 3))
	require.Equal(t, "Score falling 0.9 points a day; reaches RED in 6.7 days. Send a check-in message this week.",
		forecastAction(proactive.SeverityMedium, -0.85, 6.66))
	require.Equal(t, "High Priority: Unusual 12.5-point drop for this client (z = -9.1). Reach out within 48 hours to understand what changed.",
		anomalyAction(proactive.SeverityHigh, 12.5, -9.05))
	require.Equal(t, "Unusual 6.0-point drop for this client (z = -4.0). Send a check-in message and watch the next readings.",
		anomalyAction(proactive.SeverityMedium, 6, -4))
	require.Equal(t, "URGENT: Renewal at risk: falling health and 2 stuck deal(s) or lead(s). Call within 24 hours and review them together.",
		renewalAction(2))
	require.Equal(t, "High Priority: 6 of 10 clients at risk (60% vs team median 17%). Rebalance clients or add support this week.",
		coachAction(proactive.SeverityHigh, 6, 10, 0.6, 1.0/6))
	require.Equal(t, "3 of 12 clients at risk (25% vs team median 10%). Review this coach's caseload.",
		coachAction(proactive.SeverityMedium, 3, 12, 0.25, 0.1))
}

// TestTally: the breakdown line counts each check's anomalies in the
// number the count calls for ("1 health drop", "2 overloaded coaches").
func TestTally(t *testing.T) {
	t.Parallel()
	reg := Registry()
	for _, tc := range []struct {
		typ        proactive.AnomalyType
		one, three string
	}{
		{proactive.HealthDrop, "1 health drop", "3 health drops"},
		{proactive.DealStall, "1 stalled deal", "3 stalled deals"},
		{proactive.SyncFail, "1 sync failure pattern", "3 sync failure patterns"},
		{proactive.ResponseDelay, "1 delayed lead", "3 delayed leads"},
		{proactive.HealthForecast, "1 health forecast", "3 health forecasts"},
		{proactive.HealthAnomaly, "1 unusual health drop", "3 unusual health drops"},
		{proactive.RenewalRisk, "1 renewal risk", "3 renewal risks"},
		{proactive.CoachWorkload, "1 overloaded coach", "3 overloaded coaches"},
	} {
		c, ok := reg.Lookup(tc.typ)
		require.True(t, ok, tc.typ)
		require.Equal(t, tc.one, c.Text.Tally(1), tc.typ)
		require.Equal(t, tc.three, c.Text.Tally(3), tc.typ)
		require.Equal(t, "0"+tc.three[1:], c.Text.Tally(0), tc.typ)
	}
}
