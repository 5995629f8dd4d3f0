package insight

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func health(drops ...float64) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(drops))
	for i, d := range drops {
		out = append(out, anom(proactive.HealthDrop, med, string(rune('a'+i)), 60, d))
	}
	return out
}

func TestAnalyzeHealth(t *testing.T) {
	t.Parallel()
	const systemic = "Trend indicates potential systemic issue affecting multiple clients. Investigate common factors."
	for _, tc := range []struct {
		name        string
		drops       []float64
		insights    []string
		predictions []string
	}{
		{"two drops say nothing", []float64{30, 30}, nil, nil},
		{"three drops", []float64{10, 12, 14}, []string{"3 clients experiencing health score drops. Average drop: 12 points."}, nil},
		{"average rounded half up", []float64{10, 12, 15.5}, []string{"3 clients experiencing health score drops. Average drop: 13 points."}, nil},
		{"average exactly 15: no prediction", []float64{10, 15, 20}, []string{"3 clients experiencing health score drops. Average drop: 15 points."}, nil},
		{"float noise around 15: no prediction", []float64{15.1, 14.9, 15}, []string{"3 clients experiencing health score drops. Average drop: 15 points."}, nil},
		{"unrounded average over 15 that rounds to 15", []float64{15, 15, 15.3}, []string{"3 clients experiencing health score drops. Average drop: 15 points."}, []string{systemic}},
		{"five drops averaging 18", []float64{27, 20, 15, 14, 14}, []string{"5 clients experiencing health score drops. Average drop: 18 points."}, []string{systemic}},
	} {
		a := Analyze(testReg, proactive.DefaultSettings(), health(tc.drops...))
		ins, pred := a.For(proactive.HealthDrop)
		require.Equal(t, tc.insights, ins, tc.name)
		require.Equal(t, tc.predictions, pred, tc.name)
		require.Equal(t, len(tc.insights), len(a.Insights), tc.name)
	}
}

func deals(stages ...string) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(stages))
	for i, s := range stages {
		out = append(out, withDetail(anom(proactive.DealStall, med, string(rune('a'+i)), 60, 14), "stage", s))
	}
	return out
}

func TestAnalyzeDeals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		stages  []string
		insight string
		stage   string
	}{
		{"most common", []string{"Proposal", "Trial", "Proposal"}, "3 deals stalled. Most common stage: Proposal (2 deals)", "Proposal"},
		{"tie: alphabetically first", []string{"Trial", "Negotiation", "Proposal", "Trial", "Negotiation"}, "5 deals stalled. Most common stage: Negotiation (2 deals)", "Negotiation"},
		{"all different: alphabetically first", []string{"Trial", "Proposal", "Assessment"}, "3 deals stalled. Most common stage: Assessment (1 deals)", "Assessment"},
		{"stage as written, cases counted apart", []string{"proposal", "Proposal", "proposal", "Trial"}, "4 deals stalled. Most common stage: proposal (2 deals)", "proposal"},
		{"tie without regard to case", []string{"trial", "Proposal", "trial", "Proposal"}, "4 deals stalled. Most common stage: Proposal (2 deals)", "Proposal"},
	} {
		a := Analyze(testReg, proactive.DefaultSettings(), deals(tc.stages...))
		ins, pred := a.For(proactive.DealStall)
		require.Equal(t, []string{tc.insight}, ins, tc.name)
		require.Equal(t, []string{"Review " + tc.stage + " stage process. May indicate bottleneck or unclear next steps."}, pred, tc.name)
	}
	a := Analyze(testReg, proactive.DefaultSettings(), deals("Proposal", "Proposal"))
	require.Empty(t, a.Insights, "two stalls say nothing")
	require.Empty(t, a.Predictions)
}

func sync(sev proactive.Severity, sources ...string) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(sources))
	for i, s := range sources {
		out = append(out, withDetail(anom(proactive.SyncFail, sev, s+string(rune('a'+i)), 60, 2), "source", s))
	}
	return out
}

