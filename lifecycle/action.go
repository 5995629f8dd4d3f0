package lifecycle

import (
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Action is a manual change to a case (CONTRACT §10.9).
type Action struct {
	// Kind is one of ActAck, ActSnooze, ActAssign, ActComment, ActResolve.
	Kind string
	// By is the actor (cli, api, or --by / "by").
	By string
	// Note is the note of ack, comment and resolve; the reason of snooze.
	Note string
	// Until is when a snooze ends.
	Until time.Time
	// Owner is the new owner of assign.
	Owner string
}

// The manual actions.
const (
	ActAck     = "ack"
	ActSnooze  = "snooze"
	ActAssign  = "assign"
	ActComment = "comment"
	ActResolve = "resolve"
)

// Apply applies a manual action to a case at now:
//
//   - ack: acknowledged, ack_severity the current severity, a snooze
//     replaced; on an acknowledged case it succeeds and changes nothing;
//   - snooze: snoozed until Until (which must be after now), an
//     acknowledgement replaced;
//   - assign: the owner, kept from then on (the note of the event);
//   - comment: the note;
//   - resolve: resolved (manual).
//
// ack, snooze and resolve of a resolved case are ECONFLICT; assign and
// comment work in any state. Bad input (a snooze that ends at or before
// now, an empty owner or comment) is EINVALID.
func Apply(c proactive.Case, act Action, now time.Time, newID IDs) (Change, error) {
	by := strings.TrimSpace(act.By)
	if by == "" {
		by = proactive.ActorCLI
	}
	note := strings.TrimSpace(act.Note)
	ch := Change{Case: c}
	n := &ch.Case
	refuseResolved := func(verb string) error {
		if c.Resolved() {
			return proactive.Errorf(proactive.ECONFLICT,
				"case %s (%s) is resolved: it cannot be %s; a new case opens if the problem comes back", c.ID, c.Key, verb)
		}
		return nil
	}
	switch act.Kind {
	case ActAck:
		if err := refuseResolved("acknowledged"); err != nil {
			return ch, err
		}
		if c.State == proactive.CaseAcknowledged {
			return ch, nil
		}
		n.State = proactive.CaseAcknowledged
		n.AcknowledgedBy, n.AcknowledgedAt = by, &now
		n.AckSeverity = c.Severity
		n.SnoozedUntil, n.SnoozeReason = nil, ""
		if note != "" {
			n.Note = note
		}
		ch.event(newID, proactive.EventAcknowledged, now, by, note)
	case ActSnooze:
		if err := refuseResolved("snoozed"); err != nil {
			return ch, err
		}
		if !act.Until.After(now) {
			return ch, proactive.Errorf(proactive.EINVALID,
				"snooze until %s: that is not after now (%s): give a later time or a duration with --for",
				act.Until.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		until := act.Until.UTC()
		n.State = proactive.CaseSnoozed
		n.SnoozedUntil, n.SnoozeReason = &until, note
		n.AckSeverity = c.Severity
		n.AcknowledgedBy, n.AcknowledgedAt = "", nil
		ch.event(newID, proactive.EventSnoozed, now, by, note)
	case ActAssign:
		owner := strings.TrimSpace(act.Owner)
		if owner == "" {
			return ch, proactive.Errorf(proactive.EINVALID, "assign: the owner is empty: name the person to assign the case to")
		}
		n.Owner, n.Assigned = owner, true
		ch.event(newID, proactive.EventAssigned, now, by, owner)
	case ActComment:
		if note == "" {
			return ch, proactive.Errorf(proactive.EINVALID, "comment: the note is empty: write what you want to record")
		}
		n.Note = note
		ch.event(newID, proactive.EventCommented, now, by, note)
	case ActResolve:
		if err := refuseResolved("resolved again"); err != nil {
			return ch, err
		}
		resolve(n, now, proactive.ResolveManual)
		if note != "" {
			n.Note = note
		}
		ch.event(newID, proactive.EventResolved, now, by, note)
	default:
		return ch, proactive.Errorf(proactive.EINVALID, "unknown case action %q: use ack, snooze, assign, comment or resolve", act.Kind)
	}
	ch.Write = true
	return ch, nil
}

// Dismissed acknowledges one case an alert holds when the alert is
// dismissed (CONTRACT §10.7): only an unresolved case that is open or
// snoozed changes (snooze cleared, ack_severity the current severity).
func Dismissed(c proactive.Case, by string, now time.Time, newID IDs) Change {
	if c.State != proactive.CaseOpen && c.State != proactive.CaseSnoozed {
		return Change{Case: c}
	}
	ch, _ := Apply(c, Action{Kind: ActAck, By: by, Note: "alert dismissed"}, now, newID)
	return ch
}
