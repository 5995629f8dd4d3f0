package rules

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestHoursWaiting(t *testing.T) {
	t.Parallel()
	require.Equal(t, 6.0, HoursWaiting(testNow.Add(-6*time.Hour), testNow))
	require.Equal(t, 6.5, HoursWaiting(testNow.Add(-6*time.Hour-30*time.Minute), testNow))
	require.Less(t, HoursWaiting(testNow.Add(-6*time.Hour+1), testNow), 6.0)
}

func TestLeadThresholds(t *testing.T) {
	t.Parallel()
	// Hours are unrounded: "just below" is one nanosecond short.
	hour := float64(time.Hour)
	for _, tc := range thresholdCases(t, 1/hour, [3]float64{24, 12, 6}, [3]float64{48, 2.5, 1}) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			created := testNow.Add(-time.Duration(tc.metric*hour + 0.5))
			got := Leads([]proactive.Lead{{ID: "1", Name: "Sam", CreatedAt: created}}, tc.th, testNow)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Severity)
		})
	}
	// 6 hours minus 1 ns is not 6 hours.
	lead := []proactive.Lead{{ID: "1", CreatedAt: testNow.Add(-6*time.Hour + 1)}}
	require.Empty(t, Leads(lead, proactive.DefaultThresholds(), testNow))
	lead[0].CreatedAt = testNow.Add(-6 * time.Hour)
	require.Len(t, Leads(lead, proactive.DefaultThresholds(), testNow), 1)
}

func TestLeadAnomaly(t *testing.T) {
	t.Parallel()
	got := Leads([]proactive.Lead{{
		ID: "L7", Name: "Sarah Johnson", Email: "sarah@x.com", Source: "facebook",
		CreatedAt: testNow.Add(-29*time.Hour - 30*time.Minute),
	}}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, proactive.Anomaly{
		Type:      proactive.ResponseDelay,
		Severity:  proactive.SeverityCritical,
		Entity:    "Sarah Johnson",
		EntityKey: "sarah@x.com",
		Contact:   "sarah@x.com",
		Key:       "lead-L7",
		Details: ResponseDelayDetails{
			LeadID:       sp("L7"),
			Name:         sp("Sarah Johnson"),
			Email:        sp("sarah@x.com"),
			HoursWaiting: 29.5,
			Source:       sp("facebook"),
		},
		Metric:            29.5,
		RecommendedAction: "URGENT: Lead waiting 30 hours without contact. Respond immediately to prevent loss. Strike while iron is hot!",
		UrgencyScore:      100,
		DetectedAt:        testNow,
	}, got[0])
}

func TestLeadEntityAndKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, email, id string
		entity, key     string
	}{
		{"Sam Lee", "sam@x.com", "1", "Sam Lee", "sam@x.com"},
		{"", "sam@x.com", "1", "sam@x.com", "sam@x.com"},
		{"Sam Lee", "", "1", "Sam Lee", "Sam Lee"},
		{" ", " ", "99", "Lead #99", "lead-99"},
	} {
		got := Leads([]proactive.Lead{{ID: tc.id, Name: tc.name, Email: tc.email, CreatedAt: testNow.Add(-7 * time.Hour)}},
			proactive.DefaultThresholds(), testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.entity, got[0].Entity)
		require.Equal(t, tc.key, got[0].EntityKey)
	}
}

func TestLeadActions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		hours  time.Duration
		source string
		want   string
	}{
		{24 * time.Hour, "", "URGENT: Lead waiting 24 hours without contact. Respond immediately to prevent loss. Strike while iron is hot!"},
		{30*time.Hour + 29*time.Minute, "", "URGENT: Lead waiting 30 hours without contact. Respond immediately to prevent loss. Strike while iron is hot!"},
		{13 * time.Hour, "webinar", "High Priority: Reach out within next 2 hours. Lead interest may be cooling. Source: webinar"},
		{13 * time.Hour, "  ", "High Priority: Reach out within next 2 hours. Lead interest may be cooling."},
		{7 * time.Hour, "webinar", "Contact lead today. Timely response improves conversion rates significantly."},
	} {
		got := Leads([]proactive.Lead{{ID: "1", Source: tc.source, CreatedAt: testNow.Add(-tc.hours)}}, proactive.DefaultThresholds(), testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.want, got[0].RecommendedAction)
	}
}

func TestLeadsSkipAndSort(t *testing.T) {
	t.Parallel()
	got := Leads([]proactive.Lead{
		{ID: "0", Name: "no time"},
		{ID: "1", Name: "bo", CreatedAt: testNow.Add(-8 * time.Hour)},
		{ID: "2", Name: "Al", CreatedAt: testNow.Add(-8 * time.Hour)},
		{ID: "3", Name: "Cy", CreatedAt: testNow.Add(-30 * time.Hour)},
		{ID: "4", Name: "Di", CreatedAt: testNow.Add(-2 * time.Hour)},
	}, proactive.DefaultThresholds(), testNow)
	var entities []string
	for _, a := range got {
		entities = append(entities, a.Entity)
	}
	require.Equal(t, []string{"Cy", "Al", "bo"}, entities)
}
