package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// team gives each owner n clients (owner-i@x.com), the first k of them at
// risk through a case of type t.
type team struct {
	owner string
	n, k  int
}

func teamData(t proactive.AnomalyType, teams ...team) ([]proactive.ClientOwner, []proactive.Case) {
	var owners []proactive.ClientOwner
	var cases []proactive.Case
	for _, tm := range teams {
		for i := range tm.n {
			email := proactive.NormEmail(fmt.Sprintf("%s-%d@x.com", tm.owner, i))
			owners = append(owners, proactive.ClientOwner{Email: email, Owner: tm.owner, At: testNow})
			if i < tm.k {
				cases = append(cases, proactive.Case{Type: t, Key: proactive.CaseKey(t, email)})
			}
		}
	}
	return owners, cases
}

func TestCoachWorkloadRules(t *testing.T) {
	t.Parallel()
	type flag struct {
		owner   string
		sev     proactive.Severity
		urgency int
	}
	for _, tc := range []struct {
		name  string
		teams []team
		want  []flag
	}{
		// shares 0.5, 0.1, 0.1: median 0.1; 0.5 ≥ 0.3: high
		{"high at three times the median", []team{{"Ann", 10, 5}, {"Bob", 10, 1}, {"Cy", 10, 1}}, []flag{{"Ann", proactive.SeverityHigh, 75}}},
		// shares 0.25, 0.1, 0.1: 0.2 ≤ 0.25 < 0.3: medium
		{"medium between two and three times", []team{{"Ann", 20, 5}, {"Bob", 10, 1}, {"Cy", 10, 1}}, []flag{{"Ann", proactive.SeverityMedium, 55}}},
		{"share exactly twice the median", []team{{"Ann", 10, 4}, {"Bob", 10, 2}, {"Cy", 10, 2}}, []flag{{"Ann", proactive.SeverityMedium, 54}}},
		{"share exactly three times the median", []team{{"Ann", 10, 6}, {"Bob", 10, 2}, {"Cy", 10, 2}}, []flag{{"Ann", proactive.SeverityHigh, 76}}},
		{"share just under twice the median", []team{{"Ann", 20, 7}, {"Bob", 10, 2}, {"Cy", 10, 2}}, nil},
		{"fewer than 3 at risk", []team{{"Ann", 2, 2}, {"Bob", 10, 0}, {"Cy", 10, 0}}, nil},
		{"median 0: every flagged owner high", []team{{"Ann", 10, 3}, {"Bob", 10, 0}, {"Cy", 10, 0}}, []flag{{"Ann", proactive.SeverityHigh, 73}}},
		// shares 0.6, 0.5, 0.1, 0.1 (even): median 0.3; 0.6 ≥ 0.6 flagged, 0.5 not
		{"even count of owners: mean of the middle two", []team{{"Ann", 10, 6}, {"Bob", 10, 5}, {"Cy", 10, 1}, {"Di", 10, 1}}, []flag{{"Ann", proactive.SeverityMedium, 56}}},
		{"urgency bonus capped at 10", []team{{"Ann", 40, 30}, {"Bob", 10, 1}, {"Cy", 10, 1}}, []flag{{"Ann", proactive.SeverityHigh, 80}}},
		{"one owner: the median is its own share", []team{{"Ann", 10, 5}}, nil},
		{"no owners", nil, nil},
		{"most urgent first", []team{{"Bob", 10, 4}, {"Ann", 10, 8}, {"Cy", 10, 0}, {"Di", 10, 0}, {"Ed", 10, 0}},
			[]flag{{"Ann", proactive.SeverityHigh, 78}, {"Bob", proactive.SeverityHigh, 74}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			owners, cases := teamData(proactive.HealthForecast, tc.teams...)
			got := Workloads(owners, cases, testNow)
			var flags []flag
			for _, a := range got {
				flags = append(flags, flag{a.Entity, a.Severity, a.UrgencyScore})
			}
			require.Equal(t, tc.want, flags)
		})
	}
}

func TestCoachWorkloadAnomaly(t *testing.T) {
	t.Parallel()
	owners, cases := teamData(proactive.HealthDrop, team{"Ann Lee", 8, 4}, team{"Bob", 10, 1}, team{"Cy", 10, 1})
	got := Workloads(owners, cases, testNow)
	require.Len(t, got, 1)
	a := got[0]
	require.Equal(t, proactive.CoachWorkload, a.Type)
	require.Equal(t, "Ann Lee", a.Entity)
	require.Equal(t, "Ann Lee", a.Owner, "the case's owner is that owner")
	require.Equal(t, "ann lee", a.Key)
	require.Equal(t, "ann lee", a.EntityKey)
	require.Equal(t, CoachWorkloadDetails{AtRisk: 4, Clients: 8, MedianShare: 0.1, Share: 0.5}, a.Details)
	require.Equal(t, proactive.SeverityHigh, a.Severity)
	require.Equal(t, 74, a.UrgencyScore)
	require.Equal(t, "High Priority: 4 of 8 clients at risk (50% vs team median 10%). Rebalance clients or add support this week.", a.RecommendedAction)

	owners, cases = teamData(proactive.HealthDrop, team{"Ann", 16, 4}, team{"Bob", 10, 1}, team{"Cy", 10, 1})
	got = Workloads(owners, cases, testNow)
	require.Len(t, got, 1)
	require.Equal(t, "4 of 16 clients at risk (25% vs team median 10%). Review this coach's caseload.", got[0].RecommendedAction)
}

