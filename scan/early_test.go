package scan_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// earlyFake is fakeStore with the readers of the early-warning checks.
type earlyFake struct {
	*fakeStore
	series []proactive.ClientSeries
	owners []proactive.ClientOwner
}

func (f *earlyFake) HealthSeries(_ context.Context, q proactive.SeriesQuery, fn func(*proactive.ClientSeries) error) (proactive.Skipped, error) {
	if f.healthErr != nil { // the table the trends fail on fails the series too
		return nil, f.healthErr
	}
	for i := range f.series {
		if len(f.series[i].Readings) >= q.MinReadings && (q.Emails == nil || slices.Contains(q.Emails, f.series[i].Email)) {
			if err := fn(&f.series[i]); err != nil {
				return nil, err
			}
		}
	}
	return proactive.Skipped{}, nil
}

func (f *earlyFake) ClientOwners(_ context.Context, _ proactive.OwnerQuery, fn func(proactive.ClientOwner) error) (proactive.Skipped, error) {
	for _, o := range f.owners {
		if err := fn(o); err != nil {
			return nil, err
		}
	}
	return proactive.Skipped{}, nil
}

// dailySeries is a series of daily readings ending an hour before now.
func dailySeries(email string, scores ...float64) proactive.ClientSeries {
	s := proactive.ClientSeries{Email: email, Zone: "YELLOW"}
	for i, v := range scores {
		at := storetest.Now().Add(-time.Hour - time.Duration(len(scores)-1-i)*24*time.Hour)
		s.Readings = append(s.Readings, proactive.SeriesPoint{Score: v, At: at})
	}
	return s
}

// earlyData: john's health drops (and his series drops unusually too);
// ann's drop is unusual only; bea heads for RED. Ann's deal stalls and
// bea's lead waits: both at renewal risk. Coach A owns the three.
func earlyData() *earlyFake {
	f := fullFake() // john@example.com drops 30 points; deal 1 stalls; lead 7 waits
	f.deals[0].ContactEmail = "Ann@Example.com"
	f.leads[0].Email = "bea@example.com"
	// The series agree with the trends (with health_forecast on, health_drop
	// reads them): john's 80 → 50 is a health drop, Ann's 8 points an
	// unusual drop below health_drop's thresholds.
	e := &earlyFake{fakeStore: f, series: []proactive.ClientSeries{
		dailySeries("john@example.com", 80, 80, 80, 80, 80, 80, 80, 50),
		dailySeries("Ann@example.com", 72, 73, 72, 74, 73, 72, 73, 65),
		dailySeries("bea@example.com", 66, 64, 62, 60, 58),
	}}
	for _, o := range []struct{ email, owner string }{
		{"john@example.com", "Coach A"}, {"ann@example.com", "coach a"}, {"bea@example.com", "Coach A"}, {"cy@example.com", "Coach A"},
		{"b1@example.com", "Coach B"}, {"b2@example.com", "Coach B"}, {"c1@example.com", "Coach C"},
	} {
		e.owners = append(e.owners, proactive.ClientOwner{Email: o.email, Owner: o.owner, At: storetest.Now().Add(-time.Hour)})
	}
	return e
}

func runEarly(t *testing.T, f *earlyFake, desk proactive.Desk, checks []proactive.AnomalyType, columns proactive.Columns) proactive.ScanResult {
	t.Helper()
	sc, err := scan.New(scan.Options{Store: f, Desk: desk, Checks: checks, Settings: proactive.Settings{Columns: columns}})
	require.NoError(t, err)
	res, err := sc.Run(context.Background(), scan.Params{Now: storetest.Now(), Trigger: "test"})
	require.NoError(t, err)
	return res
}

func allChecks() []proactive.AnomalyType {
	return []proactive.AnomalyType{"health_drop", "deal_stall", "sync_fail", "response_delay", "health_forecast", "health_anomaly", "renewal_risk", "coach_workload"}
}

// counts maps type to its number of anomalies.
func counts(res proactive.ScanResult) map[proactive.AnomalyType]int {
	out := map[proactive.AnomalyType]int{}
	for _, c := range res.AnomalyCounts {
		out[c.Type] += c.Count
	}
	return out
}

