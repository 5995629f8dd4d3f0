package rules

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

const day = 24 * time.Hour

func TestDaysStalled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ago  time.Duration
		want int
	}{
		{"exactly 14 days", 14 * day, 14},
		{"one nanosecond short of 14 days", 14*day - 1, 13},
		{"14 days 23 hours", 14*day + 23*time.Hour, 14},
		{"now", 0, 0},
		{"in the future by an hour", -time.Hour, -1},
		{"in the future by a day", -day, -1},
	} {
		require.Equal(t, tc.want, DaysStalled(testNow.Add(-tc.ago), testNow), tc.name)
	}
	// time zones do not matter: whole 24 h periods
	last := time.Date(2025, 11, 26, 12, 0, 0, 0, time.FixedZone("X", 5*3600))
	require.Equal(t, 14, DaysStalled(last, testNow.Add(5*time.Hour)))
}

func TestDealThresholds(t *testing.T) {
	t.Parallel()
	// Days are whole: "just below" is a day fewer, "just above" a day more.
	for _, tc := range thresholdCases(t, 1, [3]float64{30, 21, 14}, [3]float64{60, 45, 7}) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ago := time.Duration(tc.metric) * day
			deals := []proactive.Deal{{ID: "7", Name: "Acme", Stage: "Proposal", LastActivity: testNow.Add(-ago)}}
			got := Deals(deals, tc.th, testNow)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Severity)
			require.Equal(t, tc.metric, got[0].Metric)
		})
	}
	// One nanosecond short of 14 days is 13 whole days: nothing.
	deals := []proactive.Deal{{ID: "7", Stage: "Trial", LastActivity: testNow.Add(-14*day + 1)}}
	require.Empty(t, Deals(deals, proactive.DefaultThresholds(), testNow))
	deals[0].LastActivity = testNow.Add(-14 * day)
	require.Len(t, Deals(deals, proactive.DefaultThresholds(), testNow), 1)
}

func TestDealAnomaly(t *testing.T) {
	t.Parallel()
	amount := 25000.5
	got := Deals([]proactive.Deal{{
		ID: "d-1", Name: "Enterprise Package - ACME Corp", Stage: "negotiation",
		Amount: &amount, LastActivity: testNow.Add(-45*day - time.Hour), ContactEmail: " Ann@X.com ", Owner: " Bea ",
	}}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, proactive.Anomaly{
		Type:      proactive.DealStall,
		Severity:  proactive.SeverityCritical,
		Entity:    "Enterprise Package - ACME Corp",
		EntityKey: "Enterprise Package - ACME Corp",
		Key:       "deal-d-1",
		Contact:   "ann@x.com", // for renewal_risk: trimmed, lower-cased; no detail
		Owner:     "Bea",       // CONTRACT §11.6: the deal's owner column, trimmed
		Details: DealStallDetails{
			DealID:      sp("d-1"),
			DealName:    sp("Enterprise Package - ACME Corp"),
			Stage:       "negotiation",
			Amount:      &amount,
			DaysStalled: 45,
			Revenue:     25000.5, // CONTRACT §11.7: the amount
		},
		Metric:            45,
		RecommendedAction: "CRITICAL: Deal stuck in negotiation for 45 days. Immediate follow-up required. Consider re-engagement strategy or close-lost.",
		UrgencyScore:      100,
		DetectedAt:        testNow,
	}, got[0])
}

func TestDealEntityAndDetails(t *testing.T) {
	t.Parallel()
	got := Deals([]proactive.Deal{
		{ID: "42", Name: "  ", Stage: "Trial", LastActivity: testNow.Add(-22 * day)},
		{ID: "43", Name: " Big  Deal ", Stage: "Trial", LastActivity: testNow.Add(-22 * day)},
	}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 2)
	require.Equal(t, "Big  Deal", got[0].Entity)
	require.Equal(t, "Big  Deal", got[0].EntityKey)
	require.Equal(t, "Deal #42", got[1].Entity)
	require.Equal(t, "deal-42", got[1].EntityKey)
	d := got[1].Details.(DealStallDetails)
	require.Nil(t, d.DealName)
	require.Nil(t, d.Amount)
	require.Equal(t, 22, d.DaysStalled)
	require.Equal(t, "deal-42", got[1].Key)
	require.Equal(t, "deal-43", got[0].Key, "the case key is the id, never the name")
}

func TestDealActionsAndUrgency(t *testing.T) {
	t.Parallel()
	big, small := 12000.0, 10000.0
	for _, tc := range []struct {
		days    int
		amount  *float64
		action  string
		urgency int
	}{
		{30, nil, "CRITICAL: Deal stuck in Proposal for 30 days. Immediate follow-up required. Consider re-engagement strategy or close-lost.", 96},
		{25, &big, "High Priority: Reach out to understand blockers. Offer assistance or incentives to move forward.", 85},
		{14, &small, "Follow up within 3 business days. Check if prospect needs additional information or support.", 53},
	} {
		got := Deals([]proactive.Deal{{ID: "1", Name: "X", Stage: "Proposal", Amount: tc.amount, LastActivity: testNow.Add(-time.Duration(tc.days) * day)}},
			proactive.DefaultThresholds(), testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.action, got[0].RecommendedAction)
		require.Equal(t, tc.urgency, got[0].UrgencyScore)
	}
}

func TestDealsSkipsNoActivityAndSorts(t *testing.T) {
	t.Parallel()
	deals := []proactive.Deal{
		{ID: "0", Name: "Never", Stage: "Trial"}, // zero LastActivity: skipped
		{ID: "1", Name: "beta", Stage: "Trial", LastActivity: testNow.Add(-20 * day)},
		{ID: "2", Name: "Alpha", Stage: "Trial", LastActivity: testNow.Add(-20 * day)},
		{ID: "3", Name: "Gamma", Stage: "Trial", LastActivity: testNow.Add(-40 * day)},
		{ID: "4", Name: "Future", Stage: "Trial", LastActivity: testNow.Add(day)},
	}
	got := Deals(deals, proactive.DefaultThresholds(), testNow)
	var entities []string
	for _, a := range got {
		entities = append(entities, a.Entity)
	}
	require.Equal(t, []string{"Gamma", "Alpha", "beta"}, entities)
}
