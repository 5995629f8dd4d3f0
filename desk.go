package proactive

import (
	"context"
	"time"
)

// Desk is the transactional side of a store: cases, their events,
// silences, group alerts and the outbox, read and written through a
// DeskTx. The rules that decide what to write (CONTRACT §10) live once,
// in package lifecycle; a store only offers these primitives, and package
// storetest holds both stores to them.
type Desk interface {
	// Update runs fn in one write transaction that holds the desk lock:
	// scans and manual actions on cases, alerts and silences, in any number
	// of processes, take turns, so each reads the state the previous one
	// left. fn's error rolls everything back (ErrRollback to do so on
	// purpose, as a dry run does) and is returned.
	Update(ctx context.Context, fn func(tx DeskTx) error) error
	// View runs fn in a read-only transaction (no lock taken).
	View(ctx context.Context, fn func(tx DeskTx) error) error
}

// ErrRollback, returned by an Update function, rolls the transaction back;
// Update then returns nil.
var ErrRollback = Errorf(ECONFLICT, "rolled back on purpose")

// DeskTx reads and writes cases, events, silences, group alerts and the
// outbox inside one transaction. Writes in a View transaction fail. After
// a write fails the transaction may be unusable (PostgreSQL aborts it):
// return the error and let Update roll back.
// Lists come back in the order each method states. Ids of cases, events
// and silences are the caller's: the domain makes uuids (a store may refuse
// others with EINVALID; looked up, they name nothing).
type DeskTx interface {
	// UnresolvedCases returns the unresolved cases with these keys, in any
	// order (a scan looks them up by key; proactive.SortCases orders them).
	UnresolvedCases(ctx context.Context, keys []string) ([]Case, error)
	// SeenCases is UnresolvedCases holding only what a scan decides on
	// when it sees a case (Case.ScanView): a scan reads thousands at a
	// time, and reads again (CasesByID) the few it rewrites whole.
	SeenCases(ctx context.Context, keys []string) ([]Case, error)
	// SeenCasesBetween is SeenCases for keys that all lie between lo and
	// hi, both included, in byte order (KeysBetween; a key outside
	// is EINVALID). The store may read every unresolved case in that
	// range and keep those of keys: a scan whose keys come in order asks
	// for ranges that do not overlap, so that it reads each case once,
	// in index order, instead of probing the index once per key.
	SeenCasesBetween(ctx context.Context, keys []string, lo, hi string) ([]Case, error)
	// CasesByID returns the cases with these ids (unknown ids are left out).
	CasesByID(ctx context.Context, ids []string) ([]Case, error)
	// FindCases returns the cases the query selects, ordered by urgency
	// descending, then opened_at, then key.
	FindCases(ctx context.Context, q CaseQuery) ([]Case, error)
	// UnresolvedCaseIDs returns those of ids whose case exists and is
	// unresolved, in any order.
	UnresolvedCaseIDs(ctx context.Context, ids []string) ([]string, error)
	// CountCases counts the cases by type and state.
	CountCases(ctx context.Context) ([]CaseCount, error)
	// CountUnresolvedCases counts the unresolved cases: what a scan
	// reports as cases.open, without reading the resolved history, which
	// only grows.
	CountUnresolvedCases(ctx context.Context) (int, error)
	// NewestResolvedCaseIDs maps each key that has a resolved case to the
	// id of its newest one (by resolved_at, then opened_at).
	NewestResolvedCaseIDs(ctx context.Context, keys []string) (map[string]string, error)
	// InsertCases inserts new cases. A second unresolved case for a key is
	// ECONFLICT (the store's unique index is the last line of defence).
	InsertCases(ctx context.Context, cs []Case) error
	// UpdateCases writes every column of each case, by id.
	UpdateCases(ctx context.Context, cs []Case) error
	// RefreshCases writes the figures a scan refreshes on a case whose
	// state and severity did not change — last_seen_at, urgency, label,
	// owner, metric and details — of each case, by id, and nothing else.
	// A case given twice is written as its last copy; an unknown id is
	// ENOTFOUND. Details are stored as given: read back, they are the same
	// bytes, so that a scan can tell unchanged details without decoding.
	RefreshCases(ctx context.Context, cs []Case) error
	// TouchCases moves last_seen_at of these cases forward to at (never
	// backwards).
	TouchCases(ctx context.Context, ids []string, at time.Time) error
	// TouchCasesBetween is TouchCases for unresolved cases whose keys lie
	// between lo and hi, both included, in byte order (lo after hi is
	// EINVALID): a case of ids outside the range, or resolved, is left as
	// it is. A scan touches the cases of a batch it read as a key range
	// (SeenCasesBetween), and the store may walk that range of the key
	// index instead of looking up each id.
	TouchCasesBetween(ctx context.Context, ids []string, lo, hi string, at time.Time) error
	// SetInhibitedBy sets inhibited_by of every unresolved case of type t
	// to by ("" for null).
	SetInhibitedBy(ctx context.Context, t AnomalyType, by string) error
	// AddCaseEvents appends events.
	AddCaseEvents(ctx context.Context, evs []CaseEvent) error
	// CaseEvents returns the events of these cases, by case then seq.
	CaseEvents(ctx context.Context, caseIDs []string) ([]CaseEvent, error)

	// FindSilences returns the silences the query selects, by starts_at
	// then id.
	FindSilences(ctx context.Context, q SilenceQuery) ([]Silence, error)
	// InsertSilence stores a new silence.
	InsertSilence(ctx context.Context, s Silence) error
	// SetSilenceEnd sets a silence's ends_at: ENOTFOUND for an unknown id.
	SetSilenceEnd(ctx context.Context, id string, end time.Time) error

	// FindGroupAlert returns the newest ptd-proactive alert whose
	// dedup_key starts with q.Type + "_" and ends with "_" + q.Day and
	// whose created_at lies in (q.After, q.UpTo]; false when none.
	FindGroupAlert(ctx context.Context, q GroupAlertQuery) (Alert, bool, error)
	// InsertAlert stores a new alert row and returns its id.
	InsertAlert(ctx context.Context, a Alert) (string, error)
	// RewriteAlert writes priority, title, summary, content, action_items,
	// affected_entities, source_data, expires_at, is_dismissed and
	// resolved_at of the alert with a.ID, keeping id, dedup_key and
	// created_at. Like every method that takes an alert id, it sees only
	// ptd-proactive rows: EINVALID for a malformed id, ENOTFOUND for an
	// unknown one or another agent's.
	RewriteAlert(ctx context.Context, a Alert) error
	// OpenAlerts returns the ptd-proactive alerts with resolved_at null and
	// expires_at after now (or null), newest first.
	OpenAlerts(ctx context.Context, now time.Time) ([]Alert, error)
	// ResolvedOpenAlerts returns the ids of the open alerts at now (those
	// OpenAlerts returns, in its order) that hold cases — not a legacy row
	// — none of which is unresolved: lifecycle.AlertResolved of each, found
	// without bringing a large alert's case ids to Go. The alerts whose ids
	// are in except are left out.
	ResolvedOpenAlerts(ctx context.Context, now time.Time, except []string) ([]string, error)
	// CloseAlert sets resolved_at = at and expires_at = min(expires_at, at).
	CloseAlert(ctx context.Context, id string, at time.Time) error
	// GetAlert returns one alert: EINVALID for a malformed id, ENOTFOUND
	// for an unknown one. A failed lookup leaves the transaction usable.
	GetAlert(ctx context.Context, id string) (Alert, error)
	// SetAlertDismissed sets is_dismissed: EINVALID for a malformed id,
	// ENOTFOUND for an unknown one.
	SetAlertDismissed(ctx context.Context, id string) error

	// Enqueue adds notifications to the outbox; one whose idempotency key
	// is already queued is left out.
	Enqueue(ctx context.Context, ns []Notification) error
	// PendingManualResolves returns the cases resolved manually after since
	// with no resolve notice yet on channel, by resolved_at.
	PendingManualResolves(ctx context.Context, channel string, since time.Time) ([]Case, error)
	// RecordResolveNotices notes that these cases' resolves were queued on
	// channel.
	RecordResolveNotices(ctx context.Context, channel string, caseIDs []string) error
}

