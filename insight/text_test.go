package insight

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestTitle(t *testing.T) {
	t.Parallel()
	many := func(typ proactive.AnomalyType, n int) proactive.AlertGroup {
		var as []proactive.Anomaly
		for i := range n {
			as = append(as, anom(typ, med, fmt.Sprintf("e%d", i), 60-i, 10))
		}
		return groupOf(as...)
	}
	for _, tc := range []struct {
		name string
		g    proactive.AlertGroup
		want string
	}{
		{"health single", groupOf(anom(proactive.HealthDrop, crit, "John Smith (john@example.com)", 100, 27)), "Client Health Drop: John Smith (john@example.com)"},
		{"health many", many(proactive.HealthDrop, 5), "5 Clients: Health Scores Dropping"},
		{"health two", many(proactive.HealthDrop, 2), "2 Clients: Health Scores Dropping"},
		{"deal single", groupOf(anom(proactive.DealStall, crit, "Enterprise Package - ACME Corp", 96, 30)), "Deal Stalled: Enterprise Package - ACME Corp"},
		{"deal many", many(proactive.DealStall, 3), "3 Deals Stalled in Pipeline"},
		{"lead single", groupOf(anom(proactive.ResponseDelay, high, "Sarah Johnson", 80, 13)), "Lead Response Delay: Sarah Johnson"},
		{"lead many", many(proactive.ResponseDelay, 4), "4 Leads Waiting for Response"},
		{"sync single, rate_limit whole", groupOf(anom(proactive.SyncFail, crit, "HubSpot - rate_limit", 100, 5)), "HubSpot - rate_limit: 5 Sync Failures"},
	} {
		require.Equal(t, tc.want, Title(chk(tc.g), tc.g), tc.name)
	}
}

// The seed titled a sync group with its number of members; the title carries
// the primary's failure count.
func TestSyncTitleUsesPrimaryFailureCount(t *testing.T) {
	t.Parallel()
	g := groupOf(
		anom(proactive.SyncFail, crit, "HubSpot - rate_limit", 100, 7),
		anom(proactive.SyncFail, med, "Stripe - timeout", 56, 2),
		anom(proactive.SyncFail, high, "Meta - auth_error", 79, 3),
	)
	require.Equal(t, "HubSpot - rate_limit: 7 Sync Failures", Title(chk(g), g))
}

func TestSummary(t *testing.T) {
	t.Parallel()
	h := anom(proactive.HealthDrop, crit, "John Smith (john@example.com)", 100, 27)
	g := groupOf(h)
	require.Equal(t, "health drop: John Smith (john@example.com). Urgency 100/100", Summary(chk(g), g))
	g = groupOf(anom(proactive.SyncFail, high, "HubSpot - rate_limit", 82, 4))
	require.Equal(t, "sync failure: HubSpot - rate_limit. Urgency 84/100", Summary(chk(g), g))
	g = groupOf(h, anom(proactive.HealthDrop, med, "a@x.com", 55, 10), anom(proactive.HealthDrop, med, "b@x.com", 55, 10.5))
	require.Equal(t, "3 clients with health score drops; most urgent: John Smith (john@example.com) (dropped 27 points). Urgency 76/100", Summary(chk(g), g))
}

func TestContentSections(t *testing.T) {
	t.Parallel()
	// A single anomaly without analysis has only the primary alert and the action.
	a := withDetail(anom(proactive.SyncFail, med, "Stripe - timeout", 56, 2), "source", "stripe")
	g := groupOf(a)
	require.Equal(t, "**Primary Alert:**\nStripe - timeout has failed 2 times in the last 24 hours.\n\n**Recommended Action:**\nAct on Stripe - timeout.", Content(chk(g), g, Analysis{}))

	// Analysis of other types is left out.
	other := Analyze(testReg, proactive.DefaultSettings(), health(30, 30, 30))
	require.NotContains(t, Content(chk(g), g, other), "**Analysis:**")
	require.NotContains(t, Content(chk(g), g, other), "**Predicted Impact:**")

	// Related issues: five listed, then the rest counted.
	var as []proactive.Anomaly
	for i := range 8 {
		as = append(as, withDetail(anom(proactive.SyncFail, med, fmt.Sprintf("S%d - timeout", i), 60-i, 2), "source", "s"))
	}
	gc := groupOf(as...)
	c := Content(chk(gc), gc, Analyze(testReg, proactive.DefaultSettings(), as))
	require.Contains(t, c, "**Related Issues (7):**\n- S1 - timeout (medium, urgency 59/100, 2 failures)\n")
	require.Contains(t, c, "- S5 - timeout (medium, urgency 55/100, 2 failures)\n… and 2 more\n\n**Analysis:**\n- Sync failures detected across 1 source(s): s\n\n**Recommended Action:**")
	require.NotContains(t, c, "S6 - timeout")
	require.NotContains(t, c, "**Predicted Impact:**")
	require.NotContains(t, c, "\n\n\n")
	require.False(t, strings.HasSuffix(c, "\n"))
}

func TestDedupKey(t *testing.T) {
	t.Parallel()
	key := func(typ proactive.AnomalyType, entityKey string) proactive.AlertGroup {
		a := anom(typ, med, "display name", 60, 10)
		a.EntityKey = entityKey
		return groupOf(a)
	}
	for _, tc := range []struct {
		name string
		g    proactive.AlertGroup
		want string
	}{
		{"contract example", key(proactive.HealthDrop, "john@example.com"), "health_drop_john@example.com_2025-12-10"},
		{"whitespace runs folded", key(proactive.DealStall, "Enterprise  Package \t- ACME\nCorp"), "deal_stall_Enterprise_Package_-_ACME_Corp_2025-12-10"},
		{"deal without name", key(proactive.DealStall, "deal-42"), "deal_stall_deal-42_2025-12-10"},
		{"sync", key(proactive.SyncFail, "hubspot_rate_limit"), "sync_fail_hubspot_rate_limit_2025-12-10"},
		{"lead without name or email", key(proactive.ResponseDelay, "lead-7"), "response_delay_lead-7_2025-12-10"},
		{"no entity key: the entity", key(proactive.ResponseDelay, ""), "response_delay_display_name_2025-12-10"},
	} {
		require.Equal(t, tc.want, DedupKey(tc.g, testNow), tc.name)
	}
	// the date is now's in UTC
	g := key(proactive.HealthDrop, "john@example.com")
	late := testNow.Add(11*time.Hour + 30*time.Minute) // 23:30 UTC, 04:30 the next day at +05:00
	require.Equal(t, "health_drop_john@example.com_2025-12-10", DedupKey(g, late.In(fixedZone(5))))
	require.Equal(t, "health_drop_john@example.com_2025-12-11", DedupKey(g, late.Add(time.Hour)))
}
