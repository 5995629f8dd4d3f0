package rules

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// CONTRACT §11.6 and §11.7: each check's anomalies carry the owner the
// store read (trimmed) and details.revenue_at_risk.
func TestOwnersAndRevenueAtRisk(t *testing.T) {
	t.Parallel()
	th := proactive.DefaultThresholds()
	th.LeadValue = 250
	amount := 4000.0

	health := Health([]proactive.HealthTrend{
		{Email: "ann@x.com", Previous: 80, Current: 60, Readings: 2, Owner: " Coach Kim ", Value: 1200.5},
		{Email: "bo@x.com", Previous: 80, Current: 60, Readings: 2, Value: math.NaN()},
		{Email: "cy@x.com", Previous: 80, Current: 60, Readings: 2, Value: -5},
	}, th, testNow)
	require.Len(t, health, 3)
	byKey := map[string]proactive.Anomaly{}
	for _, a := range health {
		byKey[a.Key] = a
	}
	ann, bo, cy := byKey["ann@x.com"], byKey["bo@x.com"], byKey["cy@x.com"]
	require.Equal(t, "Coach Kim", ann.Owner)
	require.Equal(t, 1200.5, ann.RevenueAtRisk())
	require.Empty(t, bo.Owner)
	require.Zero(t, bo.RevenueAtRisk(), "a value that is no number is 0")
	require.Zero(t, cy.RevenueAtRisk(), "a negative value is 0")

	s := clientSeries("ann@x.com", "YELLOW", 77, 74, 71, 68, 65, 62)
	s.Owner, s.Value = " Kim ", 900
	forecast := Forecasts([]proactive.ClientSeries{s}, th, testNow)
	require.Len(t, forecast, 1)
	require.Equal(t, "Kim", forecast[0].Owner)
	require.Equal(t, 900.0, forecast[0].RevenueAtRisk())

	u := clientSeries("ann@x.com", "YELLOW", 72, 73, 72, 73, 72, 73, 60)
	u.Owner, u.Value = "Kim", 900
	unusual := Anomalies([]proactive.ClientSeries{u}, nil, th, testNow)
	require.Len(t, unusual, 1)
	require.Equal(t, "Kim", unusual[0].Owner)
	require.Equal(t, 900.0, unusual[0].RevenueAtRisk())

	deals := Deals([]proactive.Deal{
		{ID: "1", Name: "Big", Stage: "Trial", Amount: &amount, LastActivity: testNow.Add(-20 * day), Owner: " Lee ", ContactEmail: "ann@x.com"},
		{ID: "2", Name: "Small", Stage: "Trial", LastActivity: testNow.Add(-20 * day), ContactEmail: "ann@x.com"},
	}, th, testNow)
	require.Len(t, deals, 2)
	require.Equal(t, "Lee", deals[0].Owner)
	require.Equal(t, 4000.0, deals[0].RevenueAtRisk(), "the amount")
	require.Zero(t, deals[1].RevenueAtRisk(), "a null amount is 0")
	require.Empty(t, deals[1].Owner)

	leads := Leads([]proactive.Lead{{ID: "9", Email: "ann@x.com", CreatedAt: testNow.Add(-10 * time.Hour)}}, th, testNow)
	require.Len(t, leads, 1)
	require.Equal(t, 250.0, leads[0].RevenueAtRisk(), "thresholds.lead_value")
	require.Empty(t, leads[0].Owner, "a lead has no owner")

	syncs := Sync([]proactive.SyncFailureGroup{{Source: "hubspot", ErrorType: "rate_limit", Count: 5}}, th, testNow)
	require.Len(t, syncs, 1)
	require.Zero(t, syncs[0].RevenueAtRisk())
	require.Empty(t, syncs[0].Owner)

	// renewal_risk: the client's value plus its stalled deals' amounts
	// (not the lead's value); the client's owner.
	var in []proactive.Anomaly
	in = append(in, ann)
	in = append(in, deals...)
	in = append(in, leads...)
	risks := RenewalRisks(in, testNow)
	require.Len(t, risks, 1)
	require.Equal(t, 1200.5+4000, risks[0].RevenueAtRisk())
	require.Equal(t, "Coach Kim", risks[0].Owner)

	// coach_workload: the values of the at-risk clients only.
	var owners []proactive.ClientOwner
	var cases []proactive.Case
	for i, v := range []float64{100, 200, 300, 400, 500} {
		email := string(rune('a'+i)) + "@x.com"
		owners = append(owners, proactive.ClientOwner{Email: email, Owner: "Kim", At: testNow, Value: v})
		if i < 3 {
			cases = append(cases, proactive.Case{Type: proactive.HealthDrop, Key: proactive.CaseKey(proactive.HealthDrop, email)})
		}
	}
	for i := range 10 {
		owners = append(owners, proactive.ClientOwner{Email: string(rune('k'+i)) + "@y.com", Owner: "Lou", At: testNow, Value: 1000})
	}
	coach := Workloads(owners, cases, testNow)
	require.Len(t, coach, 1)
	require.Equal(t, 600.0, coach[0].RevenueAtRisk())

	// Every check's details carry the key.
	for _, a := range [][]proactive.Anomaly{health, forecast, unusual, deals, leads, syncs, risks, coach} {
		b, err := json.Marshal(a[0].Details)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		require.Contains(t, m, "revenue_at_risk", "%s details: %s", a[0].Type, b)
	}
}

