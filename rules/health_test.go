package rules

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func ptr(f float64) *float64 { return &f }

func trend(email string, previous, current float64) proactive.HealthTrend {
	return proactive.HealthTrend{
		Email: email, Firstname: "Jane", Lastname: "Doe",
		Current: current, Previous: previous, Zone: "YELLOW", Readings: 2,
		CurrentAt: testNow.Add(-1e9), PreviousAt: testNow.Add(-3e9),
	}
}

func TestHealthThresholds(t *testing.T) {
	t.Parallel()
	cases := thresholdCases(t, 0.01, [3]float64{25, 15, 10}, [3]float64{40, 20.5, 5})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Health([]proactive.HealthTrend{trend("j@x.com", 90, 90-tc.metric)}, tc.th, testNow)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Severity)
			require.InDelta(t, tc.metric, got[0].Metric, 1e-9)
		})
	}
}

func TestHealthDrop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		previous, current float64
		weekAvg           *float64
		want              float64
	}{
		{"sudden fall", 80, 53, nil, 27},
		{"slow slide: week average counts", 62, 60, ptr(75), 15},
		{"previous larger than week average", 90, 60, ptr(70), 30},
		{"no week average: previous only", 62, 60, nil, 2},
		{"rise", 60, 70, nil, -10},
		{"fractional and unrounded", 74.6, 60, nil, 14.6},
		{"float noise removed", 80.3, 55.3, nil, 25},
	} {
		tr := trend("a@b.c", tc.previous, tc.current)
		tr.WeekAvg = tc.weekAvg
		require.Equal(t, tc.want, HealthDrop(tr), tc.name)
	}
}

// The seed compared only the last two readings, so a slow slide never
// alerted. Here a client sliding from a week average of 75 to 60 in small
// steps alerts as a 15-point (high) drop.
func TestHealthSlowSlideAlerts(t *testing.T) {
	t.Parallel()
	tr := trend("slide@x.com", 62, 60)
	tr.WeekAvg = ptr(75)
	tr.Readings = 7
	got := Health([]proactive.HealthTrend{tr}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, proactive.SeverityHigh, got[0].Severity)
	require.Equal(t, 15.0, got[0].Details.(HealthDropDetails).ScoreDrop)
	require.Equal(t, 75.0, *got[0].Details.(HealthDropDetails).WeekAvg)
}

func TestHealthUnroundedDrop(t *testing.T) {
	t.Parallel()
	th := proactive.DefaultThresholds()
	// 14.6 would round to 15 (high); unrounded it is medium.
	got := Health([]proactive.HealthTrend{trend("a@x.com", 74.6, 60)}, th, testNow)
	require.Len(t, got, 1)
	require.Equal(t, proactive.SeverityMedium, got[0].Severity)
	require.Equal(t, 14.6, got[0].Details.(HealthDropDetails).ScoreDrop)
	// 9.96 would round to 10 (medium); unrounded it is nothing.
	require.Empty(t, Health([]proactive.HealthTrend{trend("a@x.com", 69.96, 60)}, th, testNow))
	// 80.3 − 55.3 is 25 on the threshold, float noise notwithstanding.
	got = Health([]proactive.HealthTrend{trend("a@x.com", 80.3, 55.3)}, th, testNow)
	require.Equal(t, proactive.SeverityCritical, got[0].Severity)
	require.Equal(t, 25.0, got[0].Details.(HealthDropDetails).ScoreDrop)
}

func TestHealthAnomaly(t *testing.T) {
	t.Parallel()
	tr := proactive.HealthTrend{
		Email: "john@example.com", Firstname: " John ", Lastname: "Smith",
		Current: 53, Previous: 80, Zone: "red", Readings: 4,
	}
	got := Health([]proactive.HealthTrend{tr}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, proactive.Anomaly{
		Type:      proactive.HealthDrop,
		Severity:  proactive.SeverityCritical,
		Entity:    "John Smith (john@example.com)",
		EntityKey: "john@example.com",
		Key:       "john@example.com",
		Details: HealthDropDetails{
			Email:         "john@example.com",
			CurrentScore:  53.0,
			PreviousScore: 80.0,
			ScoreDrop:     27.0,
			CurrentZone:   sp("RED"),
		},
		Metric:            27,
		RecommendedAction: "URGENT: Schedule emergency check-in call within 24 hours. Client at high risk of churn. Score dropped 27 points.",
		UrgencyScore:      100, // 90 + 10 + 15
		DetectedAt:        testNow,
	}, got[0])
}

func TestHealthEntity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ first, last, email, want string }{
		{"Jane", "Doe", "jane@x.com", "Jane Doe (jane@x.com)"},
		{"Jane", "", "jane@x.com", "Jane (jane@x.com)"},
		{"", "Doe", "jane@x.com", "Doe (jane@x.com)"},
		{"  ", " ", "jane@x.com", "jane@x.com"},
		{"", "", "jane@x.com", "jane@x.com"},
	} {
		tr := proactive.HealthTrend{Email: tc.email, Firstname: tc.first, Lastname: tc.last, Previous: 80, Current: 60, Readings: 2}
		got := Health([]proactive.HealthTrend{tr}, proactive.DefaultThresholds(), testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.want, got[0].Entity)
		require.Equal(t, tc.email, got[0].EntityKey)
	}
}

