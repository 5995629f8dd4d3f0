package proactive

import (
	"testing"
	"time"
)

func TestSaveAlertParamsCheck(t *testing.T) {
	at := time.Date(2025, 12, 10, 12, 0, 0, 0, time.FixedZone("UTC+2", 2*3600))
	ok := Alert{DedupKey: "k", Priority: SeverityHigh}
	tests := []struct {
		name string
		p    SaveAlertParams
		want time.Time
		code string
	}{
		{"now wins, in UTC", SaveAlertParams{Alert: ok, Now: at}, at.UTC(), ""},
		{"created_at when now is unset", SaveAlertParams{Alert: Alert{DedupKey: "k", Priority: SeverityLow, CreatedAt: at}}, at.UTC(), ""},
		{"no dedup key", SaveAlertParams{Alert: Alert{Priority: SeverityHigh}, Now: at}, time.Time{}, EINVALID},
		{"unknown priority", SaveAlertParams{Alert: Alert{DedupKey: "k", Priority: "urgent"}, Now: at}, time.Time{}, EINVALID},
		{"no moment at all", SaveAlertParams{Alert: ok}, time.Time{}, EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.Check("save alert")
			if ErrorCode(err) != tc.code || !got.Equal(tc.want) {
				t.Fatalf("Check() = %v, %v; want %v and code %q", got, err, tc.want, tc.code)
			}
		})
	}
}

func TestSourceCheckNamesEachCheck(t *testing.T) {
	want := map[string]string{
		TableHealthScores: "health check", TableDeals: "deal stall check",
		TableSyncErrors: "sync failure check", TableLeads: "lead response check", "other": "other",
	}
	for table, name := range want {
		if got := SourceCheck(table); got != name {
			t.Errorf("SourceCheck(%q) = %q, want %q", table, got, name)
		}
	}
}
