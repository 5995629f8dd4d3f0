package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Store is what the Worker needs of a store: the outbox and the alerts.
// proactive.Store (both the sqlite and the postgres store) satisfies it.
type Store interface {
	proactive.NotificationStore
	// GetAlert loads the alert a notification is about; ENOTFOUND when it
	// no longer exists.
	GetAlert(ctx context.Context, id string) (proactive.Alert, error)
}

// Delivery outcomes, as passed to Options.OnDelivery (one call per
// notification).
const (
	OutcomeDelivered = "delivered" // sent; the notification is done
	OutcomeRetry     = "retry"     // failed or interrupted; pending again
	OutcomeFailed    = "failed"    // failed for good; kept with its last error
)

// Worker defaults. With DefaultBackoff, DefaultMaxAttempts rides out about
// two and a half hours of failures (5 s, 10 s, … 43 min, then 1 h between
// attempts) before a notification is failed for good.
const (
	DefaultLease        = 2 * time.Minute
	DefaultPollInterval = 5 * time.Second
	DefaultBatchSize    = 10
	DefaultMaxAttempts  = 12
)

// Options configures a Worker. Store and Notifiers are required; the rest
// have defaults.
type Options struct {
	// Store holds the outbox and the alerts.
	Store Store
	// Notifiers by channel name. Only these channels are claimed: the
	// notifications of a channel that is not configured stay pending,
	// untouched, until it is.
	Notifiers map[string]Notifier
	// Logger receives one line per delivery attempt (never a secret:
	// notifiers redact their errors). Default: discard.
	Logger *slog.Logger
	// Now is the clock for claims, leases and retry times. Default time.Now.
	Now func() time.Time
	// Lease is how long claimed notifications stay with this worker; after
	// it another worker may claim them again (this one is presumed dead).
	// It must exceed the time a batch takes: each send is cut off shortly
	// before the lease ends. Default 2 min.
	Lease time.Duration
	// PollInterval is how often a started worker looks for due
	// notifications (Wake makes it look at once). Default 5 s.
	PollInterval time.Duration
	// BatchSize is how many notifications one claim takes. Default 10.
	BatchSize int
	// MaxAttempts is the number of attempts after which a notification that
	// keeps failing is failed for good. Default 12.
	MaxAttempts int
	// Backoff is the delay before the next attempt after the given failed
	// attempt (1 for the first). Default DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// OnDelivery, when set, is called once per notification and attempt
	// with the channel and an Outcome* value (for metrics).
	OnDelivery func(channel, outcome string)
}

// Worker delivers the notification outbox: it claims due notifications
// under a lease, hands their messages (the alert as stored now and the
// payload) to the channel's Notifier, and records the outcome. Run it in the background with Start and Stop (serve), or
// deliver what is due now with Drain (scan from the command line). Any
// number of workers, in any number of processes, may share a store: a claim
// gives each notification to one worker at a time.
//
// A notifier error that is worth retrying puts the notification back to
// pending at now + Backoff(attempt) (at least the peer's Retry-After);
// after MaxAttempts attempts, or for an error not worth retrying, it is
// failed for good and kept with its last error (ListNotifications shows
// it). When the worker's context ends mid-batch, the notifications it had
// not finished are put back to pending at once. When the process dies
// instead, they are claimed again once their lease expires; one that the
// receiver had accepted just before the death is then sent a second time
// with the same idempotency key. Outcomes are recorded for the claim they
// finish (its attempt number): a worker whose lease ran out never fails a
// notification that another worker has re-claimed since (the store answers
// ECONFLICT and the worker logs it), while its late delivery still counts.
//
// Leases are compared on the claiming worker's clock (Options.Now), so the
// clocks of workers sharing a store must agree to well within the lease; a
// send is cut off shortly before its lease ends, and a batch that cannot
// finish within its lease hands the rest back, so a live worker never
// holds a notification past its lease.
type Worker struct {
	opts      Options
	channels  []string // sorted notifier names
	wake      chan struct{}
	mu        sync.Mutex
	cancel    context.CancelFunc // of the running loop; nil when stopped
	done      chan struct{}      // closed when the running loop returns
	leaseSafe time.Duration      // sends end this long before the lease does
}

