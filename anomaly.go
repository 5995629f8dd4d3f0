package proactive

import "time"

// AnomalyType names one of the four checks' findings.
type AnomalyType string

// The four anomaly types, in the order the checks run and report.
const (
	HealthDrop    AnomalyType = "health_drop"
	DealStall     AnomalyType = "deal_stall"
	SyncFail      AnomalyType = "sync_fail"
	ResponseDelay AnomalyType = "response_delay"
)

// AnomalyTypes lists the four anomaly types in check order.
func AnomalyTypes() []AnomalyType {
	return []AnomalyType{HealthDrop, DealStall, SyncFail, ResponseDelay}
}

// Valid reports whether t is one of the four anomaly types.
func (t AnomalyType) Valid() bool {
	switch t {
	case HealthDrop, DealStall, SyncFail, ResponseDelay:
		return true
	}
	return false
}

// ParseAnomalyType parses an anomaly type name.
func ParseAnomalyType(s string) (AnomalyType, error) {
	if t := AnomalyType(s); t.Valid() {
		return t, nil
	}
	return "", Errorf(EINVALID, "unknown alert type %q: use health_drop, deal_stall, sync_fail or response_delay", s)
}

// Monitor is the name of the check that finds anomalies of this type, as the
// seed's logs and the scan's errors list name it (checkHealthScoreDrops, …).
func (t AnomalyType) Monitor() string {
	switch t {
	case HealthDrop:
		return "checkHealthScoreDrops"
	case DealStall:
		return "checkDealPipelineStalls"
	case SyncFail:
		return "checkSyncFailures"
	case ResponseDelay:
		return "checkLeadResponseTimes"
	}
	return string(t)
}

// Anomaly is one finding of one check about one entity (a client, a deal, a
// (source, error_type) pair, a lead).
type Anomaly struct {
	Type     AnomalyType `json:"type"`
	Severity Severity    `json:"severity"`
	// Entity is the display name (CONTRACT §3), e.g. "Jane Doe (jane@x.com)".
	Entity string `json:"entity"`
	// EntityKey is the entity part of the dedup key before whitespace
	// folding (CONTRACT §4): email, deal name or deal-<id>, <source>_<error_type>,
	// lead email else name else lead-<id>.
	EntityKey string `json:"-"`
	// Details carries the check's figures under the contract's keys
	// (health: email, current_score, previous_score, week_avg, score_drop,
	// current_zone; deals: deal_id, deal_name, stage, amount, days_stalled;
	// sync: source, error_type, failure_count, latest_error;
	// leads: lead_id, name, email, hours_waiting, source).
	Details map[string]any `json:"details"`
	// Metric is the unrounded figure the severity was judged on: the score
	// drop, days stalled, failure count or hours waiting.
	Metric            float64   `json:"-"`
	RecommendedAction string    `json:"recommended_action"`
	UrgencyScore      int       `json:"urgency_score"`
	DetectedAt        time.Time `json:"detected_at"`
}

// AlertGroup is the anomalies of one type found by one scan, led by the most
// urgent (the primary).
type AlertGroup struct {
	// ID identifies the group within one scan ("<type>_group").
	ID      string
	Type    AnomalyType
	Primary Anomaly
	// Related holds the other members, most urgent first.
	Related []Anomaly
	// Severity is the combined severity (CONTRACT §4).
	Severity Severity
	// Urgency is the combined urgency, 0–100.
	Urgency       int
	AffectedCount int
}

// Members returns the primary followed by the related anomalies, most urgent first.
func (g AlertGroup) Members() []Anomaly {
	out := make([]Anomaly, 0, 1+len(g.Related))
	out = append(out, g.Primary)
	return append(out, g.Related...)
}
