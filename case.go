package proactive

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// CaseState is the stored state of a case (CONTRACT §10.3). Whether a case
// is silenced is derived from the silences, never stored.
type CaseState string

// The states of a case.
const (
	CaseOpen         CaseState = "open"
	CaseAcknowledged CaseState = "acknowledged"
	CaseSnoozed      CaseState = "snoozed"
	CaseResolved     CaseState = "resolved"
)

// CaseStates lists the stored states in their usual order.
func CaseStates() []CaseState {
	return []CaseState{CaseOpen, CaseAcknowledged, CaseSnoozed, CaseResolved}
}

// Unresolved reports whether the state is not resolved.
func (s CaseState) Unresolved() bool { return s != CaseResolved }

// EventKind names a change in a case's history (CONTRACT §10.3).
type EventKind string

// The kinds of case events.
const (
	EventOpened       EventKind = "opened"
	EventEscalated    EventKind = "escalated"
	EventDeescalated  EventKind = "deescalated"
	EventAcknowledged EventKind = "acknowledged"
	EventSnoozed      EventKind = "snoozed"
	EventWoke         EventKind = "woke"
	EventAssigned     EventKind = "assigned"
	EventCommented    EventKind = "commented"
	EventResolved     EventKind = "resolved"
)

// Resolve reasons (ptd_cases.resolve_reason).
const (
	ResolveCleared = "cleared" // the anomaly went away for resolve_after_minutes
	ResolveManual  = "manual"  // a person resolved it
)

// Actors of events that no person caused.
const (
	ActorScan = SourceAgent // a scan
	ActorCLI  = "cli"       // the command line without --by
	ActorAPI  = "api"       // the HTTP API without "by"
)