// NewWorker validates the options, fills in the defaults and returns a
// stopped worker.
func NewWorker(o Options) (*Worker, error) {
	if o.Store == nil {
		return nil, errors.New("notify worker: no store")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	w := &Worker{opts: o, wake: make(chan struct{}, 1), leaseSafe: min(o.Lease/10, 5*time.Second)}
	for name, n := range o.Notifiers {
		if n == nil {
			return nil, fmt.Errorf("notify worker: notifier %q is nil", name)
		}
		w.channels = append(w.channels, name)
	}
	slices.Sort(w.channels)
	return w, nil
}

// Channels lists the channels the worker delivers, sorted.
func (w *Worker) Channels() []string { return slices.Clone(w.channels) }

// Start runs the worker in the background until ctx ends or Stop is
// called: it delivers what is due at once, then every PollInterval and
// whenever Wake is called. Calling Start on a running worker does nothing.
func (w *Worker) Start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		select {
		case <-w.done: // the previous loop ended with its context; start anew
		default:
			return
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.cancel, w.done = cancel, done
	go func() {
		defer close(done)
		w.loop(ctx)
	}()
}

// Stop stops a started worker and waits for it: a send in progress is cut
// off and its notifications are put back to pending. Stop on a stopped
// worker does nothing; a stopped worker may be started again.
func (w *Worker) Stop() {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.cancel, w.done = nil, nil
	w.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Wake makes a started worker look for due notifications now (after a scan
// stored alerts) instead of at its next poll. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// loop is the body of a started worker.
func (w *Worker) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.wake:
		}
		if err := w.deliverDue(ctx, nil); err != nil && ctx.Err() == nil {
			w.opts.Logger.Warn("notification delivery: cannot read the outbox; will try again",
				"error", err.Error(), "retry_in", w.opts.PollInterval.String())
		}
		timer.Reset(w.opts.PollInterval)
	}
}

// DrainResult says what Drain did.
type DrainResult struct {
	// Delivered is the number of notifications delivered.
	Delivered int `json:"delivered"`
	// Failed is the number of notifications failed for good.
	Failed int `json:"failed"`
	// Queued is the number of notifications that failed and are pending
	// again, their next attempt beyond the deadline: the next scan or serve
	// delivers them.
	Queued int `json:"queued"`
	// LastErrors holds the last error per channel (redacted), for the
	// notifications that failed or stay queued.
	LastErrors map[string]string `json:"last_errors,omitempty"`
}

