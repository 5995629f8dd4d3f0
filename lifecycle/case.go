// Package lifecycle decides, once and in plain Go, every change to the
// risk desk (CONTRACT §10): how an anomaly opens, refreshes, escalates or
// wakes its case, when a case resolves, what a manual action does, which
// silence mutes a case, and what becomes of a group's stored alert
// (inserted, escalated, updated or duplicate) and of its notifications.
//
// Like packages rules and insight it is pure: the current state and the
// scan's now in, the new state and the events to record out. Stores only
// keep what it decides (proactive.DeskTx); the scan and the CLI/HTTP
// actions call it inside one desk transaction.
package lifecycle

import (
	"bytes"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Change is what a decision does to one case.
type Change struct {
	// Case is the case after the change.
	Case proactive.Case
	// Events are the events to record, in order, with their seq set.
	Events []proactive.CaseEvent
	// Insert says the case is new; Write that a stored case changed in
	// state, severity or any column beyond the scan's figures; Refresh that
	// only the figures a scan refreshes changed (last_seen_at, urgency,
	// label, owner, metric, details: proactive.DeskTx.RefreshCases); Touch
	// that only last_seen_at moves. None of them: nothing to write.
	Insert, Write, Refresh, Touch bool
}

// Changed reports whether the change writes anything.
func (c Change) Changed() bool { return c.Insert || c.Write || c.Refresh || c.Touch }

// IDs makes new ids (uuids); injected so that decisions stay pure.
type IDs func() string

// Observation is one anomaly as its case sees it.
type Observation struct {
	Anomaly *proactive.Anomaly
	// Owner is the entity's owner in the data (CONTRACT §11.6); "" for none.
	Owner string
	// Details is the anomaly's details as JSON.
	Details []byte
}

// frozen reports whether a scan at now must leave c unchanged: its
// last_seen_at or its newest event is later than now (a scan run with an
// earlier --now than the last one).
func frozen(c *proactive.Case, now time.Time) bool {
	return c.LastSeenAt.After(now) || c.UpdatedAt.After(now)
}

// event appends an event of kind to ch, numbered after the case's last.
func (ch *Change) event(newID IDs, kind proactive.EventKind, at time.Time, actor, note string) {
	ch.Case.Seq++
	ch.Case.UpdatedAt = at
	ch.Events = append(ch.Events, proactive.CaseEvent{
		ID: newID(), CaseID: ch.Case.ID, Seq: ch.Case.Seq, At: at, Kind: kind,
		Actor: actor, Severity: ch.Case.Severity, Note: note,
	})
}

// Open is a new case for an anomaly whose key has no unresolved case
// (CONTRACT §10.4 step 2): open, at the anomaly's severity, previous_case_id
// the key's newest resolved case, one opened event.
func Open(o Observation, previousID string, now time.Time, newID IDs) Change {
	a := o.Anomaly
	ch := Change{Insert: true, Case: proactive.Case{
		ID:             newID(),
		Type:           a.Type,
		Key:            a.CaseKey(),
		Label:          a.Entity,
		State:          proactive.CaseOpen,
		Severity:       a.Severity,
		PeakSeverity:   a.Severity,
		Urgency:        a.UrgencyScore,
		OpenedAt:       now,
		LastSeenAt:     now,
		Owner:          o.Owner,
		PreviousCaseID: previousID,
		Details:        append([]byte(nil), o.Details...),
		Metric:         a.Metric,
	}}
	ch.event(newID, proactive.EventOpened, now, proactive.ActorScan, "")
	return ch
}

// Refresh applies an anomaly to its unresolved case (CONTRACT §10.4 step
// 2): last_seen_at, urgency, details, label and — until someone assigned
// it — owner are refreshed; a higher severity records escalated and, when
// the case is acknowledged or snoozed at a lower ack_severity, woke (ack
// and snooze cleared, open again); a lower one records deescalated;
// peak_severity keeps the highest. A case a later scan already saw is left
// unchanged.
func Refresh(c proactive.Case, o Observation, now time.Time, newID IDs) Change {
	if frozen(&c, now) {
		return Change{Case: c}
	}
	a := o.Anomaly
	ch := Change{Case: c}
	n := &ch.Case
	n.LastSeenAt = now
	n.Urgency = a.UrgencyScore
	n.Label = a.Entity
	n.Metric = a.Metric
	if !bytes.Equal(n.Details, o.Details) {
		n.Details = append([]byte(nil), o.Details...)
	}
	if !n.Assigned {
		n.Owner = o.Owner
	}
	switch {
	case a.Severity.Rank() > c.Severity.Rank():
		n.Severity = a.Severity
		ch.event(newID, proactive.EventEscalated, now, proactive.ActorScan, "")
		if (c.State == proactive.CaseAcknowledged || c.State == proactive.CaseSnoozed) && a.Severity.Rank() > c.AckSeverity.Rank() {
			wake(n)
			n.WokeAt = &now
			ch.event(newID, proactive.EventWoke, now, proactive.ActorScan, "")
		}
	case a.Severity.Rank() < c.Severity.Rank():
		n.Severity = a.Severity
		ch.event(newID, proactive.EventDeescalated, now, proactive.ActorScan, "")
	}
	if n.Severity.Rank() > n.PeakSeverity.Rank() {
		n.PeakSeverity = n.Severity
	}
	ch.Write = len(ch.Events) > 0 || n.PeakSeverity != c.PeakSeverity
	ch.Refresh = !ch.Write && (n.Urgency != c.Urgency || n.Label != c.Label || n.Owner != c.Owner ||
		n.Metric != c.Metric || !bytes.Equal(n.Details, c.Details))
	ch.Touch = !ch.Write && !ch.Refresh
	return ch
}

// Seen is a case seen without an anomaly (the health recovery margin,
// CONTRACT §10.4 step 3): only last_seen_at moves, never backwards.
func Seen(c proactive.Case, now time.Time) Change {
	if frozen(&c, now) || c.Resolved() {
		return Change{Case: c}
	}
	c.LastSeenAt = now
	return Change{Case: c, Touch: true}
}

// wake clears acknowledgement and snooze and opens the case.
func wake(c *proactive.Case) {
	c.State = proactive.CaseOpen
	c.AcknowledgedBy, c.AcknowledgedAt = "", nil
	c.AckSeverity = ""
	c.SnoozedUntil, c.SnoozeReason = nil, ""
}

// WakeDue wakes a snoozed case whose snoozed_until is at or before now
// (CONTRACT §10.4 step 1): woke, snooze fields cleared, open. Any other
// case is left unchanged.
func WakeDue(c proactive.Case, now time.Time, newID IDs) Change {
	if c.State != proactive.CaseSnoozed || c.SnoozedUntil == nil || c.SnoozedUntil.After(now) || c.UpdatedAt.After(now) {
		return Change{Case: c}
	}
	ch := Change{Case: c, Write: true}
	wake(&ch.Case)
	ch.Case.WokeAt = &now
	ch.event(newID, proactive.EventWoke, now, proactive.ActorScan, "")
	return ch
}

// ResolveUnseen resolves an unresolved case its check did not see in a
// scan that ran it without error, once now − last_seen_at reaches
// resolveAfter (CONTRACT §10.4 step 3): resolved (cleared) at now, one
// resolved event whatever its state. Any other case is left unchanged.
func ResolveUnseen(c proactive.Case, now time.Time, resolveAfter time.Duration, newID IDs) Change {
	if c.Resolved() || frozen(&c, now) || now.Sub(c.LastSeenAt) < resolveAfter {
		return Change{Case: c}
	}
	ch := Change{Case: c, Write: true}
	resolve(&ch.Case, now, proactive.ResolveCleared)
	ch.event(newID, proactive.EventResolved, now, proactive.ActorScan, "")
	return ch
}

// resolve marks c resolved at now for reason.
func resolve(c *proactive.Case, now time.Time, reason string) {
	c.State = proactive.CaseResolved
	c.ResolvedAt = &now
	c.ResolveReason = reason
	c.SnoozedUntil = nil
}

// SetInhibitor returns c with inhibited_by set (no event: it is recomputed
// each scan, CONTRACT §11.8).
func SetInhibitor(c proactive.Case, by string) (proactive.Case, bool) {
	if c.InhibitedBy == by {
		return c, false
	}
	c.InhibitedBy = by
	return c, true
}
