package rules

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestSyncThresholds(t *testing.T) {
	t.Parallel()
	for _, tc := range thresholdCases(t, 1, [3]float64{5, 3, 2}, [3]float64{10, 6, 1}) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			groups := []proactive.SyncFailureGroup{{Source: "hubspot", ErrorType: "timeout", Count: int(tc.metric), LatestAt: testNow}}
			got := Sync(groups, tc.th, testNow)
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Severity)
			require.Equal(t, tc.metric, got[0].Metric)
		})
	}
}

// The seed split error types on "_", turning rate_limit into rate. Here
// error_type is kept whole in the entity, key, details and action.
func TestSyncKeepsErrorTypeWhole(t *testing.T) {
	t.Parallel()
	got := Sync([]proactive.SyncFailureGroup{{
		Source: "hubspot", ErrorType: "rate_limit", Count: 4,
		LatestAt: testNow, LatestMessage: "429 Too Many Requests",
	}}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 1)
	require.Equal(t, proactive.Anomaly{
		Type:      proactive.SyncFail,
		Severity:  proactive.SeverityHigh,
		Entity:    "HubSpot - rate_limit",
		EntityKey: "hubspot_rate_limit",
		Key:       "hubspot_rate_limit",
		Details: SyncFailDetails{
			Source:       "hubspot",
			ErrorType:    "rate_limit",
			FailureCount: 4,
			LatestError:  sp("429 Too Many Requests"),
		},
		Metric:            4,
		RecommendedAction: "High Priority: HubSpot experiencing rate_limit errors. Review error logs and consider manual retry or system restart.",
		UrgencyScore:      82,
		DetectedAt:        testNow,
	}, got[0])
}

func TestSourceDisplayName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"hubspot": "HubSpot", "HUBSPOT": "HubSpot", "HubSpot": "HubSpot", " hubspot ": "HubSpot",
		"stripe": "Stripe", "STRIPE": "Stripe", "meta": "Meta", "Meta": "Meta",
		"salesforce": "salesforce", "Google Ads": "Google Ads", "": "",
	} {
		require.Equal(t, want, SourceDisplayName(in), in)
	}
}

func TestSyncActions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		source, errType string
		count           int
		want            string
		urgency         int
	}{
		{"stripe", "auth_error", 7, "CRITICAL: Stripe sync failing repeatedly (7 failures). Check API credentials, rate limits, and connectivity immediately.", 100},
		{"meta", "timeout", 3, "High Priority: Meta experiencing timeout errors. Review error logs and consider manual retry or system restart.", 79},
		{"zapier", "timeout", 2, "Monitor zapier sync status. May resolve automatically with retry. Investigate if pattern continues.", 56},
	} {
		got := Sync([]proactive.SyncFailureGroup{{Source: tc.source, ErrorType: tc.errType, Count: tc.count}}, proactive.DefaultThresholds(), testNow)
		require.Len(t, got, 1)
		require.Equal(t, tc.want, got[0].RecommendedAction)
		require.Equal(t, tc.urgency, got[0].UrgencyScore)
	}
}

func TestSyncEntityAsWrittenAndOrder(t *testing.T) {
	t.Parallel()
	got := Sync([]proactive.SyncFailureGroup{
		{Source: "Salesforce", ErrorType: "validation error", Count: 2},
		{Source: "stripe", ErrorType: "auth", Count: 3},
		{Source: "HUBSPOT", ErrorType: "auth", Count: 3},
		{Source: "meta", ErrorType: "x", Count: 1},
	}, proactive.DefaultThresholds(), testNow)
	require.Len(t, got, 3)
	require.Equal(t, "HubSpot - auth", got[0].Entity)
	require.Equal(t, "HUBSPOT_auth", got[0].EntityKey)
	require.Equal(t, "Stripe - auth", got[1].Entity)
	require.Equal(t, "Salesforce - validation error", got[2].Entity)
	require.Equal(t, "Salesforce_validation error", got[2].EntityKey)
	require.Nil(t, got[2].Details.(SyncFailDetails).LatestError)
}
