package rules

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestAnomalyBasics(t *testing.T) {
	t.Parallel()
	// changes 1, −1, 2, −2, 0 then −10: m 0, MAD 1, z −6.745: medium.
	s := clientSeries(" Jane@Example.com", "yellow", 50, 51, 50, 52, 50, 50, 40)
	got := Anomalies([]proactive.ClientSeries{s}, nil, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	a := got[0]
	require.Equal(t, proactive.HealthAnomaly, a.Type)
	require.Equal(t, proactive.SeverityMedium, a.Severity)
	require.Equal(t, "Jane Doe (Jane@Example.com)", a.Entity)
	require.Equal(t, "jane@example.com", a.Key)
	require.Equal(t, "jane@example.com", a.EntityKey)
	z := -6.745
	require.Equal(t, HealthAnomalyDetails{Change: -10, MAD: 1, MedianChange: 0, Z: &z}, a.Details)
	require.Equal(t, 10.0, a.Metric)
	require.Equal(t, 50+5+5, a.UrgencyScore, "base + min(10 × 0.5, 10) + YELLOW")
	require.Equal(t, "Unusual 10.0-point drop for this client (z = -6.7). Send a check-in message and watch the next readings.", a.RecommendedAction)
	b, err := json.Marshal(a.Details)
	require.NoError(t, err)
	require.JSONEq(t, `{"change": -10, "mad": 1, "median_change": 0, "revenue_at_risk": 0, "z": -6.745}`, string(b))
}

func TestAnomalyRules(t *testing.T) {
	t.Parallel()
	th := proactive.DefaultThresholds()
	custom := th
	custom.AnomalyZ, custom.AnomalyMinDrop = 6, 12
	for _, tc := range []struct {
		name    string
		th      proactive.Thresholds
		scores  []float64
		zone    string
		want    proactive.Severity // "" for none
		urgency int
	}{
		{"fewer than 7 readings", th, []float64{51, 50, 52, 50, 50, 40}, "", "", 0},
		{"7 readings", th, []float64{50, 51, 50, 52, 50, 50, 40}, "", proactive.SeverityMedium, 55},
		{"a rise is never one", th, []float64{50, 51, 50, 52, 50, 50, 60}, "", "", 0},
		// −11: z = −7.4195: high, + RED
		{"z at most −7: high", th, []float64{50, 51, 50, 52, 50, 50, 39}, "RED", proactive.SeverityHigh, 91},
		// MAD 0, mean deviation 0.4: z = −6 ÷ 0.50132 = −11.97
		{"MAD 0: mean deviation", th, []float64{50, 50, 50, 50, 51, 50, 44}, "GREEN", proactive.SeverityHigh, 70 + 3},
		{"no spread at all: −∞, high", th, []float64{60, 60, 60, 60, 60, 60, 55}, "", proactive.SeverityHigh, 70 + 3},
		{"no spread, drop under anomaly_min_drop", th, []float64{60, 60, 60, 60, 60, 60, 55.1}, "", "", 0},
		// −17.5 against ±3.3725: z −3.4999999999999996 rounds to −3.5: on the threshold
		{"z exactly −anomaly_z once rounded", th, []float64{50, 53.3725, 50, 50, 53.3725, 50, 32.5}, "", proactive.SeverityMedium, 50 + 9},
		{"z just above −anomaly_z", th, []float64{50, 53.3725, 50, 50, 53.3725, 50, 32.6}, "", "", 0},
		// z −6.745 but the drop 10 < 12; then 13 against z −8.77: under −6 and ≥ 12
		{"custom: drop below anomaly_min_drop", custom, []float64{50, 51, 50, 52, 50, 50, 40}, "", "", 0},
		{"custom: both met", custom, []float64{50, 51, 50, 52, 50, 50, 37}, "", proactive.SeverityHigh, 70 + 7},
		// others 2, 2, 2, 2, 2, 2 (8 readings): m 2, MAD 0, mean 0: c −5 −∞
		{"steady climbers: a drop after gains", th, []float64{50, 52, 54, 56, 58, 60, 62, 57}, "", proactive.SeverityHigh, 70 + 3},
		// even number of others (6): 1, −1, 1, −1, 3, −3: m (−1 + 1) ÷ 2 = 0,
		// deviations 1, 1, 1, 1, 3, 3: MAD 1; c −8: z −5.396
		{"even count of others", th, []float64{50, 51, 50, 51, 50, 53, 50, 42}, "", proactive.SeverityMedium, 50 + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Anomalies([]proactive.ClientSeries{clientSeries("a@x.com", tc.zone, tc.scores...)}, nil, tc.th, testNow)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Severity)
			require.Equal(t, tc.urgency, got[0].UrgencyScore)
		})
	}
}

