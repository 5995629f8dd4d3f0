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

// SaveOutcome says what SaveAlert did.
type SaveOutcome string

// The outcomes of SaveAlert.
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

// SaveAlertParams asks a store to save an alert under the dedup rule.
type SaveAlertParams struct {
	Alert Alert // ID is ignored; CreatedAt is the scan's now
	// DedupWindow: an alert with the same dedup_key created in
	// (Now − DedupWindow, Now] makes this one a duplicate or an escalation.
	DedupWindow time.Duration
	Now         time.Time
	// Channels are the notification channels that want this alert; when the
	// outcome is Inserted or Escalated the store enqueues one notification
	// per channel in the same transaction (the outbox).
	Channels []string
	// ScanID identifies the scan; stored on each outbox row so that a
	// channel can batch one scan's alerts (one email per scan).
	ScanID string
	// EnqueueAt dates the queued notifications (created and due at it):
	// the caller's wall clock, which the outbox worker claims by, so that a
	// scan evaluated at another Now (scan --now) still has its
	// notifications delivered now. Zero means Now. The alert row itself
	// keeps Now (CONTRACT §1).
	EnqueueAt time.Time
}

// SaveResult is the outcome of SaveAlert and the id of the stored row.
type SaveResult struct {
	Outcome SaveOutcome
	ID      string
}

// AlertFilter selects alerts for listing. Only active alerts (not dismissed,
// expires_at null or after Now) of source agent ptd-proactive are listed,
// ordered critical > high > medium > low, then newest first.
type AlertFilter struct {
	Now      time.Time
	Priority Severity    // "" for all
	Type     AnomalyType // "" for all; matches affected_entities.type
	Limit    int         // 0 for no limit
}

// Check validates the parameters the way every store must, before any
// write: a dedup key, a known priority and a moment (Now, else the alert's
// CreatedAt). It returns that moment in UTC, or an EINVALID error prefixed
// with op.
func (p SaveAlertParams) Check(op string) (time.Time, error) {
	if p.Alert.DedupKey == "" {
		return time.Time{}, Errorf(EINVALID, "%s: the alert has no dedup key", op)
	}
	if !p.Alert.Priority.Valid() {
		return time.Time{}, Errorf(EINVALID, "%s: unknown priority %q: use critical, high, medium or low", op, p.Alert.Priority)
	}
	now := p.Now
	if now.IsZero() {
		now = p.Alert.CreatedAt
	}
	if now.IsZero() {
		return time.Time{}, Errorf(EINVALID, "%s: the scan's now is not set", op)
	}
	return now.UTC(), nil
}
