package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/insight"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// silenceMemory is how far back a scan reads ended silences: far enough to
// tell which members' silences ended since their alert was written and
// which manual resolves were silenced when they resolved.
const silenceMemory = 8 * 24 * time.Hour

// manualResolveMemory is how far back manual resolves not yet notified are
// picked up.
const manualResolveMemory = 7 * 24 * time.Hour

// pass is one scan inside its desk transaction.
type pass struct {
	s       *Scanner
	tx      proactive.DeskTx
	log     *slog.Logger
	now     time.Time
	wall    time.Time // the real time at the start (CheckEnv.Wall)
	scanID  string
	params  Params
	th      proactive.Thresholds
	newID   lifecycle.IDs
	analyst *insight.Analyst

	silences lifecycle.Silences
	groups   map[proactive.AnomalyType]*group
	// seen remembers, per type and by a 64-bit hash of the case key, each
	// case the scan saw and how its anomalies count: 8 bytes of entry per
	// case, so that a scan's memory stays far below its anomalies'. A
	// type's set lives while its check runs (only that check reports and
	// resolves cases of its type) and is dropped after it. Two keys of a
	// type with one hash — about 3·10⁻¹⁰ for 100,000 keys, and the seed is
	// random per scan, so a collision does not repeat — would make the
	// second key count as seen: its anomaly counts with the first's case
	// and opens or refreshes nothing this scan, and, were it not reported,
	// its case would not be resolved this scan. The next scan, with
	// another seed, does either; nothing is lost, at most one scan late.
	seen      map[proactive.AnomalyType]map[uint64]seenCase
	seed      maphash.Seed
	failed    map[proactive.AnomalyType]string
	observers map[proactive.AnomalyType][]proactive.Detector
	counts    map[proactive.AnomalyType]map[proactive.Severity]int
	resolved  []proactive.Case // resolved by this scan

	// source is what the checks read (the replica when it is read);
	// primary what a check falls back to when the replica fails it.
	source, primary any
	onReplica       bool
	// prefetch holds the checks reading their sources ahead of the desk.
	prefetch *prefetcher
}

// group is one type's actionable anomalies.
type group struct {
	check   proactive.Check
	reducer *insight.Reducer
	members memberSet
}

// seenCase is what the scan remembers of a case it saw: where its later
// anomalies of the same key go (a key's first anomaly in a scan is its
// case's: checks report the most urgent first; the others still count and
// group), and whether the case is the scan's (not to be resolved).
type seenCase struct {
	bucket bucket
	member int32 // index in the group's members when actionable, else -1
}

// bucket is where an anomaly counts (CONTRACT §10.5).
type bucket uint8

const (
	actionable bucket = iota
	silenced
	snoozed
	acknowledged
	inert // a resolved or frozen case (neither actionable nor suppressed)
)

func newPass(s *Scanner, tx proactive.DeskTx, log *slog.Logger, now, wall time.Time, scanID string, p Params) *pass {
	return &pass{
		s: s, tx: tx, log: log, now: now, wall: wall, scanID: scanID, params: p,
		th:        s.opts.Settings.Thresholds,
		newID:     lifecycle.IDs(s.opts.NewID),
		analyst:   insight.NewAnalyst(s.opts.Registry, s.opts.Settings),
		groups:    map[proactive.AnomalyType]*group{},
		seen:      map[proactive.AnomalyType]map[uint64]seenCase{},
		seed:      maphash.MakeSeed(),
		failed:    map[proactive.AnomalyType]string{},
		observers: map[proactive.AnomalyType][]proactive.Detector{},
		counts:    map[proactive.AnomalyType]map[proactive.Severity]int{},
	}
}