func TestAnomalyInfiniteZ(t *testing.T) {
	t.Parallel()
	got := Anomalies([]proactive.ClientSeries{clientSeries("a@x.com", "", 60, 60, 60, 60, 60, 60, 52)}, nil, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	d := got[0].Details.(HealthAnomalyDetails)
	require.Nil(t, d.Z, "−∞ has no JSON number: null")
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.JSONEq(t, `{"change": -8, "mad": 0, "median_change": 0, "revenue_at_risk": 0, "z": null}`, string(b))
	require.Equal(t, "High Priority: Unusual 8.0-point drop for this client (z = -∞). Reach out within 48 hours to understand what changed.", got[0].RecommendedAction)
}

func TestAnomalyLeavesOutHealthDrops(t *testing.T) {
	t.Parallel()
	series := []proactive.ClientSeries{
		clientSeries("Dropped@X.com ", "", 50, 51, 50, 52, 50, 50, 40),
		clientSeries("kept@x.com", "", 50, 51, 50, 52, 50, 50, 40),
	}
	got := Anomalies(series, map[string]struct{}{"dropped@x.com": {}}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, "kept@x.com", got[0].Key)

	// Through the check: the health_drop anomalies observed in the scan.
	d := HealthAnomalyCheck().New(proactive.CheckEnv{Now: testNow, Settings: proactive.DefaultSettings()})
	d.Observe(&proactive.Anomaly{Type: proactive.HealthDrop, Key: "dropped@x.com"})
	d.Observe(&proactive.Anomaly{Type: proactive.DealStall, Key: "kept@x.com"}) // not a health drop
	var e collect
	_, err := d.Detect(t.Context(), seriesSource(series), &e)
	require.NoError(t, err)
	require.Equal(t, []string{"kept@x.com"}, e.keys())
}

func TestAnomalyRequiresTheSeriesReader(t *testing.T) {
	t.Parallel()
	for _, c := range []proactive.Check{HealthAnomalyCheck(), HealthForecastCheck()} {
		_, err := c.New(proactive.CheckEnv{Now: testNow, Settings: proactive.DefaultSettings()}).Detect(t.Context(), struct{}{}, &collect{})
		require.Equal(t, proactive.EINTERNAL, proactive.ErrorCode(err), c.Type)
		require.Contains(t, err.Error(), "health series")
	}
}

// recordingSource is a seriesSource that records the queries it answers.
type recordingSource struct {
	seriesSource
	queries []proactive.SeriesQuery
}

func (r *recordingSource) HealthSeries(ctx context.Context, q proactive.SeriesQuery, fn func(*proactive.ClientSeries) error) (proactive.Skipped, error) {
	r.queries = append(r.queries, q)
	skipped, err := r.seriesSource.HealthSeries(ctx, q, fn)
	if q.Emails == nil {
		skipped = proactive.Skipped{proactive.SkipNullEmail: 2}
	}
	return skipped, err
}

// The series checks read twice: every client without names (with the
// prefilter the rules allow), then only the clients flagged, named.
func TestSeriesChecksReadInTwoPasses(t *testing.T) {
	t.Parallel()
	series := seriesSource{
		clientSeries("drop@x.com", "RED", 50, 51, 50, 52, 50, 50, 40),
		clientSeries("red@x.com", "", 77, 74, 71, 68, 65, 62, 59),
		clientSeries("flat@x.com", "", 70, 70, 70, 70, 70, 70, 70),
	}
	th := proactive.DefaultThresholds()
	for _, tc := range []struct {
		check   proactive.Check
		first   proactive.SeriesQuery
		flagged string
	}{
		// The forecast's first pass is the scan's health pass: every client
		// with 2 readings or more (health_drop's minimum), so that it can
		// serve health_drop too.
		{HealthForecastCheck(), proactive.SeriesQuery{Now: testNow, WindowDays: 14, MinReadings: 2, NoNames: true}, "red@x.com"},
		{HealthAnomalyCheck(), proactive.SeriesQuery{Now: testNow, WindowDays: 14, MinReadings: 7, NoNames: true, MinNewestDrop: th.AnomalyMinDrop}, "drop@x.com"},
	} {
		src := &recordingSource{seriesSource: series}
		var e collect
		skipped, err := tc.check.New(proactive.CheckEnv{Now: testNow, Settings: proactive.DefaultSettings()}).Detect(t.Context(), src, &e)
		require.NoError(t, err)
		require.Equal(t, []string{tc.flagged}, e.keys(), tc.check.Type)
		require.Equal(t, "Jane Doe ("+tc.flagged+")", e.as[0].Entity, "named by the second pass")
		require.Equal(t, proactive.Skipped{proactive.SkipNullEmail: 2}, skipped, "the first pass's skipped rows")
		second := proactive.SeriesQuery{Now: testNow, WindowDays: 14, MinReadings: max(tc.first.MinReadings, 5), Emails: []string{tc.flagged}}
		require.Equal(t, []proactive.SeriesQuery{tc.first, second}, src.queries, tc.check.Type)
	}
}

// In one scan the forecast's read serves the unusual drops too: the
// anomaly check reads only its flagged clients, and still leaves out
// those health_drop flagged.
func TestForecastReadServesTheAnomalyCheck(t *testing.T) {
	t.Parallel()
	src := &recordingSource{seriesSource: seriesSource{
		clientSeries("drop@x.com", "RED", 50, 51, 50, 52, 50, 50, 40),
		clientSeries("dropped@x.com", "RED", 50, 51, 50, 52, 50, 50, 40),
		clientSeries("red@x.com", "", 77, 74, 71, 68, 65, 62, 59),
	}}
	env := proactive.CheckEnv{Now: testNow, Settings: proactive.DefaultSettings(), Scope: &proactive.ScanScope{},
		Enabled: func(proactive.AnomalyType) bool { return true }}
	forecast, anomaly := HealthForecastCheck().New(env), HealthAnomalyCheck().New(env)
	var e collect
	_, err := forecast.Detect(t.Context(), src, &e)
	require.NoError(t, err)
	anomaly.Observe(&proactive.Anomaly{Type: proactive.HealthDrop, Key: "dropped@x.com"})
	e = collect{}
	skipped, err := anomaly.Detect(t.Context(), src, &e)
	require.NoError(t, err)
	require.Equal(t, []string{"drop@x.com"}, e.keys())
	require.Equal(t, proactive.Skipped{proactive.SkipNullEmail: 2}, skipped, "the shared read's skipped rows")
	require.Equal(t, []proactive.SeriesQuery{
		{Now: testNow, WindowDays: 14, MinReadings: 2, NoNames: true},                                   // forecast, first pass (the health pass)
		{Now: testNow, WindowDays: 14, MinReadings: 5, Emails: []string{"red@x.com"}},                   // forecast, second pass
		{Now: testNow, WindowDays: 14, MinReadings: 7, Emails: []string{"drop@x.com", "dropped@x.com"}}, // anomaly: second pass only
	}, src.queries)
}
