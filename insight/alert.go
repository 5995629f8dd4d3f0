package insight

import (
	"math"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// Limits of what an alert carries about its members.
const maxActionItems = 10 // action_items, and affected_entities.entities

// ActionItems are an alert's action items: one per member, most urgent
// first, at most 10, each the member's recommended action as it stands, its
// severity and its urgency.
func ActionItems(g proactive.AlertGroup) []proactive.ActionItem {
	members := g.Members()
	items := make([]proactive.ActionItem, 0, min(len(members), maxActionItems))
	for _, m := range members[:min(len(members), maxActionItems)] {
		items = append(items, proactive.ActionItem{
			Action:       m.RecommendedAction,
			Priority:     m.Severity,
			UrgencyScore: m.UrgencyScore,
		})
	}
	return items
}

// DedupKey is the key that keeps a group from being stored twice (CONTRACT
// §4): "<type>_<entity key of the primary>_<YYYY-MM-DD of now in UTC>", each
// run of whitespace replaced by one "_", e.g.
// "health_drop_john@example.com_2025-12-10". The primary's entity stands in
// for a missing entity key.
func DedupKey(g proactive.AlertGroup, now time.Time) string {
	key := g.Primary.EntityKey
	if key == "" {
		key = g.Primary.Entity
	}
	return proactive.FoldSpace(string(g.Type) + "_" + key + "_" + now.UTC().Format(time.DateOnly))
}

// BuildAlert makes the proactive_insights row of a group (CONTRACT §2, §4):
// insight type alert from source agent ptd-proactive, priority the combined
// severity, title, summary, content and action items as this package writes
// them, affected entities (the first 10, most urgent first, with the
// combined urgency), source data (the primary anomaly, the related count,
// up to 50 related anomalies as {entity, severity, urgency}, and the
// insights and predictions of the group's type, and the revenue at risk of
// every member rounded to cents), created at now, expiring 48 hours later,
// and its dedup key. ID is left empty for the store.
func BuildAlert(c proactive.Check, g proactive.AlertGroup, a Analysis, now time.Time) proactive.Alert {
	members := g.Members()
	entities := make([]string, 0, min(len(members), maxActionItems))
	for _, m := range members[:min(len(members), maxActionItems)] {
		entities = append(entities, m.Entity)
	}
	related := make([]map[string]any, 0, min(len(g.Related), proactive.MaxRelated))
	for _, r := range g.Related[:min(len(g.Related), proactive.MaxRelated)] {
		related = append(related, map[string]any{
			"entity":   r.Entity,
			"severity": string(r.Severity),
			"urgency":  r.UrgencyScore,
		})
	}
	insights, predictions := a.For(g.Type)
	expires := now.Add(proactive.AlertTTL)
	return proactive.Alert{
		InsightType: proactive.InsightType,
		Priority:    g.Severity,
		Title:       Title(c, g),
		Content:     Content(c, g, a),
		Summary:     Summary(c, g),
		ActionItems: ActionItems(g),
		AffectedEntities: proactive.AffectedEntities{
			Type:         g.Type,
			Count:        g.AffectedCount,
			Entities:     entities,
			UrgencyScore: g.Urgency,
		},
		SourceAgent: proactive.SourceAgent,
		SourceData: map[string]any{
			"group_id":        g.ID,
			"primary_anomaly": anomalyData(g.Primary),
			"related_count":   g.RelatedCount(),
			"related":         related,
			"insights":        proactive.NonNil(insights),
			"predictions":     proactive.NonNil(predictions),
			"revenue_at_risk": Cents(g.RevenueAtRisk),
		},
		DedupKey:  DedupKey(g, now),
		ExpiresAt: &expires,
		CreatedAt: now,
	}
}

// Cents rounds an amount to cents, halves away from zero
// (source_data.revenue_at_risk, CONTRACT §11.7); 0 for a value that is no
// finite number.
func Cents(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	// Denoised first: 0.285 × 100 is 28.499999999999996 in binary.
	return math.Round(rules.Denoise(x*100)) / 100
}

// anomalyData is an anomaly as plain JSON values (the keys of its JSON form).
func anomalyData(a proactive.Anomaly) map[string]any {
	return map[string]any{
		"type":               string(a.Type),
		"severity":           string(a.Severity),
		"entity":             a.Entity,
		"details":            a.Details,
		"recommended_action": a.RecommendedAction,
		"urgency_score":      a.UrgencyScore,
		"detected_at":        a.DetectedAt.UTC().Format(time.RFC3339Nano),
	}
}