// run performs the scan's steps in CONTRACT §10.4's order and fills res.
func (p *pass) run(ctx context.Context, res *proactive.ScanResult) error {
	var err error
	ss, err := p.tx.FindSilences(ctx, proactive.SilenceQuery{EndsAfter: p.now.Add(-silenceMemory)})
	if err != nil {
		return fmt.Errorf("read silences: %w", err)
	}
	p.silences = ss

	// Step 1: wake the snoozes that are due, whatever their check.
	if !p.params.WithoutCases {
		if err := p.wakeDue(ctx, res); err != nil {
			return err
		}
	}

	// Steps 2–4, check by check, inputs first.
	src, readFrom, warning := p.s.pickSource(ctx, p.log)
	p.source, p.primary, p.onReplica = src, p.s.opts.Source, readFrom == ReadFromReplica
	if ci, ok := src.(proactive.ColumnInspector); ok && p.onReplica && len(p.s.opts.Settings.Columns.Configured()) > 0 {
		// The replica's readers cache the columns of their own: look again,
		// as for the primary (Scanner.warnMissingColumns); a failure is the
		// checks' to meet.
		_, _ = ci.MissingColumns(ctx, p.s.opts.Settings.Columns)
	}
	res.ReadFrom = readFrom
	if warning != "" {
		res.Warnings = append(res.Warnings, warning)
	}
	env := proactive.CheckEnv{Now: p.now, Wall: p.wall, Settings: p.s.opts.Settings, Cases: p.unresolvedCases, Scope: &proactive.ScanScope{}, Enabled: p.s.enabled}
	detectors := map[proactive.AnomalyType]proactive.Detector{}
	for _, c := range p.s.order {
		d := c.New(env)
		detectors[c.Type] = d
		for _, in := range c.Inputs {
			p.observers[in] = append(p.observers[in], d)
		}
	}
	p.prefetch = startPrefetch(ctx, p.s.order, detectors, p.source, p.s.opts.BatchSize, !p.params.WithoutCases)
	defer p.prefetch.stop()
	total := 0
	runCheck := func(c proactive.Check) error {
		n, err := p.runCheck(ctx, c, detectors[c.Type], res)
		total += n
		return err
	}
	// The checks read ahead go first, each as soon as its findings are
	// ready; then the others, in run order (their inputs have all run).
	ran := map[proactive.AnomalyType]bool{}
	for t, ok := p.prefetch.next(ctx); ok; t, ok = p.prefetch.next(ctx) {
		if err := runCheck(p.s.check(t)); err != nil {
			return err
		}
		ran[t] = true
	}
	for _, c := range p.s.order {
		if !ran[c.Type] {
			if err := runCheck(c); err != nil {
				return err
			}
		}
	}
	p.inRunOrder(res)
	res.AnomaliesDetected = total
	p.log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Found %d total anomalies", total), "anomalies", total)
	for i := range res.Breakdown {
		for _, n := range p.counts[res.Breakdown[i].Type] {
			res.Breakdown[i].Count += n
		}
	}
	for _, c := range p.s.checks {
		for _, sev := range proactive.Severities() {
			if n := p.counts[c.Type][sev]; n > 0 {
				res.AnomalyCounts = append(res.AnomalyCounts, proactive.AnomalyCount{Type: c.Type, Severity: sev, Count: n})
			}
		}
	}
	analysis := p.analyst.Analysis()
	res.Insights = append(res.Insights, analysis.Insights...)
	res.Predictions = append(res.Predictions, analysis.Predictions...)

	if p.params.WithoutCases {
		// The scan as before the risk desk: no inhibition, no alert closed
		// for its cases, no case counted (each reads or writes cases).
		return p.alerts(ctx, res, analysis, nil)
	}
	inhibited, err := p.inhibit(ctx)
	if err != nil {
		return err
	}

	// Step 5: group alerts of the actionable anomalies.
	if err := p.alerts(ctx, res, analysis, inhibited); err != nil {
		return err
	}
	if err := p.closeResolvedAlerts(ctx, res); err != nil {
		return err
	}
	if err := p.notifyResolved(ctx); err != nil {
		return err
	}
	if res.Cases.Open, err = p.tx.CountUnresolvedCases(ctx); err != nil {
		return fmt.Errorf("count cases: %w", err)
	}
	return nil
}

// inRunOrder puts what the checks reported — errors, skipped rows, the
// cases they resolved — in run order, whatever order they finished in.
func (p *pass) inRunOrder(res *proactive.ScanResult) {
	byMonitor := map[string]int{}
	byType := map[proactive.AnomalyType]int{}
	for i, c := range p.s.order {
		byMonitor[c.Monitor], byType[c.Type] = i, i
	}
	rank := func(m map[string]int, k string) int {
		if i, ok := m[k]; ok {
			return i
		}
		return len(p.s.order)
	}
	slices.SortStableFunc(res.Errors, func(a, b proactive.MonitorError) int {
		return rank(byMonitor, a.Monitor) - rank(byMonitor, b.Monitor)
	})
	slices.SortStableFunc(res.SkippedRows, func(a, b proactive.SkippedRows) int {
		return rank(byMonitor, a.Monitor) - rank(byMonitor, b.Monitor)
	})
	slices.SortStableFunc(p.resolved, func(a, b proactive.Case) int { return byType[a.Type] - byType[b.Type] })
}

