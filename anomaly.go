package proactive

import (
	"strings"
	"time"
	"unicode"
)

// AnomalyType names a check and the anomalies it finds ("health_drop").
// The known types are those of the check Registry; the constants below
// name the four of Part one for code and tests that refer to them.
type AnomalyType string

// The four anomaly types of Part one (CONTRACT §3).
const (
	HealthDrop    AnomalyType = "health_drop"
	DealStall     AnomalyType = "deal_stall"
	SyncFail      AnomalyType = "sync_fail"
	ResponseDelay AnomalyType = "response_delay"
)

// Details are the typed figures of one anomaly: one struct per check, in
// the check's file of package rules, that marshals to the contract's keys.
type Details interface {
	// DetailsType is the type of the check whose figures these are.
	DetailsType() AnomalyType
	// RevenueAtRisk is the anomaly's revenue at risk, the details'
	// revenue_at_risk (CONTRACT §11.7); never negative.
	RevenueAtRisk() float64
}

// Anomaly is one finding of one check about one entity (a client, a deal, a
// (source, error_type) pair, a lead).
type Anomaly struct {
	Type     AnomalyType `json:"type"`
	Severity Severity    `json:"severity"`
	// Entity is the display name (CONTRACT §3), e.g. "Jane Doe (jane@x.com)";
	// it is also the label of the anomaly's case.
	Entity string `json:"entity"`
	// EntityKey is the entity part of the dedup key before whitespace
	// folding (CONTRACT §4): email, deal name or deal-<id>, <source>_<error_type>,
	// lead email else name else lead-<id>.
	EntityKey string `json:"-"`
	// Key identifies the entity's case: the case key without its
	// "<type>:" prefix (CONTRACT §10.1), e.g. the trimmed, lower-cased
	// email of a client, deal-<id>, <source>_<error_type>, lead-<id>.
	Key string `json:"-"`
	// Details carries the check's figures under the contract's keys.
	Details Details `json:"details"`
	// Owner is the entity's owner in the data (CONTRACT §11.6), "" for none.
	Owner string `json:"-"`
	// Contact is the trimmed, lower-cased email of the person behind the
	// entity, for renewal_risk's matching (CONTRACT §11.4): the deal's
	// contact email (deal_stall), the lead's email (response_delay); ""
	// for none or other checks. It is no detail: details keys are fixed.
	Contact string `json:"-"`
	// Metric is the unrounded figure the severity was judged on: the score
	// drop, days stalled, failure count or hours waiting.
	Metric            float64   `json:"-"`
	RecommendedAction string    `json:"recommended_action"`
	UrgencyScore      int       `json:"urgency_score"`
	DetectedAt        time.Time `json:"detected_at"`
}

// RevenueAtRisk is the anomaly's revenue at risk: its details', 0 without
// details.
func (a *Anomaly) RevenueAtRisk() float64 {
	if a.Details == nil {
		return 0
	}
	return a.Details.RevenueAtRisk()
}

// CaseKey is the key of the anomaly's case: "<type>:<key>".
func (a *Anomaly) CaseKey() string { return CaseKey(a.Type, a.Key) }

// CaseKey joins a type and a key into a case key: "<type>:<key>".
func CaseKey(t AnomalyType, key string) string { return string(t) + ":" + key }

// FoldSpace replaces each run of whitespace in s by one "_" (dedup keys,
// CONTRACT §4).
func FoldSpace(s string) string {
	if strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	inSpace := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !inSpace {
				b.WriteByte('_')
			}
			inSpace = true
			continue
		}
		inSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

// NormEmail is an email as Part two compares it: trimmed, lower-cased.
func NormEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// MaxRelated is how many related anomalies an AlertGroup keeps by name
// (source_data.related); the count covers them all.
const MaxRelated = 50

// AlertGroup is the anomalies of one type found by one scan, led by the most
// urgent (the primary).
type AlertGroup struct {
	// ID identifies the group within one scan ("<type>_group").
	ID      string
	Type    AnomalyType
	Primary Anomaly
	// Related holds the most urgent of the other members, most urgent
	// first, at most MaxRelated; AffectedCount counts every member.
	Related []Anomaly
	// Severity is the combined severity (CONTRACT §4).
	Severity Severity
	// Urgency is the combined urgency, 0–100.
	Urgency       int
	AffectedCount int
	// RevenueAtRisk is the sum of every member's revenue at risk
	// (Details.RevenueAtRisk), unrounded (CONTRACT §11.7).
	RevenueAtRisk float64
}

// Members returns the primary followed by the related anomalies it keeps,
// most urgent first.
func (g AlertGroup) Members() []Anomaly {
	out := make([]Anomaly, 0, 1+len(g.Related))
	out = append(out, g.Primary)
	return append(out, g.Related...)
}

// RelatedCount is the number of members besides the primary.
func (g AlertGroup) RelatedCount() int { return max(g.AffectedCount-1, len(g.Related)) }
