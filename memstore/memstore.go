// Package memstore keeps the risk desk (cases, events, silences, group
// alerts and the outbox) in memory. It is the reference implementation of
// proactive.Desk: package storetest holds it to the same suite as the
// SQLite and PostgreSQL stores, and the backtest (CONTRACT §12) replays
// the lifecycle on it without touching a database.
//
// Update transactions work on a copy of the state that replaces it on
// success, so a failed or rolled back transaction leaves nothing; a mutex
// makes them take turns, as the stores' desk lock does.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// Desk is an in-memory proactive.Desk. The zero value is not usable: call New.
type Desk struct {
	mu    sync.Mutex
	state *state
	// ids makes alert ids.
	ids func() string
}

// state is everything the desk holds.
type state struct {
	cases     map[string]proactive.Case // by id
	events    map[string][]proactive.CaseEvent
	silences  map[string]proactive.Silence
	alerts    map[string]proactive.Alert
	outbox    map[string]proactive.Notification // by idempotency key
	outboxSeq []string                          // idempotency keys in order
	notices   map[string]bool                   // channel + "\x00" + case id
}

// New returns an empty desk; ids makes the ids of new alerts and
// notifications.
func New(ids func() string) *Desk {
	return &Desk{state: newState(), ids: ids}
}

func newState() *state {
	return &state{
		cases: map[string]proactive.Case{}, events: map[string][]proactive.CaseEvent{},
		silences: map[string]proactive.Silence{}, alerts: map[string]proactive.Alert{},
		outbox: map[string]proactive.Notification{}, notices: map[string]bool{},
	}
}

// clone copies the state; slices of events are copied on write.
func (s *state) clone() *state {
	n := newState()
	for k, v := range s.cases {
		n.cases[k] = v
	}
	for k, v := range s.events {
		n.events[k] = v[:len(v):len(v)]
	}
	for k, v := range s.silences {
		n.silences[k] = v
	}
	for k, v := range s.alerts {
		n.alerts[k] = v
	}
	for k, v := range s.outbox {
		n.outbox[k] = v
	}
	n.outboxSeq = slices.Clone(s.outboxSeq)
	for k, v := range s.notices {
		n.notices[k] = v
	}
	return n
}

var _ proactive.Desk = (*Desk)(nil)

// Update runs fn on a copy of the state and keeps the copy when fn
// succeeds.
func (d *Desk) Update(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := &Tx{s: d.state.clone(), write: true, ids: d.ids}
	if err := fn(tx); err != nil {
		if errors.Is(err, proactive.ErrRollback) {
			return nil
		}
		return err
	}
	d.state = tx.s
	return nil
}

// View runs fn on the current state, read-only.
func (d *Desk) View(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(&Tx{s: d.state, ids: d.ids})
}

// Outbox returns the queued notifications in order (for tests and the
// backtest).
func (d *Desk) Outbox() []proactive.Notification {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]proactive.Notification, 0, len(d.state.outboxSeq))
	for _, k := range d.state.outboxSeq {
		out = append(out, d.state.outbox[k])
	}
	return out
}