// unresolvedCases is CheckEnv.Cases: the unresolved cases of those of
// types whose check is enabled (CONTRACT §11.9: a check not enabled does
// not count), read in the scan's transaction, so a check that runs after
// others (Check.After) sees their case updates and resolutions.
func (p *pass) unresolvedCases(ctx context.Context, types []proactive.AnomalyType) ([]proactive.Case, error) {
	types = slices.DeleteFunc(slices.Clone(types), func(t proactive.AnomalyType) bool { return !p.s.enabled(t) })
	if len(types) == 0 {
		return nil, nil
	}
	cs, err := p.tx.FindCases(ctx, proactive.CaseQuery{Unresolved: true, Types: types})
	if err != nil {
		return nil, fmt.Errorf("read unresolved cases: %w", err)
	}
	return cs, nil
}

// wakeDue wakes every snoozed case due at now (CONTRACT §10.4 step 1).
func (p *pass) wakeDue(ctx context.Context, res *proactive.ScanResult) error {
	due, err := p.tx.FindCases(ctx, proactive.CaseQuery{SnoozedUntilAtMost: &p.now})
	if err != nil {
		return fmt.Errorf("read snoozed cases: %w", err)
	}
	w := writes{touchAt: p.now}
	for _, c := range due {
		w.add(lifecycle.WakeDue(c, p.now, p.newID), res)
	}
	return w.flush(ctx, p.tx)
}

// writes collects a batch of case changes.
type writes struct {
	inserts, updates, refreshes []proactive.Case
	touches                     []string
	events                      []proactive.CaseEvent
	// touchAt is where touches move last_seen_at: the scan's now.
	touchAt time.Time
	// span, when set, is the key range the batch's cases were read as:
	// the touches walk it (TouchCasesBetween).
	span *keySpan
	// hint is the room each list gets when it takes its first change: the
	// size of the batch, so that a batch of one kind of change does not
	// grow its list by doubling.
	hint int
}

// add takes one change and counts its events in res.
func (w *writes) add(ch lifecycle.Change, res *proactive.ScanResult) {
	switch {
	case ch.Insert:
		w.inserts = appendRoomy(w.inserts, ch.Case, w.hint)
	case ch.Write:
		w.updates = appendRoomy(w.updates, ch.Case, w.hint)
	case ch.Refresh:
		w.refreshes = appendRoomy(w.refreshes, ch.Case, w.hint)
	case ch.Touch:
		w.touches = appendRoomy(w.touches, ch.Case.ID, w.hint)
	}
	w.events = append(w.events, ch.Events...)
	for _, e := range ch.Events {
		switch e.Kind {
		case proactive.EventOpened:
			res.Cases.Opened++
		case proactive.EventEscalated:
			res.Cases.Escalated++
		case proactive.EventResolved:
			res.Cases.Resolved++
		}
	}
}

// appendRoomy appends v to s, giving s room for hint elements when it has
// none yet.
func appendRoomy[T any](s []T, v T, hint int) []T {
	if s == nil && hint > 1 {
		s = make([]T, 0, hint)
	}
	return append(s, v)
}

// flush writes the batch and empties it.
func (w *writes) flush(ctx context.Context, tx proactive.DeskTx) error {
	if len(w.inserts) > 0 {
		if err := tx.InsertCases(ctx, w.inserts); err != nil {
			return fmt.Errorf("open %d cases: %w", len(w.inserts), err)
		}
	}
	if len(w.updates) > 0 {
		if err := tx.UpdateCases(ctx, w.updates); err != nil {
			return fmt.Errorf("update %d cases: %w", len(w.updates), err)
		}
	}
	if len(w.refreshes) > 0 {
		if err := tx.RefreshCases(ctx, w.refreshes); err != nil {
			return fmt.Errorf("refresh %d cases: %w", len(w.refreshes), err)
		}
	}
	if len(w.touches) > 0 {
		var err error
		if w.span != nil {
			err = tx.TouchCasesBetween(ctx, w.touches, w.span.lo, w.span.hi, w.touchAt)
		} else {
			err = tx.TouchCases(ctx, w.touches, w.touchAt)
		}
		if err != nil {
			return fmt.Errorf("refresh %d cases: %w", len(w.touches), err)
		}
	}
	if len(w.events) > 0 {
		if err := tx.AddCaseEvents(ctx, w.events); err != nil {
			return fmt.Errorf("record %d case events: %w", len(w.events), err)
		}
	}
	*w = writes{touchAt: w.touchAt, hint: w.hint, span: w.span}
	return nil
}