func TestHealthDetailsZoneAndWeekAvg(t *testing.T) {
	t.Parallel()
	tr := trend("a@x.com", 80, 60)
	tr.Zone = ""
	tr.WeekAvg = ptr(72.5)
	got := Health([]proactive.HealthTrend{tr}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Nil(t, got[0].Details.(HealthDropDetails).CurrentZone)
	require.Equal(t, 72.5, *got[0].Details.(HealthDropDetails).WeekAvg)
	require.Equal(t, 80, got[0].UrgencyScore) // high 70 + 10, no zone bonus

	// A store's mean carries float noise; the details do not. The email is
	// trimmed as in the entity and the dedup key.
	tr = trend(" a@x.com ", 80, 60)
	a, b := 70.1, 70.3
	tr.WeekAvg = ptr((a + b) / 2) // 70.19999999999999
	require.NotEqual(t, 70.2, *tr.WeekAvg, "the input must carry noise")
	got = Health([]proactive.HealthTrend{tr}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, 70.2, *got[0].Details.(HealthDropDetails).WeekAvg)
	require.Equal(t, "a@x.com", got[0].Details.(HealthDropDetails).Email)
	require.Equal(t, "Jane Doe (a@x.com)", got[0].Entity)
	require.Equal(t, "a@x.com", got[0].EntityKey)
}

func TestHealthActions(t *testing.T) {
	t.Parallel()
	th := customThresholds() // critical at 40, so a fractional critical drop
	for _, tc := range []struct {
		previous, current float64
		want              string
	}{
		{100, 47.5, "URGENT: Schedule emergency check-in call within 24 hours. Client at high risk of churn. Score dropped 52.5 points."},
		{80, 55.66, "High Priority: Reach out within 48 hours to understand what changed. Offer support or adjustments."},
		{80, 70, "Monitor closely: Send proactive check-in message. Schedule wellness call within 1 week."},
	} {
		got := Health([]proactive.HealthTrend{trend("a@x.com", tc.previous, tc.current)}, th, testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.want, got[0].RecommendedAction)
	}
	got := Health([]proactive.HealthTrend{trend("a@x.com", 90, 49.96)}, th, testNow)
	require.Equal(t, "URGENT: Schedule emergency check-in call within 24 hours. Client at high risk of churn. Score dropped 40 points.", got[0].RecommendedAction, "no float noise in text")
}

// CONTRACT §3: a client needs at least 2 readings in the window.
func TestHealthNeedsTwoReadings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		readings int
		want     int
	}{{0, 0}, {1, 0}, {2, 1}, {9, 1}} {
		tr := trend("a@x.com", 80, 40)
		tr.Readings = tc.readings
		require.Len(t, Health([]proactive.HealthTrend{tr}, proactive.DefaultThresholds(), testNow), tc.want, "%d readings", tc.readings)
	}
	require.Empty(t, Health(nil, proactive.DefaultThresholds(), testNow))
}

func TestHealthOrder(t *testing.T) {
	t.Parallel()
	trends := []proactive.HealthTrend{
		{Email: "m@x.com", Previous: 80, Current: 68},   // medium 56
		{Email: "b@x.com", Previous: 80, Current: 50},   // critical 100
		{Email: "a@x.com", Previous: 80, Current: 50},   // critical 100, tie: a before b
		{Email: "c@x.com", Previous: 80, Current: 70.5}, // below: nothing
		{Email: "h@x.com", Previous: 80, Current: 62},   // high 79
	}
	for i := range trends {
		trends[i].Readings = 2
	}
	got := Health(trends, proactive.DefaultThresholds(), testNow)
	var entities []string
	for _, a := range got {
		entities = append(entities, a.Entity)
	}
	require.Equal(t, []string{"a@x.com", "b@x.com", "h@x.com", "m@x.com"}, entities)
}

func TestHealthDescribe(t *testing.T) {
	t.Parallel()
	describe := HealthDropCheck().Text.Describe
	a := func(metric float64, d HealthDropDetails) *proactive.Anomaly {
		return &proactive.Anomaly{Type: proactive.HealthDrop, Entity: "Jane Doe (jane@x.com)", Metric: metric, Details: d}
	}
	for _, tc := range []struct {
		name string
		a    *proactive.Anomaly
		want string
	}{
		{"slide below the week's average", a(15, HealthDropDetails{CurrentScore: 60, PreviousScore: 62, WeekAvg: ptr(75), CurrentZone: sp("YELLOW")}),
			"Jane Doe (jane@x.com) health score dropped 15 points (from a recent average of 75 to 60). Currently in YELLOW zone."},
		{"fall since the previous reading", a(12.5, HealthDropDetails{CurrentScore: 60, PreviousScore: 72.5, CurrentZone: sp("red")}),
			"Jane Doe (jane@x.com) health score dropped 12.5 points (from 72.5 to 60). Currently in RED zone."},
		{"week average below previous: previous", a(12.5, HealthDropDetails{CurrentScore: 60, PreviousScore: 72.5, WeekAvg: ptr(70)}),
			"Jane Doe (jane@x.com) health score dropped 12.5 points (from 72.5 to 60)."},
		{"float noise", a(80.3-55.3, HealthDropDetails{CurrentScore: 55.3, PreviousScore: 80.3}),
			"Jane Doe (jane@x.com) health score dropped 25 points (from 80.3 to 55.3)."},
	} {
		require.Equal(t, tc.want, describe(tc.a), tc.name)
	}
}
