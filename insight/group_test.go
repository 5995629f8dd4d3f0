package insight

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestGroupOnePerTypeInCheckOrder(t *testing.T) {
	t.Parallel()
	in := []proactive.Anomaly{
		anom(proactive.ResponseDelay, med, "lead", 53, 6),
		anom(proactive.SyncFail, high, "HubSpot - auth", 79, 3),
		anom(proactive.HealthDrop, med, "b@x.com", 55, 10),
		anom("bogus", crit, "ignored", 99, 1),
		anom(proactive.HealthDrop, high, "a@x.com", 78, 15),
	}
	orig := append([]proactive.Anomaly(nil), in...)
	gs := Group(testReg, in)
	require.Equal(t, orig, in, "input not modified")
	require.Len(t, gs, 3)
	var types []proactive.AnomalyType
	for _, g := range gs {
		types = append(types, g.Type)
	}
	require.Equal(t, []proactive.AnomalyType{proactive.HealthDrop, proactive.SyncFail, proactive.ResponseDelay}, types)
	h := gs[0]
	require.Equal(t, "health_drop_group", h.ID)
	require.Equal(t, "a@x.com", h.Primary.Entity)
	require.Equal(t, []string{"b@x.com"}, entities(h.Related))
	require.Equal(t, 2, h.AffectedCount)
	require.Equal(t, "sync_fail_group", gs[1].ID)
	require.Empty(t, gs[1].Related)
	require.Equal(t, 1, gs[1].AffectedCount)
	require.Empty(t, Group(testReg, nil))
}

func TestGroupMemberOrderAndTieBreaks(t *testing.T) {
	t.Parallel()
	g := groupOf(
		anom(proactive.DealStall, med, "zeta", 60, 14),
		anom(proactive.DealStall, high, "beta", 75, 21),
		anom(proactive.DealStall, high, "Alpha", 75, 21),
		anom(proactive.DealStall, crit, "omega", 96, 30),
		anom(proactive.DealStall, med, "alpha", 60, 14),
	)
	require.Equal(t, "omega", g.Primary.Entity)
	require.Equal(t, []string{"Alpha", "beta", "alpha", "zeta"}, entities(g.Related))

	// Equal urgency: the alphabetically first entity is the primary.
	g = groupOf(
		anom(proactive.HealthDrop, high, "Zoe (z@x.com)", 80, 20),
		anom(proactive.HealthDrop, high, "amy (a@x.com)", 80, 20),
	)
	require.Equal(t, "amy (a@x.com)", g.Primary.Entity)
}

func TestCombinedSeverity(t *testing.T) {
	t.Parallel()
	mk := func(sevs ...proactive.Severity) []proactive.Anomaly {
		out := make([]proactive.Anomaly, 0, len(sevs))
		for i, s := range sevs {
			out = append(out, anom(proactive.HealthDrop, s, string(rune('a'+i)), 100-i, 10))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		sevs []proactive.Severity
		want proactive.Severity
	}{
		{"one medium", []proactive.Severity{med}, med},
		{"two medium: the primary's", []proactive.Severity{med, med}, med},
		{"two: primary low, other medium", []proactive.Severity{low, med}, low},
		{"two low", []proactive.Severity{low, low}, low},
		{"three low escalate to medium", []proactive.Severity{low, low, low}, med},
		{"four medium stay medium", []proactive.Severity{med, med, med, med}, med},
		{"four low: medium", []proactive.Severity{low, low, low, low}, med},
		{"five medium escalate to high", []proactive.Severity{med, med, med, med, med}, high},
		{"five low escalate to high", []proactive.Severity{low, low, low, low, low}, high},
		{"any high: high", []proactive.Severity{med, high}, high},
		{"any critical: critical", []proactive.Severity{med, med, crit}, crit},
		{"critical among five", []proactive.Severity{low, low, low, low, crit}, crit},
		{"one high", []proactive.Severity{high}, high},
		{"one critical", []proactive.Severity{crit}, crit},
	} {
		require.Equal(t, tc.want, CombinedSeverity(mk(tc.sevs...)), tc.name)
	}
	require.Equal(t, proactive.Severity(""), CombinedSeverity(nil))
}

// The seed compared priorities as text, where "critical" < "high" < "low" <
// "medium". Severities are compared by rank: a high among mediums and lows
// makes the group high, whatever order the text would give.
func TestSeverityComparedByRankNotText(t *testing.T) {
	t.Parallel()
	g := groupOf(
		anom(proactive.SyncFail, med, "m", 90, 2),
		anom(proactive.SyncFail, low, "l", 80, 1),
		anom(proactive.SyncFail, high, "h", 70, 3),
	)
	require.Equal(t, high, g.Severity)
	g = groupOf(anom(proactive.SyncFail, med, "m", 56, 2), anom(proactive.SyncFail, low, "l", 33, 1))
	require.Equal(t, med, g.Severity, "medium outranks low although \"low\" < \"medium\" as text")
	require.Equal(t, med, g.Primary.Severity)
	require.Equal(t, med, ActionItems(g)[0].Priority)
}

func TestCombinedUrgency(t *testing.T) {
	t.Parallel()
	mk := func(us ...int) []proactive.Anomaly {
		out := make([]proactive.Anomaly, 0, len(us))
		for i, u := range us {
			out = append(out, anom(proactive.HealthDrop, med, string(rune('a'+i)), u, 10))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		us   []int
		want int
	}{
		{"one: u + 2", []int{80}, 82},
		{"two: mean + 4", []int{80, 70}, 79},
		{"half rounds up", []int{85, 86}, 90},          // 85.5 + 4 = 89.5
		{"third rounds down", []int{70, 70, 71}, 76},   // 70.33 + 6
		{"two thirds round up", []int{70, 71, 71}, 77}, // 70.67 + 6
		{"cap at 100", []int{100, 100, 100}, 100},
		{"just under the cap", []int{90, 91, 92, 91}, 99}, // 91 + 8
		{"five members", []int{56, 56, 56, 56, 56}, 66},
	} {
		require.Equal(t, tc.want, CombinedUrgency(mk(tc.us...)), tc.name)
	}
	require.Zero(t, CombinedUrgency(nil))
	g := groupOf(mk(85, 86)...)
	require.Equal(t, 90, g.Urgency)
}
