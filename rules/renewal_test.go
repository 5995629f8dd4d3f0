package rules

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// an is an anomaly with what renewal matching reads.
func an(typ proactive.AnomalyType, key, entity string, urgency int, contact string) proactive.Anomaly {
	return proactive.Anomaly{Type: typ, Key: key, Entity: entity, UrgencyScore: urgency, Contact: contact}
}

func TestRenewalRisks(t *testing.T) {
	t.Parallel()
	in := []proactive.Anomaly{
		an(proactive.HealthDrop, "john@x.com", "John Smith (John@x.com)", 80, ""),
		an(proactive.HealthForecast, "john@x.com", "John Smith (John@x.com)", 96, ""),
		an(proactive.DealStall, "deal-7", "Big Deal", 90, "john@x.com"),
		an(proactive.DealStall, "deal-2", "Small Deal", 60, "john@x.com"),
		an(proactive.ResponseDelay, "lead-9", "John", 70, "john@x.com"),
		an(proactive.DealStall, "deal-7", "Big Deal", 90, "john@x.com"), // observed twice: once

		an(proactive.HealthAnomaly, "ann@x.com", "Ann (ann@x.com)", 60, ""),
		an(proactive.ResponseDelay, "lead-3", "Ann", 70, "ann@x.com"),

		an(proactive.HealthDrop, "solo@x.com", "Solo (solo@x.com)", 60, ""),          // no deal or lead
		an(proactive.DealStall, "deal-5", "Orphan", 60, "nobody@x.com"),              // no health
		an(proactive.DealStall, "deal-6", "No contact", 60, ""),                      // no contact email
		an(proactive.SyncFail, "hubspot_rate_limit", "HubSpot - rate_limit", 99, ""), // not an input
	}
	got := RenewalRisks(in, testNow)
	require.Len(t, got, 2)

	john := got[0]
	require.Equal(t, proactive.RenewalRisk, john.Type)
	require.Equal(t, proactive.SeverityCritical, john.Severity)
	require.Equal(t, "John Smith (John@x.com)", john.Entity)
	require.Equal(t, "john@x.com", john.Key)
	require.Equal(t, "john@x.com", john.EntityKey)
	require.Equal(t, 4.0, john.Metric, "1 for health, 2 deals, 1 lead")
	require.Equal(t, 100, john.UrgencyScore, "min(90 + 5 × 2, 100)")
	require.Equal(t, RenewalRiskDetails{Signals: []string{
		"deal_stall:deal-2", "deal_stall:deal-7", "health_drop:john@x.com", "health_forecast:john@x.com", "response_delay:lead-9",
	}}, john.Details)
	require.Equal(t, "URGENT: Renewal at risk: falling health and 3 stuck deal(s) or lead(s). Call within 24 hours and review them together.", john.RecommendedAction)
	require.Equal(t, testNow, john.DetectedAt)

	ann := got[1]
	require.Equal(t, "ann@x.com", ann.Key)
	require.Equal(t, 90, ann.UrgencyScore, "2 signals: 90")
	require.Equal(t, RenewalRiskDetails{Signals: []string{"health_anomaly:ann@x.com", "response_delay:lead-3"}}, ann.Details)
	require.Equal(t, "URGENT: Renewal at risk: falling health and 1 stuck deal(s) or lead(s). Call within 24 hours and review them together.", ann.RecommendedAction)

	require.Nil(t, RenewalRisks(nil, testNow))
}

func TestRenewalUrgency(t *testing.T) {
	t.Parallel()
	for signals, want := range map[int]int{2: 90, 3: 95, 4: 100, 5: 100, 12: 100} {
		require.Equal(t, want, RenewalUrgency(signals), "%d signals", signals)
	}
}

func TestRenewalEntityIsTheMostUrgentHealthAnomalys(t *testing.T) {
	t.Parallel()
	// Emails differing in case: one client (the keys are normalised), its
	// label the most urgent health anomaly's, ties alphabetically first.
	got := RenewalRisks([]proactive.Anomaly{
		an(proactive.HealthDrop, "jo@x.com", "Jo (jo@x.com)", 70, ""),
		an(proactive.HealthDrop, "jo@x.com", "Jo (JO@x.com)", 70, ""),
		an(proactive.HealthForecast, "jo@x.com", "Joanna (jo@x.com)", 60, ""),
		an(proactive.DealStall, "deal-1", "D", 60, "jo@x.com"),
	}, testNow)
	require.Len(t, got, 1)
	require.Equal(t, "Jo (JO@x.com)", got[0].Entity)
	require.Equal(t, []string{"deal_stall:deal-1", "health_drop:jo@x.com", "health_forecast:jo@x.com"}, got[0].Details.(RenewalRiskDetails).Signals)
}

func TestRenewalThroughTheCheck(t *testing.T) {
	t.Parallel()
	c := RenewalRiskCheck()
	require.Empty(t, c.Table, "it reads no table")
	require.ElementsMatch(t, []proactive.AnomalyType{proactive.HealthDrop, proactive.HealthForecast, proactive.HealthAnomaly, proactive.DealStall, proactive.ResponseDelay}, c.Inputs)
	d := c.New(proactive.CheckEnv{Now: testNow})
	for _, a := range []proactive.Anomaly{
		an(proactive.DealStall, "deal-1", "D", 60, "jo@x.com"),
		an(proactive.HealthAnomaly, "jo@x.com", "Jo (jo@x.com)", 60, ""),
	} {
		d.Observe(&a)
	}
	var e collect
	skipped, err := d.Detect(t.Context(), nil, &e)
	require.NoError(t, err)
	require.Empty(t, skipped)
	require.Equal(t, []string{"jo@x.com"}, e.keys())
}

func TestDealAndLeadCarryTheirContact(t *testing.T) {
	t.Parallel()
	deals := Deals([]proactive.Deal{
		{ID: "1", Name: "A", Stage: "Proposal", LastActivity: testNow.Add(-20 * day), ContactEmail: " Jo@X.com "},
		{ID: "2", Name: "B", Stage: "Proposal", LastActivity: testNow.Add(-20 * day)},
	}, proactive.DefaultThresholds(), testNow)
	require.Equal(t, "jo@x.com", deals[0].Contact)
	require.Equal(t, "", deals[1].Contact)
	leads := Leads([]proactive.Lead{{ID: "1", Email: " Jo@X.com", CreatedAt: testNow.Add(-30 * 3600e9)}}, proactive.DefaultThresholds(), testNow)
	require.Equal(t, "jo@x.com", leads[0].Contact)
}