// CaseQuery selects cases. Zero fields select everything.
type CaseQuery struct {
	// Unresolved selects the cases not resolved.
	Unresolved bool
	// States selects these stored states.
	States []CaseState
	// Types selects these types.
	Types []AnomalyType
	// Owner selects this owner, ignoring case.
	Owner string
	// Search selects cases whose key or label contains it, ignoring case.
	Search string
	// Key selects one key.
	Key string
	// IDPrefix selects ids starting with it (lower-case hex).
	IDPrefix string
	// SnoozedUntilAtMost selects snoozed cases due to wake at or before it.
	SnoozedUntilAtMost *time.Time
	// LastSeenAtMost selects cases last seen at or before it.
	LastSeenAtMost *time.Time
	// ResolvedSince selects cases resolved after it.
	ResolvedSince *time.Time
	// Limit caps the result; 0 for none.
	Limit int
}

// CaseCount is the number of cases of one type in one state.
type CaseCount struct {
	Type  AnomalyType
	State CaseState
	Count int
}

// SilenceQuery selects silences.
type SilenceQuery struct {
	// EndsAfter selects silences with ends_at after it; zero for all.
	EndsAfter time.Time
	// IDPrefix selects ids starting with it.
	IDPrefix string
}

// GroupAlertQuery finds the stored alert of a group (CONTRACT §10.6).
type GroupAlertQuery struct {
	Type  AnomalyType
	Day   string // YYYY-MM-DD, UTC
	After time.Time
	UpTo  time.Time
}

// KeysBetween checks DeskTx.SeenCasesBetween's arguments — lo ≤ hi and
// every key between them, both included, in byte order; an error names
// the first key outside — and returns the keys as a set (nil when there
// are none), for a store to keep the cases of.
func KeysBetween(keys []string, lo, hi string) (map[string]struct{}, error) {
	if lo > hi {
		return nil, Errorf(EINVALID, "case keys between %q and %q: the range is empty (lo must not be after hi)", lo, hi)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	set := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		if k < lo || k > hi {
			return nil, Errorf(EINVALID, "case key %q is not between %q and %q: ask SeenCases for keys out of order", k, lo, hi)
		}
		set[k] = struct{}{}
	}
	return set, nil
}
