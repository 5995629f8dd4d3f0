package proactive

import "time"

// AlertTTL is how long an alert stays active: expires_at = created_at + 48 h.
const AlertTTL = 48 * time.Hour

// ActionItem is one recommended action of an alert, one per affected entity.
type ActionItem struct {
	Action       string   `json:"action"`
	Priority     Severity `json:"priority"`
	UrgencyScore int      `json:"urgency_score"`
}

// AffectedEntities is the affected_entities JSON column of an alert.
type AffectedEntities struct {
	Type         AnomalyType `json:"type"`
	Count        int         `json:"count"`
	Entities     []string    `json:"entities"` // first 10, most urgent first
	UrgencyScore int         `json:"urgency_score"`
}

// Alert is one row of proactive_insights written by ptd-proactive.
type Alert struct {
	// ID is the row id as text (a uuid, or an integer in an existing table).
	ID               string           `json:"id"`
	InsightType      string           `json:"insight_type"`
	Priority         Severity         `json:"priority"`
	Title            string           `json:"title"`
	Content          string           `json:"content"`
	Summary          string           `json:"summary"`
	ActionItems      []ActionItem     `json:"action_items"`
	AffectedEntities AffectedEntities `json:"affected_entities"`
	SourceAgent      string           `json:"source_agent"`
	// SourceData holds the group's anomalies and figures (JSON).
	SourceData  map[string]any `json:"source_data"`
	DedupKey    string         `json:"dedup_key"`
	ExpiresAt   *time.Time     `json:"expires_at"`
	IsDismissed bool           `json:"is_dismissed"`
	CreatedAt   time.Time      `json:"created_at"`
	// ResolvedAt is set when every case the alert holds is resolved
	// (CONTRACT §10.7); a resolved alert is no longer listed as active.
	ResolvedAt *time.Time `json:"resolved_at"`
}

// ActionEntity returns the entity action item i is about. The items are
// written one per member, in the order of AffectedEntities.Entities (most
// urgent first), so item i is about entity i; "" when the alert lists no
// such entity (a row written by another tool).
func (a Alert) ActionEntity(i int) string {
	if i < 0 || i >= len(a.ActionItems) || i >= len(a.AffectedEntities.Entities) {
		return ""
	}
	return a.AffectedEntities.Entities[i]
}

// SaveOutcome says what became of a group's alert of the day (CONTRACT
// §10.6); package lifecycle decides it.
type SaveOutcome string

// The outcomes of a group's alert.
const (
	// Inserted: a new row was written.
	Inserted SaveOutcome = "inserted"
	// Escalated: an alert with the same key inside the dedup window had a
	// lower priority; it was updated to the new severity and content, its
	// expires_at moved to now + 48 h, and it is active again.
	Escalated SaveOutcome = "escalated"
	// Updated: the group's stored alert of the day gained members; it was
	// rewritten at its priority and is active again (CONTRACT §10.6).
	Updated SaveOutcome = "updated"
	// Duplicate: an alert with the same key inside the dedup window has the
	// same or a higher priority; nothing was written.
	Duplicate SaveOutcome = "duplicate"
)

// SaveResult is what became of a group's alert and the id of its row.
type SaveResult struct {
	Outcome SaveOutcome
	ID      string
}

// AlertFilter selects alerts for listing. Only active alerts (not dismissed,
// not resolved, expires_at null or after Now) of source agent ptd-proactive
// are listed, ordered critical > high > medium > low, then newest first;
// with History, only the alerts that are no longer active, newest first.
type AlertFilter struct {
	Now      time.Time
	Priority Severity    // "" for all
	Type     AnomalyType // "" for all; matches affected_entities.type
	Limit    int         // 0 for no limit
	// History lists the alerts of ptd-proactive that are no longer active
	// at Now (dismissed, resolved or expired) instead of the active ones:
	// newest created first, then critical > high > medium > low.
	History bool
}