func TestAnalyzeSync(t *testing.T) {
	t.Parallel()
	const critical = "Critical sync failures may cause data inconsistencies. Immediate attention required."
	a := Analyze(testReg, proactive.DefaultSettings(), sync(med, "stripe"))
	require.Equal(t, []string{"Sync failures detected across 1 source(s): stripe"}, a.Insights)
	require.Empty(t, a.Predictions)

	a = Analyze(testReg, proactive.DefaultSettings(), append(sync(high, "stripe", "hubspot", "stripe", "Meta"), sync(crit, "hubspot")...))
	ins, pred := a.For(proactive.SyncFail)
	require.Equal(t, []string{"Sync failures detected across 3 source(s): hubspot, Meta, stripe"}, ins)
	require.Equal(t, []string{critical}, pred)

	// as written in the table: two spellings are two sources
	a = Analyze(testReg, proactive.DefaultSettings(), sync(med, "HubSpot", "hubspot"))
	require.Equal(t, []string{"Sync failures detected across 2 source(s): HubSpot, hubspot"}, a.Insights)
}

func TestAnalyzeLeads(t *testing.T) {
	t.Parallel()
	const pred = "Slow lead response times directly impact conversion rates. Consider automation or staffing adjustments."
	one := []proactive.Anomaly{anom(proactive.ResponseDelay, med, "a", 53, 7)}
	require.Empty(t, Analyze(testReg, proactive.DefaultSettings(), one).Insights)
	require.Empty(t, Analyze(testReg, proactive.DefaultSettings(), one).Predictions)
	leads := append(one, anom(proactive.ResponseDelay, high, "b", 80, 24))
	a := Analyze(testReg, proactive.DefaultSettings(), leads)
	require.Equal(t, []string{"2 leads waiting for response. Average wait time: 16 hours"}, a.Insights) // 15.5 → 16
	require.Equal(t, []string{pred}, a.Predictions)
	leads = append(leads, anom(proactive.ResponseDelay, high, "c", 80, 14.2))
	require.Equal(t, []string{"3 leads waiting for response. Average wait time: 15 hours"}, Analyze(testReg, proactive.DefaultSettings(), leads).Insights) // 15.07
}

func TestAnalyzeTypeOrderAndFor(t *testing.T) {
	t.Parallel()
	var all []proactive.Anomaly
	all = append(all, anom(proactive.ResponseDelay, high, "l1", 80, 20), anom(proactive.ResponseDelay, high, "l2", 80, 20))
	all = append(all, sync(crit, "hubspot")...)
	all = append(all, deals("Trial", "Trial", "Proposal")...)
	all = append(all, health(30, 20, 16)...)
	a := Analyze(testReg, proactive.DefaultSettings(), all)
	require.Equal(t, []string{
		"3 clients experiencing health score drops. Average drop: 22 points.",
		"3 deals stalled. Most common stage: Trial (2 deals)",
		"Sync failures detected across 1 source(s): hubspot",
		"2 leads waiting for response. Average wait time: 20 hours",
	}, a.Insights)
	require.Equal(t, []string{
		"Trend indicates potential systemic issue affecting multiple clients. Investigate common factors.",
		"Review Trial stage process. May indicate bottleneck or unclear next steps.",
		"Critical sync failures may cause data inconsistencies. Immediate attention required.",
		"Slow lead response times directly impact conversion rates. Consider automation or staffing adjustments.",
	}, a.Predictions)
	ins, pred := a.For(proactive.SyncFail)
	require.Equal(t, []string{"Sync failures detected across 1 source(s): hubspot"}, ins)
	require.Equal(t, []string{"Critical sync failures may cause data inconsistencies. Immediate attention required."}, pred)

	empty := Analyze(testReg, proactive.DefaultSettings(), nil)
	require.NotNil(t, empty.Insights)
	require.NotNil(t, empty.Predictions)
	ins, pred = empty.For(proactive.HealthDrop)
	require.Empty(t, ins)
	require.Empty(t, pred)
	ins, _ = Analysis{}.For(proactive.DealStall)
	require.Empty(t, ins, "the zero Analysis says nothing")
}
