package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func stored(prio proactive.Severity, written time.Time, ids, inhibited []string) *proactive.Alert {
	sd := map[string]any{}
	if ids != nil {
		l := make([]any, len(ids))
		for i, id := range ids {
			l[i] = id
		}
		sd[SourceCaseIDs] = l
		inh := make([]any, len(inhibited))
		for i, id := range inhibited {
			inh[i] = id
		}
		sd[SourceInhibitedCaseIDs] = inh
		sd[SourceWrittenAt] = written.Format(time.RFC3339Nano)
	}
	return &proactive.Alert{ID: "a1", Priority: prio, CreatedAt: t0, SourceData: sd}
}

func members(ids ...string) []Member {
	out := make([]Member, len(ids))
	for i, id := range ids {
		out[i] = Member{CaseID: id, Label: "label " + id}
	}
	return out
}

func ids(ms []Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.CaseID)
	}
	return out
}

func all(ids ...string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func TestDecideAlert(t *testing.T) {
	t.Parallel()
	written := t0.Add(time.Hour)
	now := t0.Add(5 * time.Hour)
	woke := now.Add(-time.Minute)
	before := t0.Add(30 * time.Minute)
	withWake := func(ms []Member, i int, at time.Time) []Member { ms[i].WokeAt = &at; return ms }
	withSilenceEnd := func(ms []Member, i int, at time.Time) []Member { ms[i].SilenceEndedAt = &at; return ms }
	inhibitedMember := func(ms []Member, i int) []Member { ms[i].Inhibited = true; return ms }
	for _, tc := range []struct {
		name       string
		stored     *proactive.Alert
		members    []Member
		sev        proactive.Severity
		unresolved map[string]bool
		outcome    proactive.SaveOutcome
		newIDs     []string
		caseIDs    []string
		inhibited  []string
	}{
		{"no stored alert: inserted", nil, members("c1", "c2"), high, all(), proactive.Inserted, []string{}, []string{"c1", "c2"}, []string{}},
		{"members in any order: the row lists them sorted", nil, members("c3", "c1", "c2"), high, all(), proactive.Inserted, []string{}, []string{"c1", "c2", "c3"}, []string{}},
		{"held and a member again: listed once", stored(high, written, []string{"c2", "c1"}, nil), members("c3", "c2"), high, all("c1", "c2", "c3"), proactive.Updated, []string{"c3"}, []string{"c1", "c2", "c3"}, []string{}},
		{"same members: duplicate", stored(high, written, []string{"c1", "c2"}, nil), members("c1", "c2"), high, all("c1", "c2"), proactive.Duplicate, []string{}, nil, nil},
		{"a member left: duplicate", stored(high, written, []string{"c1", "c2"}, nil), members("c1"), high, all("c1", "c2"), proactive.Duplicate, []string{}, nil, nil},
		{"lower severity: duplicate", stored(critical(), written, []string{"c1"}, nil), members("c1"), high, all("c1"), proactive.Duplicate, []string{}, nil, nil},
		{"new member: updated, keeps unresolved held, drops resolved", stored(high, written, []string{"c1", "c2", "c9"}, nil), members("c1", "c3"), high, all("c1", "c2", "c3"), proactive.Updated, []string{"c3"}, []string{"c1", "c2", "c3"}, []string{}},
		{"higher severity: escalated even with no new member", stored(med, written, []string{"c1"}, nil), members("c1"), high, all("c1"), proactive.Escalated, []string{}, []string{"c1"}, []string{}},
		{"escalated with a new member lists it", stored(med, written, []string{"c1"}, nil), members("c1", "c2"), crit, all("c1", "c2"), proactive.Escalated, []string{"c2"}, []string{"c1", "c2"}, []string{}},
		{"member woke after the write: updated", stored(high, written, []string{"c1", "c2"}, nil), withWake(members("c1", "c2"), 1, woke), high, all("c1", "c2"), proactive.Updated, []string{"c2"}, []string{"c1", "c2"}, []string{}},
		{"member woke before the write: duplicate", stored(high, written, []string{"c1", "c2"}, nil), withWake(members("c1", "c2"), 1, before), high, all("c1", "c2"), proactive.Duplicate, []string{}, nil, nil},
		{"member's silence ended after the write: updated", stored(high, written, []string{"c1"}, nil), withSilenceEnd(members("c1"), 0, woke), high, all("c1"), proactive.Updated, []string{"c1"}, []string{"c1"}, []string{}},
		{"owed notification, no longer inhibited: updated", stored(high, written, []string{"c1", "c2"}, []string{"c2"}), members("c1", "c2"), high, all("c1", "c2"), proactive.Updated, []string{"c2"}, []string{"c1", "c2"}, []string{}},
		{"owed notification, still inhibited: duplicate", stored(high, written, []string{"c1", "c2"}, []string{"c2"}), inhibitedMember(members("c1", "c2"), 1), high, all("c1", "c2"), proactive.Duplicate, []string{}, nil, nil},
		{"new inhibited member joins inhibited_case_ids", stored(high, written, []string{"c1"}, nil), inhibitedMember(members("c1", "c2"), 1), high, all("c1", "c2"), proactive.Updated, []string{"c2"}, []string{"c1", "c2"}, []string{"c2"}},
		{"inserted with inhibited members", nil, inhibitedMember(members("c1", "c2"), 0), high, all(), proactive.Inserted, []string{}, []string{"c1", "c2"}, []string{"c1"}},
		{"legacy row: every member counts as held", stored(high, written, nil, nil), members("c1", "c2"), high, all(), proactive.Duplicate, []string{}, nil, nil},
		{"legacy row, higher severity: escalated, now holds the members", stored(med, written, nil, nil), members("c1"), high, all(), proactive.Escalated, []string{}, []string{"c1"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DecideAlert(tc.stored, tc.members, tc.sev, tc.unresolved)
			require.Equal(t, tc.outcome, d.Outcome)
			require.Equal(t, tc.newIDs, ids(d.New))
			require.Equal(t, tc.caseIDs, d.CaseIDs)
			require.Equal(t, tc.inhibited, d.Inhibited)
		})
	}
}

func critical() proactive.Severity { return proactive.SeverityCritical }

func TestNotified(t *testing.T) {
	t.Parallel()
	ms := members("c1", "c2", "c3")
	ms[1].Inhibited = true
	require.Equal(t, []string{"c1", "c3"}, ids(AlertDecision{Outcome: proactive.Inserted}.Notified(ms)))
	require.Equal(t, []string{"c1", "c3"}, ids(AlertDecision{Outcome: proactive.Escalated}.Notified(ms)))
	require.Equal(t, []string{"c3"}, ids(AlertDecision{Outcome: proactive.Updated, New: []Member{ms[1], ms[2]}}.Notified(ms)), "an update names only its new members not inhibited")
	require.Empty(t, AlertDecision{Outcome: proactive.Updated, New: []Member{ms[1]}}.Notified(ms), "only inhibited new members: no message")
	require.Empty(t, AlertDecision{Outcome: proactive.Duplicate}.Notified(ms))
	all := members("c1")
	all[0].Inhibited = true
	require.Empty(t, AlertDecision{Outcome: proactive.Inserted}.Notified(all), "all inhibited: no message")
	none := members("c1", "c2")
	require.Equal(t, []string{"c1", "c2"}, ids(AlertDecision{Outcome: proactive.Inserted}.Notified(none)), "none inhibited: every member")
	require.Equal(t, []string{"c2"}, ids(AlertDecision{Outcome: proactive.Updated, New: none[1:]}.Notified(none)), "none inhibited: every new member")

	require.Equal(t, "alert", Event(proactive.Inserted))
	require.Equal(t, "escalation", Event(proactive.Escalated))
	require.Equal(t, "update", Event(proactive.Updated))
	require.Empty(t, Event(proactive.Duplicate))
}

func TestAlertResolved(t *testing.T) {
	t.Parallel()
	a := *stored(high, t0, []string{"c1", "c2"}, nil)
	require.False(t, AlertResolved(a, all("c2")))
	require.True(t, AlertResolved(a, all("c3")))
	require.False(t, AlertResolved(*stored(high, t0, nil, nil), all()), "a legacy row holds no case: never resolved")
	require.Equal(t, []string{"c1", "c2"}, CaseIDsOf(a))
	require.Nil(t, CaseIDsOf(*stored(high, t0, nil, nil)))
}

func TestHeldByReadsJSONForms(t *testing.T) {
	t.Parallel()
	a := proactive.Alert{CreatedAt: t0, SourceData: map[string]any{
		SourceCaseIDs:          []string{"x"},
		SourceInhibitedCaseIDs: []any{"x", 3},
		SourceWrittenAt:        "2025-12-10T13:00:00.5Z",
	}}
	h := HeldBy(a)
	require.False(t, h.Legacy)
	require.True(t, h.CaseIDs["x"])
	require.True(t, h.Inhibited["x"])
	require.Equal(t, time.Date(2025, 12, 10, 13, 0, 0, 5e8, time.UTC), h.WrittenAt)
	a.SourceData[SourceWrittenAt] = "garbage"
	require.Equal(t, t0, HeldBy(a).WrittenAt, "an unreadable written_at falls back to created_at")
}

// The case ids a row lists, whatever JSON form they came in; a row
// without the key (or with null) is legacy and lists none, a row with a
// non-list lists no case but is not legacy.
func TestHeldCaseIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		data   map[string]any
		want   []string
		legacy bool
	}{
		{"no source_data", nil, nil, true},
		{"no case_ids", map[string]any{"x": 1}, nil, true},
		{"null case_ids", map[string]any{SourceCaseIDs: nil}, nil, true},
		{"decoded JSON", map[string]any{SourceCaseIDs: []any{"b", "a", 7}}, []string{"b", "a"}, false},
		{"as written", map[string]any{SourceCaseIDs: []string{"a", "b"}}, []string{"a", "b"}, false},
		{"empty", map[string]any{SourceCaseIDs: []any{}}, []string{}, false},
		{"not a list", map[string]any{SourceCaseIDs: "a"}, []string{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := proactive.Alert{CreatedAt: t0, SourceData: tc.data}
			require.Equal(t, tc.want, HeldCaseIDs(a))
			h := HeldBy(a)
			require.Equal(t, tc.legacy, h.Legacy)
			require.Len(t, h.CaseIDs, len(slices.Compact(slices.Sorted(slices.Values(tc.want)))))
			require.NotNil(t, h.Inhibited)
		})
	}
}