func TestScanFakeEarlyWarning(t *testing.T) {
	desk := memstore.New(uuid.NewString)
	res := runEarly(t, earlyData(), desk, allChecks(), proactive.Columns{ClientOwner: "coach"})
	require.Empty(t, res.Errors)
	require.Equal(t, map[proactive.AnomalyType]int{
		"health_drop": 1, "deal_stall": 1, "sync_fail": 1, "response_delay": 1,
		"health_forecast": 1, // bea
		"health_anomaly":  1, // ann; john is health_drop's
		"renewal_risk":    2, // ann (deal), bea (lead)
		"coach_workload":  1, // Coach A: john, ann, bea at risk of 4
	}, counts(res))
	keys := map[string]proactive.Case{}
	for _, c := range desk.AllCases() {
		keys[c.Key] = c
	}
	for _, k := range []string{
		"health_forecast:bea@example.com", "health_anomaly:ann@example.com",
		"renewal_risk:ann@example.com", "renewal_risk:bea@example.com", "coach_workload:coach a",
	} {
		require.Contains(t, keys, k)
	}
	require.NotContains(t, keys, "health_anomaly:john@example.com")
	require.Equal(t, "Coach A", keys["coach_workload:coach a"].Owner, "the case's owner is that owner")
	require.Equal(t, "Coach A", keys["coach_workload:coach a"].Label)
	var details struct {
		AtRisk  int     `json:"at_risk"`
		Clients int     `json:"clients"`
		Share   float64 `json:"share"`
	}
	require.NoError(t, json.Unmarshal(keys["coach_workload:coach a"].Details, &details))
	require.Equal(t, 3, details.AtRisk)
	require.Equal(t, 4, details.Clients)

	// Every enabled check has its breakdown key; the report order is §11.10's.
	var types []proactive.AnomalyType
	for _, b := range res.Breakdown {
		types = append(types, b.Type)
	}
	require.Equal(t, allChecks(), types)
	require.Contains(t, res.Insights, "1 clients forecast to reach RED within 7 days.")
	require.Contains(t, res.Insights, "2 clients at renewal risk: falling health with stuck deals or leads.")
}

// Without health_drop, health_anomaly leaves nobody out.
func TestScanFakeEarlyWarningWithoutHealthDrop(t *testing.T) {
	res := runEarly(t, earlyData(), memstore.New(uuid.NewString), []proactive.AnomalyType{"health_anomaly"}, proactive.Columns{})
	require.Empty(t, res.Errors)
	require.Equal(t, map[proactive.AnomalyType]int{"health_anomaly": 2}, counts(res))
}

// A failed health check fails those that depend on it (§11.9), naming it;
// the others run. coach_workload without its column is a check error.
func TestScanFakeEarlyWarningCheckErrors(t *testing.T) {
	f := earlyData()
	f.healthErr = proactive.Errorf(proactive.EINTERNAL, "column health_score is text")
	noForecast := slices.DeleteFunc(allChecks(), func(t proactive.AnomalyType) bool { return t == proactive.HealthForecast })
	res := runEarly(t, f, memstore.New(uuid.NewString), noForecast, proactive.Columns{ClientOwner: "coach"})
	require.Equal(t, []proactive.MonitorError{
		{Monitor: "checkHealthScoreDrops", Error: "column health_score is text"},
		{Monitor: "checkHealthAnomalies", Error: "not run: it depends on health_drop, which failed"},
		{Monitor: "checkRenewalRisk", Error: "not run: it depends on health_drop and health_anomaly, which failed"},
		{Monitor: "checkCoachWorkload", Error: "not run: it depends on health_drop and health_anomaly, which failed"},
	}, res.Errors)
	require.Equal(t, 1, counts(res)["deal_stall"], "a check that does not depend on it runs")

	// With health_forecast on, health_drop and it share one read of the
	// series: the table's failure fails both, and what depends on them.
	f = earlyData()
	f.healthErr = proactive.Errorf(proactive.EINTERNAL, "column health_score is text")
	res = runEarly(t, f, memstore.New(uuid.NewString), allChecks(), proactive.Columns{ClientOwner: "coach"})
	require.Equal(t, []proactive.MonitorError{
		{Monitor: "checkHealthScoreDrops", Error: "column health_score is text"},
		{Monitor: "checkHealthForecast", Error: "column health_score is text"},
		{Monitor: "checkHealthAnomalies", Error: "not run: it depends on health_drop, which failed"},
		{Monitor: "checkRenewalRisk", Error: "not run: it depends on health_drop, health_forecast and health_anomaly, which failed"},
		{Monitor: "checkCoachWorkload", Error: "not run: it depends on health_drop, health_forecast and health_anomaly, which failed"},
	}, res.Errors)
	require.Equal(t, 1, counts(res)["deal_stall"])

	res = runEarly(t, earlyData(), memstore.New(uuid.NewString), []proactive.AnomalyType{"health_drop", "coach_workload"}, proactive.Columns{})
	require.Len(t, res.Errors, 1)
	require.Equal(t, "checkCoachWorkload", res.Errors[0].Monitor)
	require.Contains(t, res.Errors[0].Error, "columns.client_owner is not set")
}