// queryRecorder answers the health and deal checks with nothing and
// records what they asked.
type queryRecorder struct {
	health proactive.HealthQuery
	deals  proactive.DealQuery
}

func (r *queryRecorder) HealthTrends(_ context.Context, q proactive.HealthQuery, _ func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	r.health = q
	return nil, nil
}

func (r *queryRecorder) StalledDeals(_ context.Context, q proactive.DealQuery, _ func(proactive.Deal) error) (proactive.Skipped, error) {
	r.deals = q
	return nil, nil
}

// The checks ask their readers for the configured columns (CONTRACT
// §11.6, §11.7); the series checks only in their second, named pass.
func TestChecksAskForTheConfiguredColumns(t *testing.T) {
	t.Parallel()
	settings := proactive.DefaultSettings()
	settings.Columns = proactive.Columns{ClientOwner: "coach", DealOwner: "rep", ClientValue: "package_value"}
	env := proactive.CheckEnv{Now: testNow, Settings: settings}

	r := &queryRecorder{}
	var e collect
	_, err := HealthDropCheck().New(env).Detect(t.Context(), r, &e)
	require.NoError(t, err)
	require.Equal(t, "coach", r.health.OwnerColumn)
	require.Equal(t, "package_value", r.health.ValueColumn)
	_, err = DealStallCheck().New(env).Detect(t.Context(), r, &e)
	require.NoError(t, err)
	require.Equal(t, "rep", r.deals.OwnerColumn)

	src := &recordingSource{seriesSource: seriesSource{clientSeries("red@x.com", "", 77, 74, 71, 68, 65, 62, 59)}}
	_, err = HealthForecastCheck().New(env).Detect(t.Context(), src, &e)
	require.NoError(t, err)
	require.Len(t, src.queries, 2)
	require.Empty(t, src.queries[0].OwnerColumn+src.queries[0].ValueColumn, "the first pass reads no column it does not need")
	require.Equal(t, "coach", src.queries[1].OwnerColumn)
	require.Equal(t, "package_value", src.queries[1].ValueColumn)

	var column string
	asked := proactive.OwnerQuery{}
	env.Cases = func(context.Context, []proactive.AnomalyType) ([]proactive.Case, error) { return nil, nil }
	_, err = CoachWorkloadCheck().New(env).Detect(t.Context(), ownerSource{column: &column, query: &asked}, &e)
	require.NoError(t, err)
	require.Equal(t, "package_value", asked.ValueColumn)
}
