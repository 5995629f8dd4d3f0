package rules

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// clientSeries is a named series of daily readings ending an hour before
// testNow.
func clientSeries(email, zone string, scores ...float64) proactive.ClientSeries {
	return proactive.ClientSeries{Email: email, Firstname: "Jane", Lastname: "Doe", Zone: zone, Readings: pts(scores...)}
}

func TestForecastBasics(t *testing.T) {
	t.Parallel()
	// −3 points a day, newest 62: RED (50) in 4 days: high.
	s := clientSeries(" Jane@Example.com ", "YELLOW", 77, 74, 71, 68, 65, 62)
	got := Forecasts([]proactive.ClientSeries{s}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	a := got[0]
	require.Equal(t, proactive.HealthForecast, a.Type)
	require.Equal(t, proactive.SeverityHigh, a.Severity)
	require.Equal(t, "Jane Doe (Jane@Example.com)", a.Entity)
	require.Equal(t, "jane@example.com", a.Key)
	require.Equal(t, "jane@example.com", a.EntityKey)
	newest := s.Readings[len(s.Readings)-1].At
	require.Equal(t, HealthForecastDetails{DaysToRed: 4, RedOn: newest.Add(4 * 24 * time.Hour).Format(time.DateOnly), Slope: -3}, a.Details)
	require.Equal(t, "2025-12-14", a.Details.(HealthForecastDetails).RedOn)
	require.Equal(t, 4.0, a.Metric)
	require.Equal(t, 70+6, a.UrgencyScore, "base + (7 − 4) × 2")
	require.Equal(t, "High Priority: Score falling 3.0 points a day; reaches RED in 4.0 days. Book a check-in within 48 hours.", a.RecommendedAction)
	require.Equal(t, testNow, a.DetectedAt)
}

func TestForecastRules(t *testing.T) {
	t.Parallel()
	at := func(h float64) time.Time { return testNow.Add(time.Duration(h * float64(time.Hour))) }
	th := proactive.DefaultThresholds()
	custom := th
	custom.ForecastDays = 3
	for _, tc := range []struct {
		name    string
		th      proactive.Thresholds
		pts     []proactive.SeriesPoint
		want    proactive.Severity // "" for none
		days    float64
		urgency int
	}{
		{"fewer than 5 readings", th, pts(62, 59, 56, 53), "", 0, 0},
		{"5 readings", th, pts(65, 62, 59, 56, 53), proactive.SeverityCritical, 1, 90 + 10},
		{"span under 96 h", th, []proactive.SeriesPoint{pt(70, at(-95)), pt(66, at(-72)), pt(62, at(-48)), pt(58, at(-24)), pt(54, at(0))}, "", 0, 0},
		// 16 points over 4 days: −4 a day; 4 above RED: 1 day
		{"span exactly 96 h", th, []proactive.SeriesPoint{pt(70, at(-96)), pt(66, at(-72)), pt(62, at(-48)), pt(58, at(-24)), pt(54, at(0))}, proactive.SeverityCritical, 1, 100},
		{"newest below 50: already RED", th, pts(62, 59, 56, 53, 49), "", 0, 0},
		{"newest exactly 50: RED today", th, pts(62, 59, 56, 53, 50), proactive.SeverityCritical, 0, 90 + 10},
		{"flat", th, pts(60, 60, 60, 60, 60), "", 0, 0},
		{"rising", th, pts(52, 54, 56, 58, 60), "", 0, 0},
		{"a RED zone does not matter, only the newest score", th, pts(90, 85, 80, 75, 70, 65, 60), proactive.SeverityCritical, 2, 100},
		// −1 a day; 7 above RED: exactly forecast_days: medium, no bonus
		{"days exactly forecast_days", th, pts(61, 60, 59, 58, 57), proactive.SeverityMedium, 7, 50},
		{"days just over forecast_days", th, pts(61.1, 60.1, 59.1, 58.1, 57.1), "", 0, 0},
		{"days exactly 2: critical", th, pts(56, 55, 54, 53, 52), proactive.SeverityCritical, 2, 90 + 10},
		{"days just over 2: high", th, pts(56.1, 55.1, 54.1, 53.1, 52.1), proactive.SeverityHigh, 2.1, 70 + 10},
		{"days exactly 4: high", th, pts(58, 57, 56, 55, 54), proactive.SeverityHigh, 4, 70 + 6},
		{"days just over 4: medium", th, pts(58.5, 57.5, 56.5, 55.5, 54.5), proactive.SeverityMedium, 4.5, 50 + 5},
		{"custom forecast_days: inside", custom, pts(57, 56, 55, 54, 53), proactive.SeverityHigh, 3, 70},
		{"custom forecast_days: outside", custom, pts(58, 57, 56, 55, 54), "", 0, 0},
		// pairs at equal times are left out; the rest still give −5 a day
		{"equal timestamps", th, []proactive.SeriesPoint{pt(80, at(-96)), pt(75, at(-72)), pt(70, at(-48)), pt(66, at(-24)), pt(65, at(-24)), pt(60, at(0))}, proactive.SeverityCritical, 2, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := proactive.ClientSeries{Email: "a@x.com", Zone: "RED", Readings: tc.pts}
			got := Forecasts([]proactive.ClientSeries{s}, tc.th, testNow)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Severity)
			require.InDelta(t, tc.days, got[0].Details.(HealthForecastDetails).DaysToRed, 1e-9)
			require.Equal(t, tc.urgency, got[0].UrgencyScore)
		})
	}
}

