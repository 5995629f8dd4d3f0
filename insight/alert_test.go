package insight

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

func fixedZone(hours int) *time.Location { return time.FixedZone("T", hours*3600) }

func TestActionItems(t *testing.T) {
	t.Parallel()
	var as []proactive.Anomaly
	for i := range 12 {
		sev := med
		if i < 2 {
			sev = crit
		}
		as = append(as, anom(proactive.DealStall, sev, fmt.Sprintf("deal %02d", i), 100-i, 30))
	}
	items := ActionItems(groupOf(as...))
	require.Len(t, items, 10)
	require.Equal(t, proactive.ActionItem{Action: "Act on deal 00.", Priority: crit, UrgencyScore: 100}, items[0])
	require.Equal(t, proactive.ActionItem{Action: "Act on deal 02.", Priority: med, UrgencyScore: 98}, items[2])
	require.Equal(t, proactive.ActionItem{Action: "Act on deal 09.", Priority: med, UrgencyScore: 91}, items[9])
	require.Len(t, ActionItems(groupOf(as[0])), 1)
}

func TestBuildAlert(t *testing.T) {
	t.Parallel()
	var as []proactive.Anomaly
	for i := range 60 {
		a := withDetail(anom(proactive.SyncFail, high, fmt.Sprintf("Src%02d - auth", i), 90-i/10, 3), "source", fmt.Sprintf("src%02d", i%3))
		a.EntityKey = fmt.Sprintf("src%02d_auth", i)
		as = append(as, a)
	}
	as[0].Severity = crit
	an := Analyze(testReg, proactive.DefaultSettings(), as)
	g := groupOf(as...)
	now := testNow.In(fixedZone(-3))
	al := BuildAlert(chk(g), g, an, now)

	require.Empty(t, al.ID)
	require.Equal(t, "alert", al.InsightType)
	require.Equal(t, "ptd-proactive", al.SourceAgent)
	require.Equal(t, crit, al.Priority)
	require.Equal(t, Title(chk(g), g), al.Title)
	require.Equal(t, Summary(chk(g), g), al.Summary)
	require.Equal(t, Content(chk(g), g, an), al.Content)
	require.Equal(t, ActionItems(g), al.ActionItems)
	require.Equal(t, now, al.CreatedAt)
	require.NotNil(t, al.ExpiresAt)
	require.Equal(t, now.Add(48*time.Hour), *al.ExpiresAt)
	require.Equal(t, "sync_fail_src00_auth_2025-12-10", al.DedupKey)
	require.False(t, al.IsDismissed)

	ae := al.AffectedEntities
	require.Equal(t, proactive.SyncFail, ae.Type)
	require.Equal(t, 60, ae.Count)
	require.Equal(t, g.Urgency, ae.UrgencyScore)
	require.Len(t, ae.Entities, 10)
	require.Equal(t, "Src00 - auth", ae.Entities[0])
	require.Equal(t, "Src09 - auth", ae.Entities[9])

	sd := al.SourceData
	require.Equal(t, 59, sd["related_count"])
	related := sd["related"].([]map[string]any)
	require.Len(t, related, 50)
	require.Equal(t, map[string]any{"entity": "Src01 - auth", "severity": "high", "urgency": 90}, related[0])
	require.Equal(t, []string{"Sync failures detected across 3 source(s): src00, src01, src02"}, sd["insights"])
	require.Equal(t, []string{"Critical sync failures may cause data inconsistencies. Immediate attention required."}, sd["predictions"])
	primary := sd["primary_anomaly"].(map[string]any)
	require.Equal(t, "Src00 - auth", primary["entity"])
	require.Equal(t, "critical", primary["severity"])
	require.Equal(t, "2025-12-10T12:00:00Z", primary["detected_at"])

	// The row is plain JSON.
	b, err := json.Marshal(al)
	require.NoError(t, err)
	require.Contains(t, string(b), `"affected_entities":{"type":"sync_fail","count":60,`)
}

