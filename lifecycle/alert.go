package lifecycle

import (
	"slices"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Keys of source_data the desk writes (CONTRACT §10.6).
const (
	SourceCaseIDs          = "case_ids"
	SourceInhibitedCaseIDs = "inhibited_case_ids"
	SourceWrittenAt        = "written_at"
)

// Held is what a stored group alert holds (CONTRACT §10.6).
type Held struct {
	// Legacy: the row has no case_ids (written before cases, or by the edge
	// function): it holds no case, and for the outcome every current member
	// counts as held.
	Legacy bool
	// CaseIDs and Inhibited are the held case ids and those whose
	// notification is still owed.
	CaseIDs   map[string]bool
	Inhibited map[string]bool
	// WrittenAt is the time of the alert's last write.
	WrittenAt time.Time
}

// HeldBy reads what an alert row holds from its source_data.
func HeldBy(a proactive.Alert) Held {
	h := Held{WrittenAt: a.CreatedAt}
	ids := HeldCaseIDs(a)
	if ids == nil {
		h.Legacy = true
		h.CaseIDs, h.Inhibited = map[string]bool{}, map[string]bool{}
		return h
	}
	inhibited := stringList(a.SourceData[SourceInhibitedCaseIDs])
	// Sized up front: a group's alert may hold tens of thousands.
	h.CaseIDs, h.Inhibited = make(map[string]bool, len(ids)), make(map[string]bool, len(inhibited))
	for _, id := range ids {
		h.CaseIDs[id] = true
	}
	for _, id := range inhibited {
		h.Inhibited[id] = true
	}
	if s, ok := a.SourceData[SourceWrittenAt].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			h.WrittenAt = t
		}
	}
	return h
}

// HeldCaseIDs returns the case ids an alert row's source_data lists, as
// listed (the desk writes them sorted, each once); nil for a legacy row.
// CaseIDsOf is the same as a set, sorted.
func HeldCaseIDs(a proactive.Alert) []string {
	ids, ok := a.SourceData[SourceCaseIDs]
	if !ok || ids == nil {
		return nil
	}
	if l := stringList(ids); l != nil {
		return l
	}
	return []string{}
}

// CaseIDsOf returns the case ids an alert row holds, nil for a legacy row.
func CaseIDsOf(a proactive.Alert) []string {
	h := HeldBy(a)
	if h.Legacy {
		return nil
	}
	return sortedKeys(h.CaseIDs)
}

// stringList reads a JSON list of strings ([]any or []string).
func stringList(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Member is one actionable anomaly of a group, as the alert decision sees
// its case.
type Member struct {
	CaseID string
	Label  string
	Owner  string
	// Inhibited: an inhibit rule holds its notification back (CONTRACT §11.8).
	Inhibited bool
	// WokeAt is when the case last woke (snooze ended, escalation); nil if
	// never.
	WokeAt *time.Time
	// SilenceEndedAt is the latest end of a silence that matched the case
	// and has ended by now; nil if none.
	SilenceEndedAt *time.Time
}

// isNew reports whether m is new to an alert that holds h (CONTRACT
// §10.6): its case is not held, or its notification was owed and it is no
// longer inhibited, or it woke or its silence ended after the alert was
// written.
func (h Held) isNew(m Member) bool {
	if h.Legacy {
		return false
	}
	switch {
	case !h.CaseIDs[m.CaseID]:
		return true
	case h.Inhibited[m.CaseID] && !m.Inhibited:
		return true
	case m.WokeAt != nil && m.WokeAt.After(h.WrittenAt):
		return true
	case m.SilenceEndedAt != nil && m.SilenceEndedAt.After(h.WrittenAt):
		return true
	}
	return false
}

// AlertDecision is what becomes of a group's alert.
type AlertDecision struct {
	Outcome proactive.SaveOutcome
	// New are the members new to the stored alert (updated and escalated).
	New []Member
	// CaseIDs and Inhibited are what the written row holds (nil for a
	// duplicate: nothing is written).
	CaseIDs, Inhibited []string
}

// DecideAlert decides the outcome of a group whose members are members at
// combined severity sev, against its stored alert of the day (nil when
// none), whose held cases still unresolved are those in unresolved
// (CONTRACT §10.6): no stored alert → inserted; a combined severity above
// the stored priority → escalated; any new member → updated; else
// duplicate. Members leaving never rewrite an alert.
func DecideAlert(stored *proactive.Alert, members []Member, sev proactive.Severity, unresolved map[string]bool) AlertDecision {
	var d AlertDecision
	var held Held
	if stored == nil {
		d.Outcome = proactive.Inserted
		held = Held{CaseIDs: map[string]bool{}, Inhibited: map[string]bool{}}
	} else {
		held = HeldBy(*stored)
		for _, m := range members {
			if held.isNew(m) {
				d.New = append(d.New, m)
			}
		}
		switch {
		case sev.Rank() > stored.Priority.Rank():
			d.Outcome = proactive.Escalated
		case len(d.New) > 0:
			d.Outcome = proactive.Updated
		default:
			d.Outcome = proactive.Duplicate
			return d
		}
	}
	// The held cases still unresolved and the members, sorted, each once:
	// a slice, not a set, for a group may hold tens of thousands.
	ids := make([]string, 0, len(members)+len(held.CaseIDs))
	for id := range held.CaseIDs {
		if unresolved[id] {
			ids = append(ids, id)
		}
	}
	inhibited := map[string]bool{}
	for id := range held.Inhibited {
		if unresolved[id] {
			inhibited[id] = true
		}
	}
	for _, m := range members {
		ids = append(ids, m.CaseID)
		if m.Inhibited {
			inhibited[m.CaseID] = true
		} else {
			delete(inhibited, m.CaseID)
		}
	}
	slices.Sort(ids)
	d.CaseIDs, d.Inhibited = slices.Clip(slices.Compact(ids)), sortedKeys(inhibited)
	return d
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Notified returns the members a message about the decision names
// (CONTRACT §10.10): for inserted and escalated the members not
// inhibited; for updated the new members not inhibited; none for a
// duplicate. No member: no message. When none of them is inhibited it
// returns members (or d.New) itself, not a copy: a group may hold tens of
// thousands.
func (d AlertDecision) Notified(members []Member) []Member {
	var from []Member
	switch d.Outcome {
	case proactive.Inserted, proactive.Escalated:
		from = members
	case proactive.Updated:
		from = d.New
	}
	inhibited := 0
	for _, m := range from {
		if m.Inhibited {
			inhibited++
		}
	}
	if inhibited == 0 {
		return from
	}
	out := make([]Member, 0, len(from)-inhibited)
	for _, m := range from {
		if !m.Inhibited {
			out = append(out, m)
		}
	}
	return out
}

// Event is the notification event of an outcome: alert, escalation,
// update; "" for a duplicate.
func Event(o proactive.SaveOutcome) string {
	switch o {
	case proactive.Inserted:
		return proactive.EventAlert
	case proactive.Escalated:
		return proactive.EventEscalation
	case proactive.Updated:
		return proactive.EventUpdate
	}
	return ""
}

// AlertResolved reports whether an open alert is to be closed (CONTRACT
// §10.7): it holds cases (not a legacy row) and none is unresolved.
func AlertResolved(a proactive.Alert, unresolved map[string]bool) bool {
	h := HeldBy(a)
	if h.Legacy {
		return false
	}
	for id := range h.CaseIDs {
		if unresolved[id] {
			return false
		}
	}
	return true
}