// runCheck runs one check, streaming its anomalies to the desk, then
// resolves its cases not seen. It returns the number of anomalies. A
// check's own failure is reported in res.Errors; the returned error means
// the scan cannot go on (the database is gone, or the desk refused a
// write).
func (p *pass) runCheck(ctx context.Context, c proactive.Check, d proactive.Detector, res *proactive.ScanResult) (int, error) {
	var failedInputs []string
	for _, in := range c.Inputs {
		if _, bad := p.failed[in]; bad {
			failedInputs = append(failedInputs, string(in))
		}
	}
	if len(failedInputs) > 0 {
		msg := fmt.Sprintf("not run: it depends on %s, which failed", joinList(failedInputs))
		p.checkFailed(ctx, c, msg, nil, res)
		return 0, nil
	}
	var (
		b       *batcher
		skipped proactive.Skipped
		err     error
	)
	src, onReplica, retried := p.source, p.onReplica, false
	for again := true; again; {
		b = &batcher{p: p, ctx: ctx, check: c, res: res}
		if pre := p.prefetch.take(c.Type); pre != nil {
			skipped, err = pre.drain(b) // read ahead from p.source; a retry reads here
		} else {
			f := &feeder{check: c, size: p.s.opts.BatchSize, prepare: !p.params.WithoutCases, deliver: b.take}
			if skipped, err = d.Detect(ctx, src, f); err == nil {
				err = f.send()
			}
		}
		again = false
		switch {
		case err == nil || ctx.Err() != nil || b.writeErr != nil:
		case onReplica:
			// A standby may cancel a query that conflicts with replay, or
			// go away: the check reads the primary instead.
			msg := fmt.Sprintf("the %s check could not read the read replica (%s): it read the primary", c.Noun, proactive.ErrorMessage(err))
			p.log.WarnContext(ctx, "scan: "+msg, "monitor", c.Monitor)
			res.Warnings = append(res.Warnings, msg)
			src, onReplica, again = p.primary, false, true
		case proactive.ErrorCode(err) == proactive.EUNAVAILABLE && !retried:
			// A lost connection: read once more on a fresh one before the
			// check counts as failed.
			p.log.WarnContext(ctx, fmt.Sprintf("[%s] read failed, retrying once: %s", c.Monitor, proactive.ErrorMessage(err)), "monitor", c.Monitor, "error", err)
			retried, again = true, true
		}
		if again {
			p.forget(c.Type)
		}
	}
	if b.writeErr != nil {
		return 0, b.writeErr
	}
	if err != nil {
		if proactive.ErrorCode(err) == proactive.EUNAVAILABLE || ctx.Err() != nil {
			return 0, fmt.Errorf("%s: %w", c.Monitor, err)
		}
		p.forget(c.Type)
		p.checkFailed(ctx, c, proactive.ErrorMessage(err), err, res)
		return 0, nil
	}
	n := b.anomalies
	res.SkippedRows = append(res.SkippedRows, skippedRows(c.Monitor, c.Table, skipped)...)
	if c.Text.Found != nil {
		p.log.InfoContext(ctx, c.Text.Found(n), "monitor", c.Monitor, "anomalies", n, "skipped_rows", skipped.Total())
	}
	if p.params.WithoutCases {
		delete(p.seen, c.Type)
		return n, nil
	}
	if err := p.resolveUnseen(ctx, c, b, res); err != nil {
		return 0, err
	}
	// Only this check reports (and resolves) cases of its type: once its
	// unseen cases are resolved, no case of the type is looked up again.
	delete(p.seen, c.Type)
	return n, nil
}