// TestActionItemsPairWithEntities checks what Alert.ActionEntity relies
// on: action item i is the recommended action of entity i.
func TestActionItemsPairWithEntities(t *testing.T) {
	t.Parallel()
	var as []proactive.Anomaly
	for i := range 14 {
		as = append(as, anom(proactive.DealStall, med, fmt.Sprintf("deal %02d", (i*7)%14), 60+(i*5)%30, 20))
	}
	al := BuildAlert(chk(groupOf(as...)), groupOf(as...), Analysis{}, testNow)
	require.Len(t, al.ActionItems, 10)
	for i, item := range al.ActionItems {
		require.Equal(t, "Act on "+al.ActionEntity(i)+".", item.Action, "item %d", i)
	}
	require.Empty(t, al.ActionEntity(10))
	require.Empty(t, al.ActionEntity(-1))
}

func TestBuildAlertSingleWithoutAnalysis(t *testing.T) {
	t.Parallel()
	g := groupOf(anom(proactive.HealthDrop, med, "a@x.com", 55, 10))
	al := BuildAlert(chk(g), g, Analysis{}, testNow)
	require.Equal(t, []string{}, al.SourceData["insights"])
	require.Equal(t, []string{}, al.SourceData["predictions"])
	require.Equal(t, []map[string]any{}, al.SourceData["related"])
	require.Equal(t, 0, al.SourceData["related_count"])
	require.Equal(t, []string{"a@x.com"}, al.AffectedEntities.Entities)
	require.Equal(t, 57, al.AffectedEntities.UrgencyScore)
}

// CONTRACT §11.7: source_data.revenue_at_risk is the sum over every member
// of the group — not only the 51 it keeps by name — rounded to cents.
func TestRevenueAtRiskSumsEveryMember(t *testing.T) {
	t.Parallel()
	r := NewReducer(proactive.DealStall)
	want := 0.0
	for i := range 200 {
		a := anom(proactive.DealStall, med, fmt.Sprintf("Deal %03d", i), 50+i%40, 20)
		a.Details = rules.DealStallDetails{DaysStalled: 20, Revenue: 100.105}
		want += 100.105
		r.Add(a)
	}
	g, ok := r.Group()
	require.True(t, ok)
	require.Len(t, g.Related, proactive.MaxRelated)
	require.InDelta(t, want, g.RevenueAtRisk, 1e-6)
	al := BuildAlert(chk(g), g, Analysis{}, testNow)
	require.Equal(t, 20021.0, al.SourceData["revenue_at_risk"], "200 × 100.105 = 20021, to the cent")

	for _, tc := range []struct{ in, want float64 }{
		{0, 0}, {0.285, 0.29}, {1.005, 1.01}, {12.344999, 12.34}, {1e9 + 0.125, 1e9 + 0.13},
	} {
		require.Equal(t, tc.want, Cents(tc.in), "%v", tc.in)
	}
	g = groupOf(anom(proactive.SyncFail, med, "HubSpot - x", 60, 2))
	require.Equal(t, 0.0, BuildAlert(chk(g), g, Analysis{}, testNow).SourceData["revenue_at_risk"], "present when 0")
}

// TestReducerKeepsTheMostUrgentWhateverTheOrder: a group of many members,
// with ties in urgency, fed in several orders, names as primary and related
// exactly the most urgent of a full sort, and counts every member.
func TestReducerKeepsTheMostUrgentWhateverTheOrder(t *testing.T) {
	t.Parallel()
	var all []proactive.Anomaly
	for i := range 1000 {
		a := anom(proactive.DealStall, med, fmt.Sprintf("Deal %03d", (i*7919)%1000), 60+(i*31)%41, 20)
		if i%97 == 0 {
			a.Severity = high
		}
		all = append(all, a)
	}
	want := slices.Clone(all)
	rules.SortAnomalies(want)
	for seed := range uint64(5) {
		in := slices.Clone(all)
		rand.New(rand.NewPCG(seed, seed+1)).Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		if seed == 1 {
			slices.Reverse(want) // the least urgent first: every member is kept, then trimmed
			in = slices.Clone(want)
			slices.Reverse(want)
		}
		r := NewReducer(proactive.DealStall)
		for _, a := range in {
			r.Add(a)
		}
		g, ok := r.Group()
		require.True(t, ok)
		require.Equal(t, len(all), g.AffectedCount)
		require.Equal(t, want[0], g.Primary, "seed %d", seed)
		require.Equal(t, want[1:1+proactive.MaxRelated], g.Related, "seed %d", seed)
	}
}