func TestCoachWorkloadClients(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }
	owners := []proactive.ClientOwner{
		// Emails differing in case are one client: the newest reading's owner.
		{Email: "A1@x.com", Owner: "Bob", At: at(-5)},
		{Email: "a1@x.com ", Owner: " ann ", At: at(-1)},
		{Email: "a2@x.com", Owner: "Ann", At: at(-1)},
		{Email: "a3@x.com", Owner: "ANN", At: at(-1)},
		{Email: "a4@x.com", Owner: "Ann", At: at(-1)},
		{Email: "n1@x.com", Owner: "", At: at(-1)}, // no owner: nobody's
		{Email: "b1@x.com", Owner: "Bob", At: at(-1)},
		{Email: "b2@x.com", Owner: "Bob", At: at(-1)},
		{Email: "b3@x.com", Owner: "Bob", At: at(-1)},
		{Email: "b4@x.com", Owner: "Bob", At: at(-1)},
		{Email: "c1@x.com", Owner: "Cy", At: at(-1)},
		{Email: "c2@x.com", Owner: "Cy", At: at(-1)},
	}
	cases := []proactive.Case{
		{Type: proactive.HealthDrop, Key: "health_drop:a1@x.com"},
		{Type: proactive.HealthForecast, Key: "health_forecast:a2@x.com"},
		{Type: proactive.RenewalRisk, Key: "renewal_risk:a3@x.com"},
		{Type: proactive.HealthAnomaly, Key: "health_anomaly:a3@x.com"}, // the same client twice: once
		{Type: proactive.HealthDrop, Key: "health_drop:n1@x.com"},       // no owner
		{Type: proactive.HealthDrop, Key: "health_drop:gone@x.com"},     // no reading left
	}
	got := Workloads(owners, cases, testNow)
	require.Len(t, got, 1)
	// Owners compared without case: the alphabetically first spelling.
	require.Equal(t, "ANN", got[0].Entity)
	require.Equal(t, "ann", got[0].Key)
	// Ann 3/4, Bob 0/4, Cy 0/2: median 0.
	require.Equal(t, CoachWorkloadDetails{AtRisk: 3, Clients: 4, MedianShare: 0, Share: 0.75}, got[0].Details)
	require.Equal(t, proactive.SeverityHigh, got[0].Severity)
}

func TestCoachWorkloadCheck(t *testing.T) {
	t.Parallel()
	c := CoachWorkloadCheck()
	require.Equal(t, []proactive.AnomalyType{proactive.RenewalRisk}, c.After)
	require.Equal(t, []proactive.AnomalyType{proactive.HealthDrop, proactive.HealthForecast, proactive.HealthAnomaly}, c.Inputs)
	owners, cases := teamData(proactive.HealthDrop, team{"Ann", 10, 5}, team{"Bob", 10, 1}, team{"Cy", 10, 1})
	settings := proactive.DefaultSettings()
	settings.Columns.ClientOwner = "coach"
	var column string
	var asked []proactive.AnomalyType
	env := proactive.CheckEnv{
		Now: testNow, Settings: settings,
		Cases: func(_ context.Context, types []proactive.AnomalyType) ([]proactive.Case, error) {
			asked = types
			return cases, nil
		},
	}
	var e collect
	var src any = ownerSource{owners: owners, column: &column}
	_, err := c.New(env).Detect(t.Context(), src, &e)
	require.NoError(t, err)
	require.Equal(t, []string{"ann"}, e.keys())
	require.Equal(t, "coach", column)
	require.Equal(t, AtRiskTypes(), asked)

	// Without columns.client_owner, or without a reader: a check error.
	env.Settings.Columns.ClientOwner = ""
	_, err = c.New(env).Detect(t.Context(), src, &e)
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
	require.Contains(t, err.Error(), "columns.client_owner is not set")
	env.Settings.Columns.ClientOwner = "coach"
	_, err = c.New(env).Detect(t.Context(), struct{}{}, &e)
	require.Equal(t, proactive.EINTERNAL, proactive.ErrorCode(err))
}