func TestForecastUnroundedDays(t *testing.T) {
	t.Parallel()
	// −3 a day, 10 above RED: 3.333… days, kept unrounded; the text rounds.
	got := Forecasts([]proactive.ClientSeries{clientSeries("a@x.com", "GREEN", 72, 69, 66, 63, 60)}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	d := got[0].Details.(HealthForecastDetails)
	require.InDelta(t, 10.0/3, d.DaysToRed, 1e-9)
	require.NotEqual(t, math.Round(d.DaysToRed*10)/10, d.DaysToRed)
	require.Equal(t, 70+7, got[0].UrgencyScore, "70 + (7 − 3.33) × 2 = 77.33: 77")
	require.Equal(t, "High Priority: Score falling 3.0 points a day; reaches RED in 3.3 days. Book a check-in within 48 hours.", got[0].RecommendedAction)
	// newest (testNow − 1 h) + 3.33 days: 2025-12-13 19:00 UTC
	require.Equal(t, "2025-12-13", d.RedOn)
}

func TestForecastActions(t *testing.T) {
	t.Parallel()
	th := proactive.DefaultThresholds()
	for _, tc := range []struct {
		scores []float64
		want   string
	}{
		{[]float64{56, 55, 54, 53, 52}, "URGENT: Score falling 1.0 points a day; reaches RED in 2.0 days. Call today and agree a recovery plan."},
		{[]float64{58, 57, 56, 55, 54}, "High Priority: Score falling 1.0 points a day; reaches RED in 4.0 days. Book a check-in within 48 hours."},
		// −1.25 a day: 1.3 (half away from zero); 4.5 ÷ 1.25 = 3.6 days
		{[]float64{59.5, 58.25, 57, 55.75, 54.5}, "High Priority: Score falling 1.3 points a day; reaches RED in 3.6 days. Book a check-in within 48 hours."},
		{[]float64{61, 60, 59, 58, 57}, "Score falling 1.0 points a day; reaches RED in 7.0 days. Send a check-in message this week."},
	} {
		got := Forecasts([]proactive.ClientSeries{clientSeries("a@x.com", "", tc.scores...)}, th, testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.want, got[0].RecommendedAction)
	}
}

func TestForecastsMostUrgentFirst(t *testing.T) {
	t.Parallel()
	got := Forecasts([]proactive.ClientSeries{
		clientSeries("slow@x.com", "", 61, 60, 59, 58, 57),
		clientSeries("fast@x.com", "", 62, 59, 56, 53, 50),
		clientSeries("none@x.com", "", 60, 60, 60, 60, 60),
	}, proactive.DefaultThresholds(), testNow)
	require.Equal(t, []string{"fast@x.com", "slow@x.com"}, []string{got[0].Key, got[1].Key})
	require.Nil(t, Forecasts(nil, proactive.DefaultThresholds(), testNow))
}

func TestMedianMayBeAtMost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		xs   []float64
		x    float64
		want bool
	}{
		{"none", nil, 0, true},
		{"odd: the median itself", []float64{3, 1, 2}, 2, true},
		{"odd: just under the median", []float64{3, 1, 2}, 1.999, false},
		{"odd: one value", []float64{2}, 2, true},
		{"odd: one value, under it", []float64{2}, 1.999, false},
		{"odd: under all", []float64{3, 1, 2}, 0.5, false},
		{"even: between the middle values", []float64{4, 1, 3, 2}, 2.5, true},
		{"even: the lower middle value", []float64{4, 1, 3, 2}, 2, true},
		{"even: under the lower middle value", []float64{4, 1, 3, 2}, 1.5, false},
		{"ties at x", []float64{5, 5, 5, 5}, 5, true},
		{"ties above x", []float64{5, 5, 5, 5}, 4.9, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			xs := slices.Clone(tc.xs)
			require.Equal(t, tc.want, MedianMayBeAtMost(xs, tc.x))
			require.Equal(t, tc.xs, xs, "xs left as they were")
			if !tc.want {
				require.Greater(t, Median(xs), tc.x, "false only when the median is above x")
			}
		})
	}
}

