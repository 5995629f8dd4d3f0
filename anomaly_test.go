package proactive

import (
	"slices"
	"testing"
)

func TestSourceTables(t *testing.T) {
	if want := []string{TableHealthScores, TableDeals, TableSyncErrors, TableLeads}; !slices.Equal(SourceTables(), want) {
		t.Errorf("SourceTables() = %v", SourceTables())
	}
	for _, table := range SourceTables() {
		if len(SourceColumns(table)) == 0 {
			t.Errorf("no columns for %s", table)
		}
	}
	if SourceColumns(TableInsights) != nil {
		t.Error("proactive_insights is not a source table")
	}
}

func TestFoldSpaceAndCaseKey(t *testing.T) {
	for in, want := range map[string]string{"a b\t\n c": "a_b_c", "none": "none", " x ": "_x_"} {
		if got := FoldSpace(in); got != want {
			t.Errorf("FoldSpace(%q) = %q, want %q", in, got, want)
		}
	}
	a := Anomaly{Type: HealthDrop, Key: NormEmail("  John@Example.COM ")}
	if got := a.CaseKey(); got != "health_drop:john@example.com" {
		t.Errorf("CaseKey = %q", got)
	}
}

func TestAlertGroupMembers(t *testing.T) {
	g := AlertGroup{Primary: Anomaly{Entity: "a"}, Related: []Anomaly{{Entity: "b"}, {Entity: "c"}}}
	var got []string
	for _, m := range g.Members() {
		got = append(got, m.Entity)
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Members() = %v", got)
	}
	if n := len(AlertGroup{Primary: Anomaly{Entity: "a"}}.Members()); n != 1 {
		t.Errorf("a group of one has %d members", n)
	}
}

func TestSkipped(t *testing.T) {
	s := Skipped{}
	s.Add(SkipNullEmail, 2)
	s.Add(SkipNullEmail, 1)
	s.Add(SkipFutureTimestamp, 0) // nothing: no entry
	s.Add(SkipNegativeAmount, 4)
	if s.Total() != 7 || len(s) != 2 || s[SkipNullEmail] != 3 {
		t.Errorf("Skipped = %v, total %d", s, s.Total())
	}
	if Skipped(nil).Total() != 0 {
		t.Error("a nil Skipped counts nothing")
	}
}

// CONTRACT §5: the defaults are the seed's THRESHOLDS, ordered critical >
// high > medium.
func TestDefaultThresholds(t *testing.T) {
	th := DefaultThresholds()
	want := Thresholds{25, 15, 10, 7, 30, 21, 14, 5, 3, 2, 24, 12, 6, 24, 60, 3, 7, 3.5, 5, 0} // §5, then §11.1
	if th != want {
		t.Errorf("DefaultThresholds() = %+v, want %+v", th, want)
	}
	if !slices.Equal(DefaultStallStages(), []string{"Assessment", "Proposal", "Negotiation", "Trial"}) {
		t.Errorf("DefaultStallStages() = %v", DefaultStallStages())
	}
}
