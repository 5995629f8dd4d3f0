package scan

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"sync"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// ConcurrentSource is a source whose checks may read at the same time as
// one another and as the scan's desk transaction: each read takes a
// connection of its own (PostgreSQL's pool, SQLite's WAL readers). A
// source that does not implement it, or says false, is read one check
// after another.
type ConcurrentSource interface {
	// ConcurrentReads reports whether concurrent reads are safe.
	ConcurrentReads() bool
}

// concurrent reports whether the checks may read src at the same time.
func concurrent(src any) bool {
	cs, ok := src.(ConcurrentSource)
	return ok && cs.ConcurrentReads()
}

// findings are one batch of a check's findings: anomalies and the case
// keys seen within the recovery margin (proactive.Emitter's two calls).
type findings struct {
	items   []proactive.Anomaly
	sighted []string
	// prepared is, when the scan keeps cases, each anomaly's case key and
	// details as JSON, made by the reading goroutine so that the desk,
	// which works one batch at a time, does not.
	prepared []prepared
}

// prepared is what the desk needs of an anomaly besides the anomaly: its
// case key and its details as JSON (nil when they would not encode: the
// desk encodes them again and reports the error).
type prepared struct {
	key     string
	details []byte
}

// prepare returns each anomaly's case key and details as JSON.
func prepare(items []proactive.Anomaly) []prepared {
	out := make([]prepared, len(items))
	for i := range items {
		out[i].key = items[i].CaseKey()
		if js, err := json.Marshal(items[i].Details); err == nil {
			out[i].details = js
		}
	}
	return out
}

// prefetch is a check reading its source on a goroutine of its own while
// the desk works through the checks before it: the check's read, its
// judging and the desk's writes overlap. Its findings come over an
// unbuffered channel, a batch at a time, so that a check that runs ahead
// holds at most one batch; the desk takes them when it reaches the check,
// in the same order and batches as a check it runs itself.
type prefetch struct {
	batches chan findings
	// first is a batch received before the desk took the prefetch (next);
	// ended says batches was found closed then.
	first *findings
	ended bool
	// skipped and err are the outcome of Detect, set before batches is
	// closed.
	skipped proactive.Skipped
	err     error
}

// prefetcher runs the prefetches of one scan. Its goroutines stop when the
// scan's context ends or stop is called, and stop waits for them.
type prefetcher struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	byType map[proactive.AnomalyType]*prefetch
	// pending are the types of the prefetches not taken, in run order.
	pending []proactive.AnomalyType
}

// startPrefetch starts, for each check in order that reads only its source
// (no Inputs, no After: those observe other checks' anomalies or read
// cases, on the desk's side), its Detect on src when src takes concurrent
// reads; otherwise it starts nothing.
func startPrefetch(ctx context.Context, order []proactive.Check, detectors map[proactive.AnomalyType]proactive.Detector, src any, batchSize int, withCases bool) *prefetcher {
	pctx, cancel := context.WithCancel(ctx)
	pf := &prefetcher{cancel: cancel, byType: map[proactive.AnomalyType]*prefetch{}}
	if !concurrent(src) {
		return pf
	}
	for _, c := range order {
		if len(c.Inputs) > 0 || len(c.After) > 0 {
			continue
		}
		p := &prefetch{batches: make(chan findings)}
		pf.byType[c.Type] = p
		pf.pending = append(pf.pending, c.Type)
		d, check := detectors[c.Type], c
		pf.wg.Go(func() {
			defer close(p.batches)
			f := &feeder{check: check, size: batchSize, prepare: withCases, deliver: func(b findings) error {
				select { // the desk takes it, or the scan stops
				case p.batches <- b:
					return nil
				case <-pctx.Done():
					return pctx.Err()
				}
			}}
			p.skipped, p.err = d.Detect(pctx, src, f)
			if p.err == nil {
				p.err = f.send()
			}
		})
	}
	return pf
}