// TestForecastBoundSkipsNothing: the count that spares Judge the median of
// most series (MedianMayBeAtMost against forecastSlopeBound) never turns
// away a series the Theil–Sen slope would flag: on random series, and on
// straight lines whose RED lies a hair either side of forecast_days, Judge
// finds exactly what the slope itself does.
func TestForecastBoundSkipsNothing(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	th := proactive.DefaultThresholds()
	oracle := func(s *proactive.ClientSeries, forecastDays float64) (float64, bool) {
		p := s.Readings
		newest := p[len(p)-1]
		if len(p) < forecastMinReadings || newest.At.Sub(p[0].At) < forecastMinSpan || newest.Score < redScore {
			return 0, false
		}
		slope, ok, _ := TheilSenSlope(p, nil)
		if !ok || slope >= 0 {
			return 0, false
		}
		days := Denoise((newest.Score - redScore) / -slope)
		return days, days <= forecastDays
	}
	flagged, n := 0, 0
	for i := range 60_000 {
		forecastDays := []float64{7, 3, 0.5}[i%3]
		k := 5 + r.IntN(10)
		scores := make([]float64, k)
		if i%2 == 0 { // a straight line, RED about forecast_days away
			above := r.Float64() * 40
			slope := -above / forecastDays * (1 + float64(r.IntN(41)-20)*1e-11)
			for j := range scores {
				scores[j] = redScore + above - slope*float64(k-1-j)
			}
		} else {
			for j := range scores {
				scores[j] = 40 + r.Float64()*50
			}
		}
		s := proactive.ClientSeries{Email: "a@x.com", Readings: pts(scores...)}
		custom := th
		custom.ForecastDays = forecastDays
		f := Forecaster{Thresholds: custom, Now: testNow}
		a, got := f.Judge(&s)
		days, want := oracle(&s, forecastDays)
		require.Equal(t, want, got, "series %d %v, forecast_days %v", i, scores, forecastDays)
		if want {
			flagged++
			require.Equal(t, days, a.Details.(HealthForecastDetails).DaysToRed)
		}
		n++
	}
	require.Greater(t, flagged, n/10, "enough series flagged to mean something")
}