// checkFailed reports a check that could not run.
func (p *pass) checkFailed(ctx context.Context, c proactive.Check, msg string, err error, res *proactive.ScanResult) {
	p.failed[c.Type] = msg
	res.Errors = append(res.Errors, proactive.MonitorError{Monitor: c.Monitor, Error: msg})
	p.log.ErrorContext(ctx, fmt.Sprintf("[%s] Error: %s", c.Monitor, msg), "monitor", c.Monitor, "error", err)
}

// forget drops what a check's partial run fed into the scan's figures:
// its anomaly counts, analysis and group (its case writes stand: each was
// a true observation).
func (p *pass) forget(t proactive.AnomalyType) {
	delete(p.counts, t)
	delete(p.groups, t)
	p.analyst.Reset(t)
	delete(p.seen, t)
}

// hash is the seen map's key of a case key.
func (p *pass) hash(key string) uint64 { return maphash.String(p.seed, key) }

// seenOf is the seen set of a type's cases.
func (p *pass) seenOf(t proactive.AnomalyType) map[uint64]seenCase {
	m := p.seen[t]
	if m == nil {
		m = map[uint64]seenCase{}
		p.seen[t] = m
	}
	return m
}

// saw reports whether the scan saw the case of type t with this key.
func (p *pass) saw(t proactive.AnomalyType, key string) bool {
	_, ok := p.seen[t][p.hash(key)]
	return ok
}

// resolveUnseen resolves the check's unresolved cases it did not see
// (CONTRACT §10.4 step 3), unless its source table holds no rows at all.
func (p *pass) resolveUnseen(ctx context.Context, c proactive.Check, b *batcher, res *proactive.ScanResult) error {
	before := p.now.Add(-p.th.ResolveAfter())
	candidates, err := p.tx.FindCases(ctx, proactive.CaseQuery{Unresolved: true, Types: []proactive.AnomalyType{c.Type}, LastSeenAtMost: &before})
	if err != nil {
		return fmt.Errorf("%s: read cases to resolve: %w", c.Monitor, err)
	}
	candidates = slices.DeleteFunc(candidates, func(cs proactive.Case) bool { return p.saw(c.Type, cs.Key) })
	if len(candidates) == 0 {
		return nil
	}
	if b.anomalies == 0 && b.sightings == 0 && c.Table != "" {
		empty, err := p.tableEmpty(ctx, c.Table)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Monitor, err)
		}
		if empty {
			msg := fmt.Sprintf("table %s holds no rows: %d open %s kept (a table being reloaded is no all-clear); they resolve once the data is back and no longer shows the problem",
				c.Table, len(candidates), plural(len(candidates), "case", "cases"))
			res.Errors = append(res.Errors, proactive.MonitorError{Monitor: c.Monitor, Error: msg})
			p.log.WarnContext(ctx, fmt.Sprintf("[%s] %s", c.Monitor, msg), "monitor", c.Monitor)
			return nil
		}
	}
	w := writes{touchAt: p.now}
	for _, cs := range candidates {
		ch := lifecycle.ResolveUnseen(cs, p.now, p.th.ResolveAfter(), p.newID)
		if ch.Write {
			w.add(ch, res)
			p.resolved = append(p.resolved, ch.Case)
		}
		if len(w.updates) >= p.s.opts.BatchSize {
			if err := w.flush(ctx, p.tx); err != nil {
				return err
			}
		}
	}
	return w.flush(ctx, p.tx)
}

// RowChecker is the source primitive a scan uses to tell an empty table
// from an all-clear.
type RowChecker interface {
	// HasRows reports whether a source table holds any row.
	HasRows(ctx context.Context, table string) (bool, error)
}

// tableEmpty reports whether the source table holds no rows; a source
// that cannot tell counts as not empty.
func (p *pass) tableEmpty(ctx context.Context, table string) (bool, error) {
	rc, ok := p.primary.(RowChecker)
	if !ok {
		return false, nil
	}
	has, err := rc.HasRows(ctx, table)
	if err != nil {
		return false, fmt.Errorf("count the rows of %s: %w", table, err)
	}
	return !has, nil
}

