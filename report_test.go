package proactive

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// CONTRACT §6: insights, predictions, alert_groups and errors are arrays,
// never null, however the result was built.
func TestScanResultJSONArraysNeverNull(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  ScanResult
		want []string
	}{
		{"zero value", ScanResult{},
			[]string{`"insights":[]`, `"predictions":[]`, `"alert_groups":[]`, `"errors":[]`, `"skipped_rows":[]`}},
		{"failed scan", ScanResult{Success: false, Error: "the database does not answer"},
			[]string{`"success":false`, `"insights":[]`, `"errors":[]`, `"error":"the database does not answer"`}},
		{"filled", ScanResult{
			Success:     true,
			Insights:    []string{"3 deals stalled. Most common stage: Proposal (2 deals)"},
			Predictions: []string{},
			AlertGroups: []GroupSummary{{Type: DealStall, Severity: SeverityHigh, Urgency: 80, AffectedCount: 3, Title: "3 Deals Stalled in Pipeline"}},
			Errors:      []MonitorError{{Monitor: "checkLeadResponseTimes", Error: "no table leads"}},
			Groups:      []AlertGroup{{ID: "deal_stall_group"}},
		}, []string{
			`"insights":["3 deals stalled. Most common stage: Proposal (2 deals)"]`, `"predictions":[]`,
			`"alert_groups":[{"type":"deal_stall","severity":"high","urgency":80,"affected_count":3,"title":"3 Deals Stalled in Pipeline"}]`,
			`"errors":[{"monitor":"checkLeadResponseTimes","error":"no table leads"}]`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []any{tc.res, &tc.res} {
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				if !strings.HasPrefix(s, `{"success":`) {
					t.Errorf("the seed's keys come first: %s", s)
				}
				for _, w := range tc.want {
					if !strings.Contains(s, w) {
						t.Errorf("missing %s in %s", w, s)
					}
				}
				if strings.Contains(s, "null") || strings.Contains(s, "Groups") || strings.Contains(s, "deal_stall_group") {
					t.Errorf("null or an unserialised field in %s", s)
				}
			}
		})
	}
}

// The caller's encoder decides on HTML escaping (the CLI prints "&" as is).
func TestScanResultJSONLeavesEscapingToTheEncoder(t *testing.T) {
	res := ScanResult{Insights: []string{"Johnson & Johnson <x>"}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"Johnson & Johnson <x>"`) {
		t.Errorf("escaped although the encoder says not to: %s", b.String())
	}
	escaped, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(escaped), `"Johnson \u0026 Johnson \u003cx\u003e"`) {
		t.Errorf("json.Marshal escapes HTML: %s", escaped)
	}
	var back map[string]any
	if err := json.Unmarshal(escaped, &back); err != nil || back["insights"].([]any)[0] != "Johnson & Johnson <x>" {
		t.Errorf("round trip: %v %v", back, err)
	}
}

// The scan's summary counts a bad row once, however many checks read its
// table; every boundary of the merge is a row here.
func TestSkippedPerTable(t *testing.T) {
	const h, d = TableHealthScores, TableDeals
	for _, tc := range []struct {
		name      string
		rows      []SkippedRows
		want      []SkippedRows
		wantTotal int
	}{
		{"none", nil, nil, 0},
		{"one check", []SkippedRows{{"checkHealthScoreDrops", h, "null email", 2}},
			[]SkippedRows{{"checkHealthScoreDrops", h, "null email", 2}}, 2},
		{"four checks, one table: counted once",
			[]SkippedRows{
				{"checkHealthScoreDrops", h, "null email", 1}, {"checkHealthScoreDrops", h, "score outside 0-100", 1},
				{"checkDealPipelineStalls", d, "negative amount", 1},
				{"checkHealthForecast", h, "null email", 1}, {"checkHealthForecast", h, "score outside 0-100", 1},
				{"checkHealthAnomalies", h, "null email", 1}, {"checkCoachWorkload", h, "null email", 1},
			},
			[]SkippedRows{
				{"checkHealthScoreDrops, checkHealthForecast, checkHealthAnomalies, checkCoachWorkload", h, "null email", 1},
				{"checkHealthScoreDrops, checkHealthForecast", h, "score outside 0-100", 1},
				{"checkDealPipelineStalls", d, "negative amount", 1},
			}, 3},
		{"a wider window skips more: the largest count",
			[]SkippedRows{{"checkHealthScoreDrops", h, "null email", 2}, {"checkHealthForecast", h, "null email", 5}, {"checkHealthAnomalies", h, "null email", 3}},
			[]SkippedRows{{"checkHealthScoreDrops, checkHealthForecast, checkHealthAnomalies", h, "null email", 5}}, 5},
		{"reasons sorted within a table, tables in order of appearance",
			[]SkippedRows{{"checkDealPipelineStalls", d, "negative amount", 1}, {"checkHealthScoreDrops", h, "timestamp in the future", 1}, {"checkHealthScoreDrops", h, "null email", 1}},
			[]SkippedRows{{"checkDealPipelineStalls", d, "negative amount", 1}, {"checkHealthScoreDrops", h, "null email", 1}, {"checkHealthScoreDrops", h, "timestamp in the future", 1}}, 3},
		{"no table: each check on its own",
			[]SkippedRows{{"checkA", "", "odd", 1}, {"checkB", "", "odd", 2}},
			[]SkippedRows{{"checkA", "", "odd", 1}, {"checkB", "", "odd", 2}}, 3},
		{"a zero count is nothing",
			[]SkippedRows{{"checkHealthScoreDrops", h, "null email", 0}}, nil, 0},
		{"one check reporting a reason twice is named once",
			[]SkippedRows{{"checkHealthScoreDrops", h, "null email", 1}, {"checkHealthScoreDrops", h, "null email", 2}},
			[]SkippedRows{{"checkHealthScoreDrops", h, "null email", 2}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.rows)
			got, total := SkippedPerTable(tc.rows)
			if !slices.Equal(got, tc.want) {
				t.Errorf("SkippedPerTable:\n got  %+v\n want %+v", got, tc.want)
			}
			if total != tc.wantTotal {
				t.Errorf("total %d, want %d", total, tc.wantTotal)
			}
			if !slices.Equal(in, tc.rows) {
				t.Errorf("the input changed: %+v", tc.rows)
			}
		})
	}
}
