package proactive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Breakdown counts anomalies per check under each check's breakdown key
// (CONTRACT §6, §11.10), in report order. It marshals to a JSON object with
// the keys in that order.
type Breakdown []BreakdownEntry

// BreakdownEntry is one check's count.
type BreakdownEntry struct {
	Type  AnomalyType
	Key   string
	Count int
}

// Count is the count of check type t, 0 when it is not listed.
func (b Breakdown) Count(t AnomalyType) int {
	for _, e := range b {
		if e.Type == t {
			return e.Count
		}
	}
	return 0
}

// Get is the count under breakdown key k, and whether the key is listed.
func (b Breakdown) Get(k string) (int, bool) {
	for _, e := range b {
		if e.Key == k {
			return e.Count, true
		}
	}
	return 0, false
}

// MarshalJSON writes {"<key>": count, …} in order.
func (b Breakdown) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range b {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		fmt.Fprintf(&buf, ":%d", e.Count)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads an object of counts, keeping the keys' order; Type
// is left empty.
func (b *Breakdown) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("breakdown: want a JSON object")
	}
	out := Breakdown{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("breakdown: %w", err)
		}
		key, _ := t.(string)
		var n int
		if err := dec.Decode(&n); err != nil {
			return fmt.Errorf("breakdown %s: %w", key, err)
		}
		out = append(out, BreakdownEntry{Key: key, Count: n})
	}
	*b = out
	return nil
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

// Suppressed counts the anomalies a scan kept out of alerts (CONTRACT
// §10.5): each anomaly once, in the first bucket of silenced, snoozed,
// acknowledged; Inhibited counts the actionable anomalies whose case an
// inhibit rule holds back.
type Suppressed struct {
	Silenced     int `json:"silenced"`
	Snoozed      int `json:"snoozed"`
	Acknowledged int `json:"acknowledged"`
	Inhibited    int `json:"inhibited"`
}

// CaseCounts are a scan's opened, escalated and resolved events and the
// unresolved cases of every type after it.
type CaseCounts struct {
	Opened    int `json:"opened"`
	Escalated int `json:"escalated"`
	Resolved  int `json:"resolved"`
	Open      int `json:"open"`
}

// AnomalyCount is the number of anomalies of one type and severity.
type AnomalyCount struct {
	Type     AnomalyType
	Severity Severity
	Count    int
}

// MonitorError is one check that could not run.
type MonitorError struct {
	Monitor string `json:"monitor"`
	Error   string `json:"error"`
}

// SkippedRows is one count of source rows skipped as making no sense: the
// check that skipped them, the table it read ("" for a check that reads
// no table of its own) and why.
type SkippedRows struct {
	Monitor string `json:"monitor"`
	Table   string `json:"table"`
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
}

// SkippedPerTable counts the skipped rows of a scan once per table: several
// checks reading one table (health_drop, health_forecast, health_anomaly
// and coach_workload all read client_health_scores) skip the same bad rows,
// and each reports them. Their windows all end at the scan's now, so the
// widest holds every row a narrower one skipped: per table and reason the
// count is the largest any check reported. Entries come out in the order
// their table first appears, reasons sorted; Monitor is the checks that
// reported them, comma-separated, in report order. An entry without a
// table stands for its check alone. The total is the sum of the counts.
func SkippedPerTable(rows []SkippedRows) ([]SkippedRows, int) {
	// group is a table, or a check of its own when it reads none.
	type group struct{ table, monitor string }
	type at struct {
		group
		reason string
	}
	idx := map[at]int{}
	var order []group
	byGroup := map[group][]SkippedRows{}
	for _, r := range rows {
		if r.Count <= 0 {
			continue
		}
		g := group{table: r.Table}
		if g.table == "" {
			g.monitor = r.Monitor
		}
		if _, seen := byGroup[g]; !seen {
			order = append(order, g)
		}
		k := at{g, r.Reason}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(byGroup[g])
			byGroup[g] = append(byGroup[g], r)
			continue
		}
		e := &byGroup[g][i]
		e.Count = max(e.Count, r.Count)
		if !slices.Contains(strings.Split(e.Monitor, ", "), r.Monitor) {
			e.Monitor += ", " + r.Monitor
		}
	}
	var out []SkippedRows
	total := 0
	for _, g := range order {
		es := byGroup[g]
		slices.SortStableFunc(es, func(a, b SkippedRows) int { return strings.Compare(a.Reason, b.Reason) })
		for _, e := range es {
			total += e.Count
		}
		out = append(out, es...)
	}
	return out, total
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
	// AlertsUpdated counts the group alerts of the day that gained members
	// (CONTRACT §10.5).
	AlertsUpdated int `json:"alerts_updated"`
	// Suppressed counts anomalies kept out of alerts, each once.
	Suppressed Suppressed `json:"suppressed"`
	// Cases counts this scan's case events and the unresolved cases after it.
	Cases CaseCounts `json:"cases"`
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

	// AnomalyCounts count every anomaly by type and severity (not
	// serialised); the metrics use them.
	AnomalyCounts []AnomalyCount `json:"-"`
	// Groups are the alert groups (not serialised); the CLI report uses them.
	Groups []AlertGroup `json:"-"`
	// Alerts are the alerts built from the groups, in group order (not
	// serialised), without the case ids their source data lists: the
	// stored rows hold those.
	Alerts []Alert `json:"-"`
}

// MarshalJSON writes the result with insights, predictions, alert_groups,
// errors and skipped_rows as JSON arrays, never null (CONTRACT §6),
// whoever built the result. HTML escaping is left to the caller's encoder.
func (r ScanResult) MarshalJSON() ([]byte, error) {
	type plain ScanResult // without this method
	p := plain(r)
	p.Insights = NonNil(p.Insights)
	p.Predictions = NonNil(p.Predictions)
	p.AlertGroups = NonNil(p.AlertGroups)
	p.Errors = NonNil(p.Errors)
	p.SkippedRows = NonNil(p.SkippedRows)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// NonNil returns s, or an empty slice for nil, so that JSON shows [] and
// never null (the one helper for it).
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
