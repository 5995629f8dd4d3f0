package rules

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// now is the scan's now in every rules test.
var testNow = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)

// customThresholds differ from the defaults in every value the checks use.
func customThresholds() proactive.Thresholds {
	return proactive.Thresholds{
		HealthDropCritical:    40,
		HealthDropHigh:        20.5,
		HealthDropMedium:      5,
		HealthTrendDays:       3,
		DealStallDaysCritical: 60,
		DealStallDaysHigh:     45,
		DealStallDaysMedium:   7,
		SyncFailCritical:      10,
		SyncFailHigh:          6,
		SyncFailMedium:        1,
		ResponseDelayCritical: 48,
		ResponseDelayHigh:     2.5,
		ResponseDelayMedium:   1,
		DedupWindowHours:      12,
	}
}

func sp(s string) *string { return &s }

func TestRoundHalfUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want int
	}{
		{0, 0}, {0.49, 0}, {0.5, 1}, {1.5, 2}, {2.5, 3}, {72.5, 73}, {72.49, 72},
		{56.49999999999999, 57}, // float noise around a half counts as the half
		{-0.5, 0}, {math.NaN(), 0},
	} {
		require.Equal(t, tc.want, RoundHalfUp(tc.in), "RoundHalfUp(%v)", tc.in)
	}
}

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{27, "27"}, {12.5, "12.5"}, {12.25, "12.3"}, {12.34, "12.3"}, {12.96, "13"},
		{80.3 - 55.3, "25"}, {0, "0"}, {-0.01, "0"}, {1e6, "1000000"},
	} {
		require.Equal(t, tc.want, FormatNumber(tc.in), "FormatNumber(%v)", tc.in)
	}
}

func TestQuantity(t *testing.T) {
	t.Parallel()
	require.Equal(t, "1 day", Quantity(1, "day"))
	require.Equal(t, "1 point", Quantity(1.04, "point"))
	require.Equal(t, "0 failures", Quantity(0, "failure"))
	require.Equal(t, "12.5 points", Quantity(12.5, "point"))
	require.Equal(t, "3 hours", Quantity(3, "hour"))
}

func TestDenoise(t *testing.T) {
	t.Parallel()
	require.Equal(t, 25.0, Denoise(80.3-55.3))
	require.Equal(t, 14.6, Denoise(14.6))
	require.InDelta(t, 1.0/3, Denoise(1.0/3), 1e-9, "a real fraction keeps 9 decimals")
	require.True(t, math.IsNaN(Denoise(math.NaN())))
}

func TestCompareText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"apple", "Banana", -1},
		{"Banana", "apple", 1},
		{"a", "ab", -1},
		{"ab", "a", 1},
		{"Abc", "abc", -1}, // equal without case: byte order decides
		{"abc", "abc", 0},
		{"", "a", -1},
		{"Émile", "emile", 1}, // É folds to é, which sorts after e
		{"zoë", "Zoe", 1},
	} {
		require.Equal(t, tc.want, CompareText(tc.a, tc.b), "CompareText(%q, %q)", tc.a, tc.b)
	}
}

func TestCompareAnomalies(t *testing.T) {
	t.Parallel()
	a := func(u int, entity, key string, sev proactive.Severity) proactive.Anomaly {
		return proactive.Anomaly{UrgencyScore: u, Entity: entity, EntityKey: key, Severity: sev}
	}
	require.Negative(t, CompareAnomalies(a(80, "zed", "", ""), a(79, "amy", "", "")), "more urgent first")
	require.Negative(t, CompareAnomalies(a(80, "amy", "", ""), a(80, "Bob", "", "")), "ties alphabetically by entity")
	require.Negative(t, CompareAnomalies(a(80, "amy", "a", ""), a(80, "amy", "b", "")), "then by key")
	require.Negative(t, CompareAnomalies(
		a(80, "amy", "a", proactive.SeverityCritical), a(80, "amy", "a", proactive.SeverityHigh)), "then more severe first")
	require.Zero(t, CompareAnomalies(a(80, "amy", "a", proactive.SeverityHigh), a(80, "amy", "a", proactive.SeverityHigh)))
}

// severityCase is one row of a threshold table: a metric and the severity
// it must get ("" for no anomaly).
type severityCase struct {
	name   string
	th     proactive.Thresholds
	metric float64
	want   proactive.Severity
}

// thresholdCases makes on / just below / just above rows for each of the
// three thresholds of a check (critical, high, medium), under the defaults
// and under custom values. Where thresholds are adjacent integers, "just
// above" one threshold may be on the next: the expectation says so.
func thresholdCases(t *testing.T, eps float64, def, custom [3]float64) []severityCase {
	t.Helper()
	sevs := [3]proactive.Severity{proactive.SeverityCritical, proactive.SeverityHigh, proactive.SeverityMedium}
	var out []severityCase
	for _, set := range []struct {
		name string
		th   proactive.Thresholds
		vals [3]float64
	}{
		{"default", proactive.DefaultThresholds(), def},
		{"custom", customThresholds(), custom},
	} {
		expect := func(x float64) proactive.Severity {
			for i, v := range set.vals {
				if x >= v {
					return sevs[i]
				}
			}
			return ""
		}
		for i, v := range set.vals {
			below := proactive.Severity("")
			if i < 2 {
				below = sevs[i+1]
			}
			require.Equal(t, below, expect(v-eps), "thresholds too close for eps")
			out = append(out,
				severityCase{set.name + "/on " + string(sevs[i]), set.th, v, sevs[i]},
				severityCase{set.name + "/just below " + string(sevs[i]), set.th, v - eps, below},
				severityCase{set.name + "/just above " + string(sevs[i]), set.th, v + eps, expect(v + eps)},
			)
		}
	}
	return out
}