// Drain delivers every notification that is due now and retries the ones
// that fail while ctx allows: it waits for a retry only when it falls before
// ctx's deadline (with no deadline, until every notification is delivered
// or failed for good). Whatever is still undelivered when ctx ends stays
// queued. Reaching the deadline is not an error; the error is for a store
// that cannot be read. Drain may run while the worker is started.
func (w *Worker) Drain(ctx context.Context) (DrainResult, error) {
	st := &drainState{pending: map[string]time.Time{}, lastErr: map[string]string{}}
	for ctx.Err() == nil {
		passStart := w.opts.Now()
		err := w.deliverDue(ctx, st)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			return st.result(), err
		}
		st.forgetBefore(passStart)
		next, ok := st.nextRetry()
		if !ok {
			break
		}
		wait := next.Sub(w.opts.Now()) // on the worker's clock, waited for on the real one
		if deadline, has := ctx.Deadline(); has && wait > time.Until(deadline) {
			break
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
	return st.result(), nil
}

// drainState tracks what one Drain did; nil for a started worker.
type drainState struct {
	delivered, failed int
	pending           map[string]time.Time // notification id → next attempt
	lastErr           map[string]string    // channel → last error
}

func (st *drainState) record(n proactive.Notification, outcome string, retryAt time.Time, errMsg string) {
	if st == nil {
		return
	}
	delete(st.pending, n.ID)
	switch outcome {
	case OutcomeDelivered:
		st.delivered++
	case OutcomeFailed:
		st.failed++
	case OutcomeRetry:
		st.pending[n.ID] = retryAt
	}
	if errMsg != "" {
		st.lastErr[n.Channel] = errMsg
	}
}

// forgetBefore drops the retries that were due when a pass began and were
// not claimed by it: another worker (a running serve) has them.
func (st *drainState) forgetBefore(t time.Time) {
	for id, at := range st.pending {
		if at.Before(t) {
			delete(st.pending, id)
		}
	}
}

// nextRetry is the earliest retry this Drain scheduled and still waits for.
func (st *drainState) nextRetry() (time.Time, bool) {
	var next time.Time
	for _, t := range st.pending {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, !next.IsZero()
}

func (st *drainState) result() DrainResult {
	r := DrainResult{Delivered: st.delivered, Failed: st.failed, Queued: len(st.pending)}
	if len(st.lastErr) > 0 && (r.Failed > 0 || r.Queued > 0) {
		r.LastErrors = st.lastErr
	}
	return r
}

// deliverDue claims and delivers, channel by channel, until nothing is due.
func (w *Worker) deliverDue(ctx context.Context, st *drainState) error {
	var errs []error
	for _, ch := range w.channels {
		if err := w.deliverChannel(ctx, ch, st); err != nil && ctx.Err() == nil {
			errs = append(errs, fmt.Errorf("claim %s notifications: %w", ch, err))
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// batch is the notifications of one Notify call and the end of the lease
// they were claimed under.
type batch struct {
	ns       []proactive.Notification
	leaseEnd time.Time
}

// deliverChannel claims one channel's due notifications, a claim at a time,
// and delivers them: one Notify call per notification, or per scan and
// recipient for a ScanBatcher. A full claim may cut its last scan in two;
// for a ScanBatcher that scan is held back and delivered with the rest of
// it, which the next claims return (claims go oldest due first, and the
// notifications of a scan are due together), so that a backlog, or a scan
// with more notifications than a claim takes, still gives one message per
// scan and recipient. A held part keeps the lease it was claimed under. It
// returns the claim's error.
func (w *Worker) deliverChannel(ctx context.Context, ch string, st *drainState) error {
	notifier := w.opts.Notifiers[ch]
	byScan := batchesByScan(notifier)
	var held []batch
	defer func() {
		if len(held) > 0 { // the last claim failed or came back empty
			w.deliverBatches(ctx, notifier, held, st)
		}
	}()
	for ctx.Err() == nil {
		claimedAt := w.opts.Now()
		ns, err := w.opts.Store.ClaimNotifications(ctx, proactive.ClaimParams{
			Now: claimedAt, Limit: w.opts.BatchSize, Lease: w.opts.Lease, Channel: ch,
		})
		if err != nil {
			return err
		}
		full := len(ns) == w.opts.BatchSize
		leaseEnd := claimedAt.Add(w.opts.Lease)
		var batches []batch
		for _, g := range groupNotifications(ns, byScan) {
			batches = append(batches, batch{ns: g, leaseEnd: leaseEnd})
		}
		// Join the held part of a scan to its rest; a joined batch keeps
		// the older, earlier-ending lease.
		for _, h := range held {
			i := slices.IndexFunc(batches, func(b batch) bool { return groupKey(b.ns[0]) == groupKey(h.ns[0]) })
			if i >= 0 {
				batches[i] = batch{ns: append(h.ns, batches[i].ns...), leaseEnd: h.leaseEnd}
			} else {
				batches = append([]batch{h}, batches...)
			}
		}
		held = nil
		if byScan && full {
			// Hold back the claim's last scan, every recipient's part of
			// it (the whole claim when it is all one scan): the next claim
			// may hold more of it.
			if last := ns[len(ns)-1].ScanID; last != "" {
				var keep []batch
				for _, b := range batches {
					if b.ns[0].ScanID == last {
						held = append(held, b)
					} else {
						keep = append(keep, b)
					}
				}
				batches = keep
			}
		}
		w.deliverBatches(ctx, notifier, batches, st)
		if !full {
			return nil
		}
	}
	return nil
}

// deliverBatches makes one Notify call per batch. When the worker is
// stopping it hands the rest back at once; a batch whose lease is running
// out is handed back rather than left for another worker to find when the
// lease expires.
func (w *Worker) deliverBatches(ctx context.Context, notifier Notifier, batches []batch, st *drainState) {
	for i, b := range batches {
		if ctx.Err() != nil {
			for _, rest := range batches[i:] {
				w.release(ctx, rest.ns, st)
			}
			return
		}
		if !w.opts.Now().Before(b.leaseEnd.Add(-w.leaseSafe)) {
			w.release(ctx, b.ns, st)
			continue
		}
		w.deliverGroup(ctx, notifier, b.ns, b.leaseEnd, st)
	}
}

// deliverGroup makes one Notify call and records its outcome on each of
// the group's notifications.
func (w *Worker) deliverGroup(ctx context.Context, notifier Notifier, g []proactive.Notification, leaseEnd time.Time, st *drainState) {
	var (
		msgs []Message
		kept []proactive.Notification
	)
	for _, n := range g {
		m, err := w.message(ctx, n)
		switch {
		case err == nil:
			msgs = append(msgs, m)
			kept = append(kept, n)
		case ctx.Err() != nil:
			w.release(ctx, []proactive.Notification{n}, st)
		case proactive.ErrorCode(err) == proactive.ENOTFOUND || proactive.ErrorCode(err) == proactive.EINVALID:
			w.fail(ctx, []proactive.Notification{n}, false, err, st)
		default:
			w.fail(ctx, []proactive.Notification{n}, true, err, st)
		}
	}
	if len(kept) == 0 {
		return
	}
	d := Delivery{Channel: notifier.Name(), Recipient: kept[0].Recipient, ScanID: kept[0].ScanID}
	for _, n := range kept {
		d.Attempt = max(d.Attempt, n.Attempts)
	}
	// The send must end before the lease does (measured on the worker's
	// clock, waited for on the real one).
	sendCtx, cancel := context.WithTimeout(WithDelivery(ctx, d), leaseEnd.Sub(w.opts.Now())-w.leaseSafe)
	start := time.Now()
	retry, err := notifier.Notify(sendCtx, msgs)
	cancel()
	took := time.Since(start)
	if err == nil {
		for _, n := range kept {
			w.complete(ctx, n, took, st)
		}
		return
	}
	if ctx.Err() != nil {
		// Cut off by Stop or by Drain's deadline, not the peer's fault.
		w.release(ctx, kept, st)
		return
	}
	w.fail(ctx, kept, retry, err, st)
}

// message turns a claimed notification into what its notifier sends: the
// alert as stored now (none for a resolved message) and the payload. An
// ENOTFOUND or EINVALID error is not worth a retry.
func (w *Worker) message(ctx context.Context, n proactive.Notification) (Message, error) {
	m := Message{
		NotificationID: n.ID, Event: cmp.Or(n.Event, proactive.EventAlert), Recipient: n.Recipient,
		IdempotencyKey: n.IdempotencyKey, Priority: n.Priority,
	}
	if n.Payload != nil {
		m.NewEntities = slices.Clone(n.Payload.NewEntities)
		m.Cases = slices.Clone(n.Payload.Cases)
	}
	if m.Event == proactive.EventResolve {
		if len(m.Cases) == 0 {
			return m, proactive.Errorf(proactive.EINVALID, "resolved message %s names no case", n.ID)
		}
		return m, nil
	}
	a, err := w.opts.Store.GetAlert(ctx, n.AlertID)
	switch {
	case err == nil:
		m.Alert = &a
		return m, nil
	case proactive.ErrorCode(err) == proactive.ENOTFOUND:
		return m, proactive.Errorf(proactive.ENOTFOUND, "alert %s no longer exists", n.AlertID)
	}
	return m, fmt.Errorf("load alert %s: %w", n.AlertID, err)
}

// fail records a failed attempt of notifications delivered together. The
// ones worth retrying are pending again at one shared time, now + Backoff
// (at least the peer's Retry-After), so that they are claimed, and
// delivered, together again (one email per scan); the others are failed for
// good.
func (w *Worker) fail(ctx context.Context, ns []proactive.Notification, retry bool, cause error, st *drainState) {
	var retryAt time.Time
	if retry {
		attempts := 0
		for _, n := range ns {
			attempts = max(attempts, n.Attempts)
		}
		delay := w.opts.Backoff(attempts)
		if after, ok := retryAfter(cause); ok {
			delay = max(delay, min(after, BackoffMax))
		}
		retryAt = w.opts.Now().Add(delay)
	}
	for _, n := range ns {
		w.finish(ctx, n, retry, cause, retryAt, st)
	}
}

// complete records a delivered notification.
func (w *Worker) complete(ctx context.Context, n proactive.Notification, took time.Duration, st *drainState) {
	wctx, cancel := writeContext(ctx)
	defer cancel()
	if err := w.opts.Store.CompleteNotification(wctx, n.ID, n.Attempts, w.opts.Now()); err != nil {
		// The peer has it; the lease will expire and it may be sent again.
		w.opts.Logger.Error("notification delivered but not recorded; it may be sent again after its lease",
			w.attrs(n, "error", err.Error())...)
		return
	}
	w.opts.Logger.Info("notification delivered", w.attrs(n, "duration", took.Round(time.Millisecond).String())...)
	w.observe(n.Channel, OutcomeDelivered)
	st.record(n, OutcomeDelivered, time.Time{}, "")
}

// finish records one notification's failed attempt: pending again at
// retryAt, or failed for good when the failure is not worth retrying or
// the attempts are used up.
func (w *Worker) finish(ctx context.Context, n proactive.Notification, retry bool, cause error, at time.Time, st *drainState) {
	msg := cause.Error()
	var retryAt *time.Time
	outcome := OutcomeFailed
	switch {
	case !retry:
		msg = "not retried: " + msg
	case n.Attempts >= w.opts.MaxAttempts:
		msg = fmt.Sprintf("gave up after %d attempts: %s", n.Attempts, msg)
	default:
		retryAt, outcome = &at, OutcomeRetry
	}
	wctx, cancel := writeContext(ctx)
	defer cancel()
	if err := w.opts.Store.FailNotification(wctx, n.ID, n.Attempts, msg, retryAt); err != nil {
		if proactive.ErrorCode(err) == proactive.ECONFLICT {
			w.opts.Logger.Warn("notification failed after its lease ran out; another worker has it now",
				w.attrs(n, "error", msg)...)
			return
		}
		w.opts.Logger.Error("notification failed and the failure was not recorded; it is retried after its lease",
			w.attrs(n, "error", msg, "store_error", err.Error())...)
		return
	}
	if retryAt != nil {
		w.opts.Logger.Warn("notification failed; will retry",
			w.attrs(n, "error", msg, "retry_at", retryAt.UTC().Format(time.RFC3339))...)
		st.record(n, outcome, *retryAt, msg)
	} else {
		w.opts.Logger.Error("notification failed for good", w.attrs(n, "error", msg)...)
		st.record(n, outcome, time.Time{}, msg)
	}
	w.observe(n.Channel, outcome)
}

// release puts claimed notifications back to pending at once, keeping their
// last error: they were not (completely) attempted.
func (w *Worker) release(ctx context.Context, ns []proactive.Notification, st *drainState) {
	wctx, cancel := writeContext(ctx)
	defer cancel()
	now := w.opts.Now()
	for _, n := range ns {
		if err := w.opts.Store.FailNotification(wctx, n.ID, n.Attempts, n.LastError, &now); err != nil {
			if proactive.ErrorCode(err) == proactive.ECONFLICT {
				w.opts.Logger.Info("notification interrupted after its lease ran out; another worker has it now", w.attrs(n)...)
				continue
			}
			w.opts.Logger.Warn("notification interrupted; it is retried after its lease",
				w.attrs(n, "store_error", err.Error())...)
			continue
		}
		w.opts.Logger.Info("notification interrupted; pending again", w.attrs(n)...)
		w.observe(n.Channel, OutcomeRetry)
		st.record(n, OutcomeRetry, now, "")
	}
}

func (w *Worker) observe(channel, outcome string) {
	if w.opts.OnDelivery != nil {
		w.opts.OnDelivery(channel, outcome)
	}
}

func (w *Worker) attrs(n proactive.Notification, more ...any) []any {
	attrs := []any{"channel", n.Channel, "notification_id", n.ID, "event", cmp.Or(n.Event, proactive.EventAlert)}
	if n.AlertID != "" {
		attrs = append(attrs, "alert_id", n.AlertID)
	}
	if n.Recipient != "" {
		attrs = append(attrs, "recipient", n.Recipient)
	}
	return append(attrs, append([]any{"priority", string(n.Priority), "attempt", n.Attempts}, more...)...)
}

// writeContext bounds an outbox write that must happen even when ctx has
// just ended (recording the outcome of a send that already happened).
func writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// batchesByScan reports whether n wants one call per scan.
func batchesByScan(n Notifier) bool {
	b, ok := n.(ScanBatcher)
	return ok && b.BatchesByScan()
}

// groupNotifications splits a claim into Notify calls: one per notification,
// or, when byScan, one per scan id and recipient (in the order of first
// appearance; a notification without a scan id goes alone).
func groupNotifications(ns []proactive.Notification, byScan bool) [][]proactive.Notification {
	var groups [][]proactive.Notification
	index := map[string]int{}
	for _, n := range ns {
		if byScan && n.ScanID != "" {
			k := groupKey(n)
			if i, ok := index[k]; ok {
				groups[i] = append(groups[i], n)
				continue
			}
			index[k] = len(groups)
		}
		groups = append(groups, []proactive.Notification{n})
	}
	return groups
}

// groupKey is what the notifications of one batched call share: the scan
// and the recipient.
func groupKey(n proactive.Notification) string {
	return n.ScanID + "\x00" + n.Recipient
}