// batcher takes a check's findings, a batch at a time, to the desk.
type batcher struct {
	p         *pass
	ctx       context.Context
	check     proactive.Check
	res       *proactive.ScanResult
	anomalies int
	sightings int
	writeErr  error
	// changes is decide's result, its room kept from batch to batch (a
	// change holds a whole case: a batch's worth is half a megabyte).
	changes []lifecycle.Change
	// The key order of the check's batches so far (lookup): hi is the
	// greatest key of the last range read ("" before the first: no case
	// key is empty), unordered whether a batch came out of order.
	hi        string
	unordered bool
}

// lookup reads the unresolved cases of keys: the batch's anomaly keys
// (keys[:split]) and its sightings' keys (keys[split:]), each part in the
// order it came. While a check's keys come in byte order, batch after
// batch (the stores' queries sort by the case key), each batch is one
// range of the key index that no other batch's range overlaps
// (SeenCasesBetween): every case is read at most once, in index order,
// a few times cheaper than one probe per key. Once a batch comes out of
// order, it and every later batch of the check probe per key (SeenCases).
// The range read, when there was one, is returned: the batch's touches
// walk it too.
func (b *batcher) lookup(keys []string, split int) ([]proactive.Case, *keySpan, error) {
	if !b.unordered {
		if lo, hi, ok := keyRange(keys[:split], keys[split:]); ok && lo > b.hi {
			b.hi = hi
			cs, err := b.p.tx.SeenCasesBetween(b.ctx, keys, lo, hi)
			return cs, &keySpan{lo: lo, hi: hi}, err
		}
		b.unordered = true
	}
	cs, err := b.p.tx.SeenCases(b.ctx, keys)
	return cs, nil, err
}

// keySpan is a range of case keys, both ends included.
type keySpan struct{ lo, hi string }

// keyRange is the least and the greatest key of two lists, false when
// either list is out of byte order or both are empty.
func keyRange(a, b []string) (lo, hi string, ok bool) {
	if !slices.IsSorted(a) || !slices.IsSorted(b) {
		return "", "", false
	}
	switch {
	case len(a) == 0 && len(b) == 0:
		return "", "", false
	case len(a) == 0:
		return b[0], b[len(b)-1], true
	case len(b) == 0:
		return a[0], a[len(a)-1], true
	}
	return min(a[0], b[0]), max(a[len(a)-1], b[len(b)-1]), true
}

// take processes one batch of the check's findings (a feeder's delivery).
func (b *batcher) take(f findings) error {
	b.anomalies += len(f.items)
	b.sightings += len(f.sighted)
	return b.flush(f)
}

// flush processes a batch: each anomaly opens or refreshes its case (the
// first anomaly of a key in a scan is the case's: checks report the most
// urgent first), each sighting keeps its case seen; the changes are
// written and the anomalies fed to the counts, the analysis, the inputs'
// observers and, when actionable, their group. The batch comes prepared
// (findings.prepared) unless the scan keeps no cases.
func (b *batcher) flush(f findings) error {
	ctx, p := b.ctx, b.p
	if p.params.WithoutCases {
		b.flushWithoutCases(f)
		return nil
	}
	// The keys not seen before this batch, each once: the anomalies'
	// first, then the sightings'.
	keys := make([]string, 0, len(f.items)+len(f.sighted))
	want := make(map[string]bool, len(f.items)+len(f.sighted))
	for i := range f.prepared {
		if k := f.prepared[i].key; !p.saw(b.check.Type, k) && !want[k] {
			want[k] = true
			keys = append(keys, k)
		}
	}
	anomalyKeys := len(keys)
	for _, k := range f.sighted {
		if !p.saw(b.check.Type, k) && !want[k] {
			want[k] = true
			keys = append(keys, k)
		}
	}
	var stored map[string]*proactive.Case // into cs, not copies
	var prev map[string]string
	var span *keySpan // the range the cases were read as, if any
	if len(keys) > 0 {
		var cs []proactive.Case
		var err error
		if cs, span, err = b.lookup(keys, anomalyKeys); err != nil {
			return b.fail(fmt.Errorf("read cases: %w", err))
		}
		stored = make(map[string]*proactive.Case, len(cs))
		for i := range cs {
			stored[cs[i].Key] = &cs[i]
		}
		var fresh []string // the anomalies' keys with no case: opened, after the key's newest resolved one
		for _, k := range keys[:anomalyKeys] {
			if _, ok := stored[k]; !ok {
				fresh = append(fresh, k)
			}
		}
		if len(fresh) > 0 {
			if prev, err = p.tx.NewestResolvedCaseIDs(ctx, fresh); err != nil {
				return b.fail(fmt.Errorf("read resolved cases: %w", err))
			}
		}
	}
	changes, err := b.decide(f, stored, prev, want)
	if err != nil {
		return b.fail(err)
	}
	seen := p.seenOf(b.check.Type)
	// Every case this batch touches was read in span (stored).
	w := writes{touchAt: p.now, hint: len(f.items) + len(f.sighted), span: span}
	for i := range f.items {
		a, h := &f.items[i], p.hash(f.prepared[i].key)
		if sc, ok := seen[h]; ok {
			p.account(a, sc, nil, b.res) // a later anomaly of a case already seen
			continue
		}
		ch := changes[i]
		w.add(ch, b.res)
		seen[h] = p.account(a, p.classify(&ch.Case), &ch.Case, b.res)
	}
	for _, key := range f.sighted {
		h := p.hash(key)
		if _, ok := seen[h]; ok {
			continue
		}
		c, ok := stored[key]
		if !ok {
			continue // within the margin but no case: no anomaly, never a case
		}
		ch := lifecycle.Seen(*c, p.now)
		w.add(ch, b.res)
		seen[h] = seenCase{bucket: inert, member: -1}
	}
	if err := w.flush(ctx, p.tx); err != nil {
		return b.fail(err)
	}
	return nil
}

