package proactive

import (
	"bytes"
	"encoding/json"
)

// Breakdown counts anomalies per check (CONTRACT §6).
type Breakdown struct {
	HealthDrops    int `json:"health_drops"`
	DealStalls     int `json:"deal_stalls"`
	SyncFailures   int `json:"sync_failures"`
	ResponseDelays int `json:"response_delays"`
}

// GroupSummary is one entry of the response's alert_groups.
type GroupSummary struct {
	Type          AnomalyType `json:"type"`
	Severity      Severity    `json:"severity"`
	Urgency       int         `json:"urgency"`
	AffectedCount int         `json:"affected_count"`
	// Title is the group's alert title (an extra key).
	Title string `json:"title"`
	// Saved says what happened to the group's alert: inserted, escalated,
	// duplicate, or "" on a dry run (an extra key).
	Saved SaveOutcome `json:"saved,omitempty"`
	// AlertID is the stored alert's id (an extra key).
	AlertID string `json:"alert_id,omitempty"`
}

// MonitorError is one check that could not run.
type MonitorError struct {
	Monitor string `json:"monitor"`
	Error   string `json:"error"`
}

// SkippedRows is one count of source rows skipped as making no sense.
type SkippedRows struct {
	Monitor string `json:"monitor"`
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
}

// ScanResult is the response object of a scan (CONTRACT §6): the seed's
// keys first, then the extra ones.
type ScanResult struct {
	Success           bool           `json:"success"`
	DurationMS        int64          `json:"duration_ms"`
	AnomaliesDetected int            `json:"anomalies_detected"`
	AlertGroupsCount  int            `json:"alert_groups_created"`
	AlertsSaved       int            `json:"alerts_saved"`
	Breakdown         Breakdown      `json:"breakdown"`
	Insights          []string       `json:"insights"`
	Predictions       []string       `json:"predictions"`
	AlertGroups       []GroupSummary `json:"alert_groups"`
	Errors            []MonitorError `json:"errors"`
	// DuplicatesSkipped counts groups not saved because of dedup.
	DuplicatesSkipped int `json:"duplicates_skipped"`
	// AlertsEscalated counts saved alerts that were escalations of stored ones.
	AlertsEscalated int           `json:"alerts_escalated"`
	SkippedRows     []SkippedRows `json:"skipped_rows"`
	DryRun          bool          `json:"dry_run,omitempty"`
	Now             string        `json:"now"`
	// ReadFrom says where the checks read when a read replica is
	// configured: "replica", or "primary" when it was too far behind (or
	// did not answer); empty without a replica (an extra key).
	ReadFrom string `json:"read_from,omitempty"`
	// Warnings are what went wrong without stopping the scan, such as a
	// read replica too far behind to read (an extra key).
	Warnings []string `json:"warnings,omitempty"`
	// Error is set when the scan could not run (success false).
	Error string `json:"error,omitempty"`

	// Groups are the full alert groups (not serialised); the CLI report and
	// the notifier use them.
	Groups []AlertGroup `json:"-"`
	// Alerts are the alerts built from the groups, in group order (not serialised).
	Alerts []Alert `json:"-"`
}

// MarshalJSON writes the result with insights, predictions, alert_groups,
// errors and skipped_rows as JSON arrays, never null (CONTRACT §6),
// whoever built the result. HTML escaping is left to the caller's encoder.
func (r ScanResult) MarshalJSON() ([]byte, error) {
	type plain ScanResult // without this method
	p := plain(r)
	p.Insights = nonNil(p.Insights)
	p.Predictions = nonNil(p.Predictions)
	p.AlertGroups = nonNil(p.AlertGroups)
	p.Errors = nonNil(p.Errors)
	p.SkippedRows = nonNil(p.SkippedRows)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// nonNil returns s, or an empty slice for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