// AllCases returns every case, by opened_at then key (for the backtest).
func (d *Desk) AllCases() []proactive.Case {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]proactive.Case, 0, len(d.state.cases))
	for _, c := range d.state.cases {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b proactive.Case) int {
		if c := a.OpenedAt.Compare(b.OpenedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Tx is one transaction on the desk.
type Tx struct {
	s     *state
	write bool
	ids   func() string
}

var _ proactive.DeskTx = (*Tx)(nil)

func (t *Tx) mustWrite(op string) error {
	if !t.write {
		return proactive.Errorf(proactive.EINTERNAL, "%s in a read-only transaction", op)
	}
	return nil
}

// UnresolvedCases implements proactive.DeskTx.
func (t *Tx) UnresolvedCases(_ context.Context, keys []string) ([]proactive.Case, error) {
	want := set(keys)
	var out []proactive.Case
	for _, c := range t.s.cases {
		if want[c.Key] && !c.Resolved() {
			out = append(out, c)
		}
	}
	proactive.SortCases(out)
	return out, nil
}

// SeenCases implements proactive.DeskTx: UnresolvedCases' cases as
// Case.ScanView, so that a scan that used a field it did not read fails
// its tests here too.
func (t *Tx) SeenCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	cs, err := t.UnresolvedCases(ctx, keys)
	for i := range cs {
		cs[i] = cs[i].ScanView()
	}
	return cs, err
}

// SeenCasesBetween implements proactive.DeskTx: SeenCases after the
// check of the range.
func (t *Tx) SeenCasesBetween(ctx context.Context, keys []string, lo, hi string) ([]proactive.Case, error) {
	if _, err := proactive.KeysBetween(keys, lo, hi); err != nil {
		return nil, fmt.Errorf("read unresolved cases: %w", err)
	}
	return t.SeenCases(ctx, keys)
}

// CasesByID implements proactive.DeskTx.
func (t *Tx) CasesByID(_ context.Context, ids []string) ([]proactive.Case, error) {
	var out []proactive.Case
	for _, id := range ids {
		if c, ok := t.s.cases[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// FindCases implements proactive.DeskTx.
func (t *Tx) FindCases(_ context.Context, q proactive.CaseQuery) ([]proactive.Case, error) {
	var out []proactive.Case
	for _, c := range t.s.cases {
		if caseSelected(&c, q) {
			out = append(out, c)
		}
	}
	proactive.SortCases(out)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// caseSelected applies a CaseQuery to one case.
func caseSelected(c *proactive.Case, q proactive.CaseQuery) bool {
	switch {
	case q.Unresolved && c.Resolved():
		return false
	case len(q.States) > 0 && !slices.Contains(q.States, c.State):
		return false
	case len(q.Types) > 0 && !slices.Contains(q.Types, c.Type):
		return false
	case q.Owner != "" && !strings.EqualFold(q.Owner, c.Owner):
		return false
	case q.Search != "" && !strings.Contains(strings.ToLower(c.Key), strings.ToLower(q.Search)) &&
		!strings.Contains(strings.ToLower(c.Label), strings.ToLower(q.Search)):
		return false
	case q.Key != "" && c.Key != q.Key:
		return false
	case q.IDPrefix != "" && !strings.HasPrefix(c.ID, strings.ToLower(q.IDPrefix)):
		return false
	case q.SnoozedUntilAtMost != nil && (c.State != proactive.CaseSnoozed || c.SnoozedUntil == nil || c.SnoozedUntil.After(*q.SnoozedUntilAtMost)):
		return false
	case q.LastSeenAtMost != nil && c.LastSeenAt.After(*q.LastSeenAtMost):
		return false
	case q.ResolvedSince != nil && (c.ResolvedAt == nil || !c.ResolvedAt.After(*q.ResolvedSince)):
		return false
	}
	return true
}

// UnresolvedCaseIDs implements proactive.DeskTx.
func (t *Tx) UnresolvedCaseIDs(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if c, ok := t.s.cases[id]; ok && !c.Resolved() {
			out = append(out, id)
		}
	}
	return out, nil
}

// CountUnresolvedCases implements proactive.DeskTx.
func (t *Tx) CountUnresolvedCases(_ context.Context) (int, error) {
	n := 0
	for _, c := range t.s.cases {
		if !c.Resolved() {
			n++
		}
	}
	return n, nil
}

// CountCases implements proactive.DeskTx.
func (t *Tx) CountCases(_ context.Context) ([]proactive.CaseCount, error) {
	n := map[[2]string]int{}
	for _, c := range t.s.cases {
		n[[2]string{string(c.Type), string(c.State)}]++
	}
	out := make([]proactive.CaseCount, 0, len(n))
	for k, v := range n {
		out = append(out, proactive.CaseCount{Type: proactive.AnomalyType(k[0]), State: proactive.CaseState(k[1]), Count: v})
	}
	slices.SortFunc(out, func(a, b proactive.CaseCount) int {
		if c := strings.Compare(string(a.Type), string(b.Type)); c != 0 {
			return c
		}
		return strings.Compare(string(a.State), string(b.State))
	})
	return out, nil
}

// NewestResolvedCaseIDs implements proactive.DeskTx.
func (t *Tx) NewestResolvedCaseIDs(_ context.Context, keys []string) (map[string]string, error) {
	want := set(keys)
	best := map[string]proactive.Case{}
	for _, c := range t.s.cases {
		if !want[c.Key] || !c.Resolved() {
			continue
		}
		b, ok := best[c.Key]
		if !ok || newer(c, b) {
			best[c.Key] = c
		}
	}
	out := make(map[string]string, len(best))
	for k, c := range best {
		out[k] = c.ID
	}
	return out, nil
}

// newer reports whether resolved case a is newer than b (resolved_at, then
// opened_at).
func newer(a, b proactive.Case) bool {
	if c := a.ResolvedAt.Compare(*b.ResolvedAt); c != 0 {
		return c > 0
	}
	return a.OpenedAt.After(b.OpenedAt)
}

// InsertCases implements proactive.DeskTx.
func (t *Tx) InsertCases(_ context.Context, cs []proactive.Case) error {
	if err := t.mustWrite("insert cases"); err != nil {
		return err
	}
	// The unresolved case of each key, gathered once (not once per case:
	// a backtest inserts thousands of cases into a desk of thousands).
	var open map[string]string
	for _, c := range cs {
		if _, dup := t.s.cases[c.ID]; dup {
			return proactive.Errorf(proactive.ECONFLICT, "insert case %s: the id exists", c.ID)
		}
		if !c.Resolved() {
			if open == nil {
				open = map[string]string{}
				for _, o := range t.s.cases {
					if !o.Resolved() {
						open[o.Key] = o.ID
					}
				}
			}
			if id, ok := open[c.Key]; ok {
				return proactive.Errorf(proactive.ECONFLICT, "insert case %s: key %s already has an unresolved case (%s)", c.ID, c.Key, id)
			}
			open[c.Key] = c.ID
		}
		t.s.cases[c.ID] = normCase(c)
	}
	return nil
}

// UpdateCases implements proactive.DeskTx.
func (t *Tx) UpdateCases(_ context.Context, cs []proactive.Case) error {
	if err := t.mustWrite("update cases"); err != nil {
		return err
	}
	for _, c := range cs {
		if _, ok := t.s.cases[c.ID]; !ok {
			return proactive.Errorf(proactive.ENOTFOUND, "update case %s: not found", c.ID)
		}
		t.s.cases[c.ID] = normCase(c)
	}
	return nil
}

// RefreshCases implements proactive.DeskTx.
func (t *Tx) RefreshCases(_ context.Context, cs []proactive.Case) error {
	if err := t.mustWrite("refresh cases"); err != nil {
		return err
	}
	for _, c := range cs {
		cur, ok := t.s.cases[c.ID]
		if !ok {
			return proactive.Errorf(proactive.ENOTFOUND, "refresh case %s: not found", c.ID)
		}
		cur.LastSeenAt, cur.Urgency, cur.Label, cur.Owner, cur.Metric, cur.Details = c.LastSeenAt, c.Urgency, c.Label, c.Owner, c.Metric, c.Details
		t.s.cases[c.ID] = normCase(cur)
	}
	return nil
}

// normCase stores times in UTC, as the databases return them.
func normCase(c proactive.Case) proactive.Case {
	c.OpenedAt, c.LastSeenAt, c.UpdatedAt = c.OpenedAt.UTC(), c.LastSeenAt.UTC(), c.UpdatedAt.UTC()
	for _, p := range []**time.Time{&c.ResolvedAt, &c.AcknowledgedAt, &c.SnoozedUntil, &c.WokeAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	c.Details = slices.Clone(c.Details)
	return c
}

// TouchCases implements proactive.DeskTx.
func (t *Tx) TouchCases(_ context.Context, ids []string, at time.Time) error {
	if err := t.mustWrite("touch cases"); err != nil {
		return err
	}
	for _, id := range ids {
		if c, ok := t.s.cases[id]; ok && at.After(c.LastSeenAt) {
			c.LastSeenAt = at.UTC()
			t.s.cases[id] = c
		}
	}
	return nil
}

// TouchCasesBetween implements proactive.DeskTx.
func (t *Tx) TouchCasesBetween(ctx context.Context, ids []string, lo, hi string, at time.Time) error {
	if _, err := proactive.KeysBetween(nil, lo, hi); err != nil {
		return fmt.Errorf("touch cases: %w", err)
	}
	in := slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
		c, ok := t.s.cases[id]
		return !ok || c.Resolved() || c.Key < lo || c.Key > hi
	})
	return t.TouchCases(ctx, in, at)
}

// SetInhibitedBy implements proactive.DeskTx.
func (t *Tx) SetInhibitedBy(_ context.Context, typ proactive.AnomalyType, by string) error {
	if err := t.mustWrite("set inhibited_by"); err != nil {
		return err
	}
	for id, c := range t.s.cases {
		if c.Type == typ && !c.Resolved() {
			c.InhibitedBy = by
			t.s.cases[id] = c
		}
	}
	return nil
}

// AddCaseEvents implements proactive.DeskTx.
func (t *Tx) AddCaseEvents(_ context.Context, evs []proactive.CaseEvent) error {
	if err := t.mustWrite("add case events"); err != nil {
		return err
	}
	for _, e := range evs {
		e.At = e.At.UTC()
		t.s.events[e.CaseID] = append(t.s.events[e.CaseID], e)
	}
	return nil
}

// CaseEvents implements proactive.DeskTx.
func (t *Tx) CaseEvents(_ context.Context, caseIDs []string) ([]proactive.CaseEvent, error) {
	var out []proactive.CaseEvent
	for _, id := range caseIDs {
		evs := slices.Clone(t.s.events[id])
		slices.SortStableFunc(evs, func(a, b proactive.CaseEvent) int { return a.Seq - b.Seq })
		out = append(out, evs...)
	}
	return out, nil
}

// FindSilences implements proactive.DeskTx.
func (t *Tx) FindSilences(_ context.Context, q proactive.SilenceQuery) ([]proactive.Silence, error) {
	var out []proactive.Silence
	for _, s := range t.s.silences {
		if !q.EndsAfter.IsZero() && !s.EndsAt.After(q.EndsAfter) {
			continue
		}
		if q.IDPrefix != "" && !strings.HasPrefix(s.ID, strings.ToLower(q.IDPrefix)) {
			continue
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b proactive.Silence) int {
		if c := a.StartsAt.Compare(b.StartsAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// InsertSilence implements proactive.DeskTx.
func (t *Tx) InsertSilence(_ context.Context, s proactive.Silence) error {
	if err := t.mustWrite("insert silence"); err != nil {
		return err
	}
	if _, dup := t.s.silences[s.ID]; dup {
		return proactive.Errorf(proactive.ECONFLICT, "insert silence %s: the id exists", s.ID)
	}
	s.StartsAt, s.EndsAt, s.CreatedAt = s.StartsAt.UTC(), s.EndsAt.UTC(), s.CreatedAt.UTC()
	t.s.silences[s.ID] = s
	return nil
}

// SetSilenceEnd implements proactive.DeskTx.
func (t *Tx) SetSilenceEnd(_ context.Context, id string, end time.Time) error {
	if err := t.mustWrite("expire silence"); err != nil {
		return err
	}
	s, ok := t.s.silences[id]
	if !ok {
		return proactive.Errorf(proactive.ENOTFOUND, "silence %s not found", id)
	}
	s.EndsAt = end.UTC()
	t.s.silences[id] = s
	return nil
}

// FindGroupAlert implements proactive.DeskTx.
func (t *Tx) FindGroupAlert(_ context.Context, q proactive.GroupAlertQuery) (proactive.Alert, bool, error) {
	var best proactive.Alert
	found := false
	for _, a := range t.s.alerts {
		if a.SourceAgent != proactive.SourceAgent || !strings.HasPrefix(a.DedupKey, string(q.Type)+"_") ||
			!strings.HasSuffix(a.DedupKey, "_"+q.Day) || !a.CreatedAt.After(q.After) || a.CreatedAt.After(q.UpTo) {
			continue
		}
		if !found || a.CreatedAt.After(best.CreatedAt) || a.CreatedAt.Equal(best.CreatedAt) && a.ID > best.ID {
			best, found = a, true
		}
	}
	return best, found, nil
}

// InsertAlert implements proactive.DeskTx.
func (t *Tx) InsertAlert(_ context.Context, a proactive.Alert) (string, error) {
	if err := t.mustWrite("insert alert"); err != nil {
		return "", err
	}
	a.ID = t.ids()
	a.CreatedAt = a.CreatedAt.UTC()
	if a.InsightType == "" {
		a.InsightType = proactive.InsightType
	}
	if a.SourceAgent == "" {
		a.SourceAgent = proactive.SourceAgent
	}
	t.s.alerts[a.ID] = a
	return a.ID, nil
}

// RewriteAlert implements proactive.DeskTx.
func (t *Tx) RewriteAlert(_ context.Context, a proactive.Alert) error {
	if err := t.mustWrite("rewrite alert"); err != nil {
		return err
	}
	old, ok := t.ownAlert(a.ID)
	if !ok {
		return proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", a.ID)
	}
	old.Priority, old.Title, old.Summary, old.Content = a.Priority, a.Title, a.Summary, a.Content
	old.ActionItems, old.AffectedEntities, old.SourceData = a.ActionItems, a.AffectedEntities, a.SourceData
	old.ExpiresAt, old.IsDismissed, old.ResolvedAt = a.ExpiresAt, a.IsDismissed, a.ResolvedAt
	t.s.alerts[a.ID] = old
	return nil
}

// OpenAlerts implements proactive.DeskTx.
func (t *Tx) OpenAlerts(_ context.Context, now time.Time) ([]proactive.Alert, error) {
	var out []proactive.Alert
	for _, a := range t.s.alerts {
		if a.SourceAgent == proactive.SourceAgent && a.ResolvedAt == nil && (a.ExpiresAt == nil || a.ExpiresAt.After(now)) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b proactive.Alert) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

// ResolvedOpenAlerts implements proactive.DeskTx.
func (t *Tx) ResolvedOpenAlerts(ctx context.Context, now time.Time, except []string) ([]string, error) {
	open, err := t.OpenAlerts(ctx, now)
	if err != nil {
		return nil, err
	}
	unresolved := func(id string) bool { c, ok := t.s.cases[id]; return ok && !c.Resolved() }
	var out []string
	for _, a := range open {
		held := lifecycle.CaseIDsOf(a) // nil for a legacy row, which holds no case
		if held != nil && !slices.Contains(except, a.ID) && !slices.ContainsFunc(held, unresolved) {
			out = append(out, a.ID)
		}
	}
	return out, nil
}

// CloseAlert implements proactive.DeskTx.
func (t *Tx) CloseAlert(_ context.Context, id string, at time.Time) error {
	if err := t.mustWrite("close alert"); err != nil {
		return err
	}
	a, ok := t.ownAlert(id)
	if !ok {
		return proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
	}
	at = at.UTC()
	a.ResolvedAt = &at
	if a.ExpiresAt == nil || a.ExpiresAt.After(at) {
		a.ExpiresAt = &at
	}
	t.s.alerts[id] = a
	return nil
}

// GetAlert implements proactive.DeskTx.
func (t *Tx) GetAlert(_ context.Context, id string) (proactive.Alert, error) {
	if strings.TrimSpace(id) == "" {
		return proactive.Alert{}, proactive.Errorf(proactive.EINVALID, "get alert: the alert id is empty")
	}
	a, ok := t.ownAlert(id)
	if !ok {
		return proactive.Alert{}, proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
	}
	return a, nil
}

// ownAlert returns the ptd-proactive alert with this id: the desk reads
// and writes no other agent's row by id, as the stores' do not.
func (t *Tx) ownAlert(id string) (proactive.Alert, bool) {
	a, ok := t.s.alerts[id]
	return a, ok && a.SourceAgent == proactive.SourceAgent
}

// SetAlertDismissed implements proactive.DeskTx.
func (t *Tx) SetAlertDismissed(ctx context.Context, id string) error {
	if err := t.mustWrite("dismiss alert"); err != nil {
		return err
	}
	a, err := t.GetAlert(ctx, id)
	if err != nil {
		return err
	}
	a.IsDismissed = true
	t.s.alerts[id] = a
	return nil
}

// Enqueue implements proactive.DeskTx.
func (t *Tx) Enqueue(_ context.Context, ns []proactive.Notification) error {
	if err := t.mustWrite("enqueue"); err != nil {
		return err
	}
	for _, n := range ns {
		if _, dup := t.s.outbox[n.IdempotencyKey]; dup {
			continue
		}
		if n.ID == "" {
			n.ID = t.ids()
		}
		if n.Status == "" {
			n.Status = proactive.NotificationPending
		}
		t.s.outbox[n.IdempotencyKey] = n
		t.s.outboxSeq = append(t.s.outboxSeq, n.IdempotencyKey)
	}
	return nil
}

// PendingManualResolves implements proactive.DeskTx.
func (t *Tx) PendingManualResolves(_ context.Context, channel string, since time.Time) ([]proactive.Case, error) {
	var out []proactive.Case
	for _, c := range t.s.cases {
		if c.Resolved() && c.ResolveReason == proactive.ResolveManual && c.ResolvedAt.After(since) && !t.s.notices[channel+"\x00"+c.ID] {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b proactive.Case) int {
		if c := a.ResolvedAt.Compare(*b.ResolvedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RecordResolveNotices implements proactive.DeskTx.
func (t *Tx) RecordResolveNotices(_ context.Context, channel string, caseIDs []string) error {
	if err := t.mustWrite("record resolve notices"); err != nil {
		return err
	}
	for _, id := range caseIDs {
		t.s.notices[channel+"\x00"+id] = true
	}
	return nil
}

func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}