// decide returns the change of each anomaly of f that is the first of its
// key in the scan (want: the keys not seen before this batch): its stored
// case (the scan's view, DeskTx.SeenCases) refreshed, or a new case. A
// case the change rewrites whole is read whole first and decided again,
// so that what the view leaves out is kept.
func (b *batcher) decide(f findings, stored map[string]*proactive.Case, prev map[string]string, want map[string]bool) ([]lifecycle.Change, error) {
	p := b.p
	changes := slices.Grow(b.changes[:0], len(f.items))[:len(f.items)]
	clear(changes)
	b.changes = changes
	first := make(map[string]int, len(want)) // key → its first anomaly here
	var whole []string                       // ids of the cases rewritten whole
	noIDs := func() string { return "" }     // a change with events is decided again
	observe := func(i int) (lifecycle.Observation, error) {
		a := &f.items[i]
		if f.prepared[i].details == nil { // did not encode when prepared: say why
			js, err := json.Marshal(a.Details)
			if err != nil {
				return lifecycle.Observation{}, fmt.Errorf("encode the details of %s: %w", f.prepared[i].key, err)
			}
			f.prepared[i].details = js
		}
		return lifecycle.Observation{Anomaly: a, Owner: a.Owner, Details: f.prepared[i].details}, nil
	}
	for i := range f.items {
		key := f.prepared[i].key
		if _, dup := first[key]; dup || !want[key] {
			continue
		}
		first[key] = i
		o, err := observe(i)
		if err != nil {
			return nil, err
		}
		c, ok := stored[key]
		if !ok {
			changes[i] = lifecycle.Open(o, prev[key], p.now, p.newID)
			continue
		}
		if changes[i] = lifecycle.Refresh(*c, o, p.now, noIDs); changes[i].Write {
			whole = append(whole, c.ID)
		}
	}
	if len(whole) == 0 {
		return changes, nil
	}
	cs, err := p.tx.CasesByID(b.ctx, whole)
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	if len(cs) != len(whole) {
		return nil, proactive.Errorf(proactive.EINTERNAL, "read cases: %d of the %d cases to rewrite were not found", len(whole)-len(cs), len(whole))
	}
	for _, c := range cs {
		i := first[c.Key]
		o, _ := observe(i) // encoded above
		changes[i] = lifecycle.Refresh(c, o, p.now, p.newID)
	}
	return changes, nil
}

// flushWithoutCases processes a batch as a scan before the risk desk did
// (Params.WithoutCases): each anomaly is actionable, its key's first
// anomaly a group member of its own, and nothing is read or written.
func (b *batcher) flushWithoutCases(f findings) {
	p := b.p
	seen := p.seenOf(b.check.Type)
	for i := range f.items {
		a := &f.items[i]
		key := a.CaseKey()
		h := p.hash(key)
		if sc, ok := seen[h]; ok {
			p.account(a, sc, nil, b.res)
			continue
		}
		c := proactive.Case{Type: a.Type, Key: key, Label: a.Entity, State: proactive.CaseOpen, Owner: a.Owner}
		seen[h] = p.account(a, seenCase{bucket: actionable, member: -1}, &c, b.res)
	}
}