// Case is one tracked risk about one entity: one row of ptd_cases
// (CONTRACT §10.2). At most one case per key is unresolved.
type Case struct {
	ID    string      `json:"id"`
	Type  AnomalyType `json:"type"`
	Key   string      `json:"key"` // "<type>:<id>", see CaseKey
	Label string      `json:"label"`
	State CaseState   `json:"state"`
	// Severity is the severity of the latest anomaly; PeakSeverity the
	// highest the case has had.
	Severity     Severity   `json:"severity"`
	PeakSeverity Severity   `json:"peak_severity"`
	Urgency      int        `json:"urgency"`
	OpenedAt     time.Time  `json:"opened_at"`
	LastSeenAt   time.Time  `json:"last_seen_at"`
	ResolvedAt   *time.Time `json:"resolved_at"`
	// ResolveReason is ResolveCleared or ResolveManual; "" while unresolved.
	ResolveReason  string     `json:"resolve_reason"`
	Owner          string     `json:"owner"`
	AcknowledgedBy string     `json:"acknowledged_by"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	// AckSeverity is the severity when the case was acknowledged or
	// snoozed: only an escalation above it wakes the case.
	AckSeverity    Severity        `json:"ack_severity"`
	SnoozedUntil   *time.Time      `json:"snoozed_until"`
	SnoozeReason   string          `json:"snooze_reason"`
	InhibitedBy    string          `json:"inhibited_by"`
	Note           string          `json:"note"`
	PreviousCaseID string          `json:"previous_case_id"`
	Details        json.RawMessage `json:"details"`

	// Bookkeeping columns of the product, beyond the contract's.

	// Seq is the seq of the case's newest event (0 before the first).
	Seq int `json:"-"`
	// UpdatedAt is the time of the case's newest event.
	UpdatedAt time.Time `json:"-"`
	// Assigned is set by the first assigned event: the owner is no longer
	// refreshed from the data.
	Assigned bool `json:"-"`
	// WokeAt is the time of the case's latest woke event.
	WokeAt *time.Time `json:"-"`
	// Metric is the figure the latest anomaly was judged on (points
	// dropped, days stalled, failures, hours waiting): the tie-break after
	// urgency on the risk desk.
	Metric float64 `json:"-"`
}

// SortCases puts cases in the desk's order: urgency descending, then
// opened_at, key and id.
func SortCases(cs []Case) {
	slices.SortFunc(cs, func(a, b Case) int {
		if a.Urgency != b.Urgency {
			return b.Urgency - a.Urgency
		}
		if c := a.OpenedAt.Compare(b.OpenedAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// LastCopies keeps the last copy of each case id in cs, in the order of
// first appearance: what a store writes when a batch names a case twice.
func LastCopies(cs []Case) []Case {
	ids := make(map[string]struct{}, len(cs))
	for _, c := range cs {
		ids[c.ID] = struct{}{}
	}
	if len(ids) == len(cs) {
		return cs // no id twice: cs as it is
	}
	at := make(map[string]int, len(ids))
	out := make([]Case, 0, len(ids))
	for _, c := range cs {
		if i, ok := at[c.ID]; ok {
			out[i] = c
			continue
		}
		at[c.ID] = len(out)
		out = append(out, c)
	}
	return out
}

// Resolved reports whether the case is resolved.
func (c Case) Resolved() bool { return c.State == CaseResolved }

// ScanView is c with only the fields a scan decides on when it sees the
// case (DeskTx.SeenCases): those the lifecycle's refresh reads and writes
// (id, type, key, label, state, severity, peak_severity, ack_severity,
// urgency, last_seen_at, owner, assigned, metric, details, seq,
// updated_at), woke_at for its alert, and nothing else. A case read so
// must be read whole before it is rewritten whole (DeskTx.UpdateCases).
func (c Case) ScanView() Case {
	return Case{
		ID: c.ID, Type: c.Type, Key: c.Key, Label: c.Label, State: c.State, Severity: c.Severity,
		PeakSeverity: c.PeakSeverity, AckSeverity: c.AckSeverity, Urgency: c.Urgency, LastSeenAt: c.LastSeenAt,
		Owner: c.Owner, Assigned: c.Assigned, Metric: c.Metric, Details: c.Details, Seq: c.Seq,
		UpdatedAt: c.UpdatedAt, WokeAt: c.WokeAt,
	}
}

// KeyID is the case key without its "<type>:" prefix.
func (c Case) KeyID() string {
	if _, id, ok := strings.Cut(c.Key, ":"); ok {
		return id
	}
	return c.Key
}

// CaseView is a case as listed: the case and whether an active silence
// matches it (CONTRACT §10.11: cases --json adds silenced).
type CaseView struct {
	Case
	Silenced bool `json:"silenced"`
}

// MarshalJSON writes the contract's columns with nulls for absent values
// (empty texts and severities become null), then silenced.
func (v CaseView) MarshalJSON() ([]byte, error) {
	m := v.Case.contractJSON()
	m["silenced"] = v.Silenced
	return json.Marshal(m)
}

// MarshalJSON writes the contract's columns with nulls for absent values.
func (c Case) MarshalJSON() ([]byte, error) { return json.Marshal(c.contractJSON()) }

// CaseColumns lists the columns of ptd_cases as CONTRACT §10.2 orders
// them: the keys of a case's JSON (a CaseView adds "silenced").
func CaseColumns() []string {
	return []string{"id", "type", "key", "label", "state", "severity", "peak_severity", "urgency",
		"opened_at", "last_seen_at", "resolved_at", "resolve_reason", "owner", "acknowledged_by",
		"acknowledged_at", "ack_severity", "snoozed_until", "snooze_reason", "inhibited_by", "note",
		"previous_case_id", "details"}
}

// contractJSON is the case as §10.2's columns.
func (c Case) contractJSON() map[string]any {
	text := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var details any = json.RawMessage(c.Details)
	if len(c.Details) == 0 {
		details = nil
	}
	return map[string]any{
		"id": c.ID, "type": c.Type, "key": c.Key, "label": c.Label, "state": c.State,
		"severity": c.Severity, "peak_severity": c.PeakSeverity, "urgency": c.Urgency,
		"opened_at": c.OpenedAt.UTC(), "last_seen_at": c.LastSeenAt.UTC(), "resolved_at": utcPtr(c.ResolvedAt),
		"resolve_reason": text(c.ResolveReason), "owner": text(c.Owner),
		"acknowledged_by": text(c.AcknowledgedBy), "acknowledged_at": utcPtr(c.AcknowledgedAt),
		"ack_severity": text(string(c.AckSeverity)), "snoozed_until": utcPtr(c.SnoozedUntil),
		"snooze_reason": text(c.SnoozeReason), "inhibited_by": text(c.InhibitedBy), "note": text(c.Note),
		"previous_case_id": text(c.PreviousCaseID), "details": details,
	}
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// CaseEvent is one entry of a case's history: one row of ptd_case_events.
type CaseEvent struct {
	ID     string    `json:"id"`
	CaseID string    `json:"case_id"`
	Seq    int       `json:"seq"` // increasing per case, from 1
	At     time.Time `json:"at"`
	Kind   EventKind `json:"kind"`
	Actor  string    `json:"actor"`
	// Severity is the case's severity after the event.
	Severity Severity `json:"severity"`
	Note     string   `json:"note"`
}

// Silence mutes the cases it matches while active, on [StartsAt, EndsAt):
// their anomalies are not actionable, so they join no alert and notify
// nobody, while the cases and their history are kept (CONTRACT §10.8).
type Silence struct {
	ID        string      `json:"id"`
	Match     string      `json:"match"` // a glob, see Glob
	Type      AnomalyType `json:"type"`  // "" for any
	Owner     string      `json:"owner"` // "" for any
	StartsAt  time.Time   `json:"starts_at"`
	EndsAt    time.Time   `json:"ends_at"`
	CreatedBy string      `json:"created_by"`
	Reason    string      `json:"reason"`
	CreatedAt time.Time   `json:"created_at"`
}

// Active reports whether the silence mutes at t.
func (s *Silence) Active(t time.Time) bool { return !t.Before(s.StartsAt) && t.Before(s.EndsAt) }

// Matches reports whether the silence's matchers select a case of type t
// with this key, label and owner (whether or not it is active): its glob
// matches the full key, the key without its "<type>:" prefix, or the
// label, ignoring case; and its type and owner, where given, are the
// case's (the owner ignoring case).
func (s *Silence) Matches(t AnomalyType, key, label, owner string) bool {
	if s.Type != "" && s.Type != t {
		return false
	}
	if s.Owner != "" && !strings.EqualFold(strings.TrimSpace(s.Owner), strings.TrimSpace(owner)) {
		return false
	}
	return MatchesKeyOrLabel(s.Match, key, label)
}

// MatchesKeyOrLabel reports whether glob matches the full case key, the
// key without "<type>:", or the label (CONTRACT §10.8).
func MatchesKeyOrLabel(glob, key, label string) bool {
	if Glob(glob, key) || Glob(glob, label) {
		return true
	}
	if _, id, ok := strings.Cut(key, ":"); ok && Glob(glob, id) {
		return true
	}
	return false
}

// Glob reports whether pattern matches the whole of s, ignoring case: "*"
// matches any run of characters (none included), "?" one character, and
// everything else itself.
func Glob(pattern, s string) bool {
	p, t := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	// Iterative matching with one backtrack point (the last star).
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