// take returns the prefetch of a check, at most once; nil when it has
// none (the desk then runs the check itself).
func (pf *prefetcher) take(t proactive.AnomalyType) *prefetch {
	if pf == nil {
		return nil
	}
	p := pf.byType[t]
	delete(pf.byType, t)
	pf.pending = slices.DeleteFunc(pf.pending, func(x proactive.AnomalyType) bool { return x == t })
	return p
}

// next waits until one of the prefetches not taken has findings ready (or
// has ended) and returns its check's type, that first batch held for
// drain; false when none is left or the scan stops. A check whose read
// aggregates the whole window before its first row (health_drop) thus
// holds up none of the others. Of those ready at once, the first in run
// order goes first.
func (pf *prefetcher) next(ctx context.Context) (proactive.AnomalyType, bool) {
	if pf == nil || len(pf.pending) == 0 {
		return "", false
	}
	for _, t := range pf.pending {
		select {
		case b, ok := <-pf.byType[t].batches:
			pf.byType[t].hold(b, ok)
			return t, true
		default:
		}
	}
	cases := make([]reflect.SelectCase, 0, len(pf.pending)+1)
	for _, t := range pf.pending {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(pf.byType[t].batches)})
	}
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	i, v, ok := reflect.Select(cases)
	if i == len(pf.pending) {
		return "", false // the scan stops: the checks left run in order, and fail
	}
	t := pf.pending[i]
	b, _ := v.Interface().(findings)
	pf.byType[t].hold(b, ok)
	return t, true
}

// hold keeps what next received: a batch, or the end of the findings.
func (p *prefetch) hold(b findings, ok bool) {
	if ok {
		p.first = &b
	} else {
		p.ended = true
	}
}

// stop ends the prefetches not taken to the end and waits for every
// goroutine.
func (pf *prefetcher) stop() {
	pf.cancel()
	pf.wg.Wait()
}

// drain hands the prefetch's batches to b, flushing each, and returns
// Detect's outcome. A desk failure stops it (the goroutine then ends when
// the scan stops the prefetcher).
func (p *prefetch) drain(b *batcher) (proactive.Skipped, error) {
	if p.first != nil {
		batch := *p.first
		p.first = nil
		if err := b.take(batch); err != nil {
			return nil, err
		}
	}
	if !p.ended {
		for batch := range p.batches {
			if err := b.take(batch); err != nil {
				return nil, err
			}
		}
	}
	return p.skipped, p.err
}

// feeder is the Emitter of a check's run: it batches the check's findings
// and delivers each full batch — onto the channel of a check reading ahead,
// straight to the desk (batcher.take) for one the desk runs itself.
type feeder struct {
	check proactive.Check
	size  int
	cur   findings
	// prepare says the scan keeps cases: each batch goes with its
	// anomalies' case keys and details as JSON (findings.prepared).
	prepare bool
	deliver func(findings) error
}

// Anomaly implements proactive.Emitter.
func (f *feeder) Anomaly(a proactive.Anomaly) error {
	if a.Type != f.check.Type {
		return proactive.Errorf(proactive.EINTERNAL, "check %s reported an anomaly of type %s", f.check.Type, a.Type)
	}
	f.cur.items = append(f.cur.items, a)
	return f.sendFull()
}

// Seen implements proactive.Emitter.
func (f *feeder) Seen(key string) error {
	f.cur.sighted = append(f.cur.sighted, proactive.CaseKey(f.check.Type, key))
	return f.sendFull()
}

// sendFull sends the batch when it is full.
func (f *feeder) sendFull() error {
	if len(f.cur.items)+len(f.cur.sighted) < f.size {
		return nil
	}
	return f.send()
}

// send delivers the batch, if any.
func (f *feeder) send() error {
	if len(f.cur.items) == 0 && len(f.cur.sighted) == 0 {
		return nil
	}
	batch := f.cur
	if f.prepare {
		batch.prepared = prepare(batch.items)
	}
	// The next batch of a check that filled one is likely as full: room
	// for it up front, instead of growing it by doubling.
	f.cur = findings{items: make([]proactive.Anomaly, 0, len(batch.items))}
	return f.deliver(batch)
}