// fail marks a desk failure: the scan stops (it is not the check's fault).
func (b *batcher) fail(err error) error {
	b.writeErr = fmt.Errorf("%s: %w", b.check.Monitor, err)
	return b.writeErr
}

// classify is where the anomalies of case c count: silenced when an
// active silence matches it, else by its state.
func (p *pass) classify(c *proactive.Case) seenCase {
	sc := seenCase{member: -1}
	switch {
	case p.silences.MutesCase(p.now, c):
		sc.bucket = silenced
	case c.State == proactive.CaseSnoozed:
		sc.bucket = snoozed
	case c.State == proactive.CaseAcknowledged:
		sc.bucket = acknowledged
	case c.State == proactive.CaseOpen:
		sc.bucket = actionable
	default:
		sc.bucket = inert
	}
	return sc
}

// account feeds one anomaly, whose case is sc, to the scan's figures and,
// when actionable (its case open and not silenced), to its group.
func (p *pass) account(a *proactive.Anomaly, sc seenCase, c *proactive.Case, res *proactive.ScanResult) seenCase {
	if p.counts[a.Type] == nil {
		p.counts[a.Type] = map[proactive.Severity]int{}
	}
	p.counts[a.Type][a.Severity]++
	p.analyst.Add(a)
	for _, d := range p.observers[a.Type] {
		d.Observe(a)
	}
	switch sc.bucket {
	case silenced:
		res.Suppressed.Silenced++
		return sc
	case snoozed:
		res.Suppressed.Snoozed++
		return sc
	case acknowledged:
		res.Suppressed.Acknowledged++
		return sc
	case inert:
		return sc
	}
	g := p.groups[a.Type]
	if g == nil {
		chk, _ := p.s.opts.Registry.Lookup(a.Type)
		g = &group{check: chk, reducer: insight.NewReducer(a.Type)}
		p.groups[a.Type] = g
	}
	g.reducer.Add(*a)
	if c == nil { // another anomaly of a case already a member: the same member again
		g.members.again(sc.member)
		return sc
	}
	sc.member = g.members.add(lifecycle.Member{CaseID: c.ID, Owner: c.Owner, WokeAt: c.WokeAt,
		SilenceEndedAt: p.silences.EndedFor(p.now, c.Type, c.Key, c.Label, c.Owner)})
	return sc
}

// inhibit evaluates the inhibit rules from the source cases unresolved now
// (CONTRACT §11.8) and records inhibited_by on every enabled check's
// unresolved cases. It returns, per inhibited type, the alphabetically
// first inhibiting case key.
func (p *pass) inhibit(ctx context.Context) (map[proactive.AnomalyType]string, error) {
	out := map[proactive.AnomalyType]string{}
	for _, r := range p.s.opts.Settings.Inhibit {
		if !p.s.enabled(r.SourceType) {
			continue // cases of a check not enabled neither inhibit nor are refreshed
		}
		cs, err := p.tx.FindCases(ctx, proactive.CaseQuery{Unresolved: true, Types: []proactive.AnomalyType{r.SourceType}})
		if err != nil {
			return nil, fmt.Errorf("read the inhibiting cases: %w", err)
		}
		for _, c := range cs {
			if !proactive.MatchesKeyOrLabel(r.SourceMatch, c.Key, c.Label) {
				continue
			}
			if cur, ok := out[r.TargetType]; !ok || c.Key < cur {
				out[r.TargetType] = c.Key
			}
		}
	}
	for _, c := range p.s.checks {
		if _, bad := p.failed[c.Type]; bad {
			continue
		}
		if err := p.tx.SetInhibitedBy(ctx, c.Type, out[c.Type]); err != nil {
			return nil, fmt.Errorf("record inhibited_by of %s cases: %w", c.Type, err)
		}
	}
	return out, nil
}

func joinList(ss []string) string {
	switch len(ss) {
	case 0:
		return ""
	case 1:
		return ss[0]
	}
	return fmt.Sprintf("%s and %s", joinComma(ss[:len(ss)-1]), ss[len(ss)-1])
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
