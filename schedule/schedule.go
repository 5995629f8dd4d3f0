// Package schedule is ptd-proactive's built-in scheduler: it runs the scan
// on a cron expression (default every 15 minutes, CONTRACT §8).
//
// Several replicas may share one database; exactly one of them runs each
// tick. The mechanism is the database's own: every replica computes the same
// tick time (the schedule time, not the moment its timer fired) and calls
// RunStore.ClaimTick(name, tick), an INSERT into ptd_schedule_ticks whose
// primary key (name, tick) lets exactly one insert succeed — PostgreSQL's
// unique constraint does the election, no lease or leader is kept. The
// replica whose insert succeeded runs the scan; the others skip the tick.
//
// Within one process a scan is never started twice: a tick that finds a
// scan running (Options.Busy) is left unclaimed for the other replicas, and
// the scheduler runs its own ticks one after the other (a tick that falls
// while a scan runs is skipped and logged).
//
// When the database is briefly down at a tick, the claim is retried with
// backoff (each attempt bounded by claimTimeout) for up to
// Options.ClaimRetry and never past the next tick: the tick then runs late
// rather than not at all. The retries claim the same (name, tick), so
// several replicas retrying at once still run it once.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/metrics"
)

// DefaultSpec is the default schedule: every 15 minutes.
const DefaultSpec = "*/15 * * * *"

// Off is the schedule setting that disables the built-in schedule.
const Off = "off"

// DefaultName is the name under which ticks are claimed when Options.Name is empty.
const DefaultName = "scan"

// DefaultStopTimeout bounds how long Stop waits for a running scan.
const DefaultStopTimeout = 30 * time.Second

// DefaultClaimRetry is how long a tick whose claim fails (the database
// does not answer) is retried, unless the next tick comes first.
const DefaultClaimRetry = 5 * time.Minute

// Backoff of the claim retries, and the bound of one claim attempt (a
// database that does not answer at all must not hold the loop).
const (
	claimBackoffMin = 200 * time.Millisecond
	claimBackoffMax = 30 * time.Second
	claimTimeout    = 10 * time.Second
)

// Options configure a Scheduler.
type Options struct {
	// Spec is the cron expression: 5 fields (minute hour day month
	// weekday), or 6 with a leading seconds field, or a descriptor
	// (@hourly, @daily, @every 10m). Times are those of Now's location
	// unless the spec starts with CRON_TZ=<zone>. Empty means DefaultSpec.
	Spec string
	// Store claims the ticks. Required.
	Store proactive.RunStore
	// Run runs one scan; its context carries the tick (see Tick). Required.
	// An error whose code is proactive.ECONFLICT means "a scan was already
	// running" and is logged as a skipped tick, not as a failure.
	Run func(ctx context.Context) error
	// Busy reports whether this process cannot scan now (a scan is
	// running, or it is shutting down: httpapi.Server.Busy); such a tick is
	// skipped without being claimed, so another replica may run it.
	// Optional.
	Busy func() bool
	// Logger receives one record per tick; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After waits on the same clock as Now: it returns a channel that
	// receives once d has passed (the wait for the next tick, and between
	// claim retries). nil means time.After. Tests pass a fake clock's, to
	// move time by hand.
	After func(d time.Duration) <-chan time.Time
	// Name names the schedule in ptd_schedule_ticks; replicas that must
	// share ticks use the same name. Empty means DefaultName.
	Name string
	// StopTimeout bounds how long Stop waits for a running scan before it
	// cancels it; 0 means DefaultStopTimeout.
	StopTimeout time.Duration
	// Metrics counts the ticks by outcome; optional.
	Metrics *metrics.Metrics
	// ClaimRetry is how long a claim that fails (the database briefly
	// down) is retried, with backoff, before the tick is given up; never
	// past the next tick. 0 means DefaultClaimRetry; negative means no retry.
	ClaimRetry time.Duration
}

// Scheduler runs Options.Run on every tick of a cron schedule that this
// replica claims. Start and Stop may each be called more than once.
type Scheduler struct {
	opts  Options
	sched cron.Schedule
	log   *slog.Logger

	mu      sync.Mutex
	started bool
	stop    context.CancelFunc // stops the loop: no new ticks
	abort   context.CancelFunc // cancels a running scan
	done    chan struct{}      // closed when the loop has returned
}

// Validate reports whether spec is a schedule this package can run: a cron
// expression or Off. The error names the setting and says what to write.
func Validate(spec string) error {
	if strings.TrimSpace(spec) == Off {
		return nil
	}
	_, err := parse(spec)
	return err
}

// parse parses spec and rejects schedules that never fire. It reads
// standard 5-field cron expressions, an optional leading seconds field (6
// fields, for tests and fast schedules), descriptors such as @hourly and
// @every <duration>, and a CRON_TZ=<zone> prefix.
func parse(spec string) (cron.Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		s = DefaultSpec
	}
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	sched, err := p.Parse(s)
	if err != nil {
		return nil, proactive.Errorf(proactive.EINVALID,
			"schedule %q: %v: use a cron expression such as %q (minute hour day month weekday), or %q to disable the schedule",
			spec, err, DefaultSpec, Off)
	}
	if d, ok := sched.(cron.ConstantDelaySchedule); ok {
		// robfig rounds the interval down to whole seconds, at least 1s.
		return alignedEvery{d.Delay}, nil
	}
	if sched.Next(time.Now()).IsZero() {
		return nil, proactive.Errorf(proactive.EINVALID, "schedule %q never fires: use a date that exists, such as %q", spec, DefaultSpec)
	}
	return sched, nil
}

// alignedEvery is @every <d> aligned on multiples of d (time.Truncate), so
// that every replica computes the same tick times — robfig's
// ConstantDelaySchedule counts from whenever each process started. An
// interval that divides a day ticks on the clock: @every 10m at :00, :10, …
type alignedEvery struct{ d time.Duration }

// Next returns the first multiple of d after t.
func (e alignedEvery) Next(t time.Time) time.Time {
	return t.Truncate(e.d).Add(e.d)
}

// New returns a Scheduler, or an EINVALID error naming what is wrong.
func New(opts Options) (*Scheduler, error) {
	if opts.Store == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "schedule: a run store is required")
	}
	if opts.Run == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "schedule: a run function is required")
	}
	if strings.TrimSpace(opts.Spec) == Off {
		return nil, proactive.Errorf(proactive.EINVALID, "schedule is %q: do not start a scheduler", Off)
	}
	sched, err := parse(opts.Spec)
	if err != nil {
		return nil, err
	}
	if opts.Spec == "" {
		opts.Spec = DefaultSpec
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.ClaimRetry == 0 {
		opts.ClaimRetry = DefaultClaimRetry
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{
		opts:  opts,
		sched: sched,
		log:   log.With("schedule", opts.Name, "spec", opts.Spec),
	}, nil
}

// Next returns the first tick after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.sched.Next(t) }

// Start starts the loop in a goroutine owned by s. It returns at once; a
// second call does nothing. Cancelling ctx stops new ticks, but a scan
// already running goes on until it ends or Stop cancels it: the scan's
// context does not inherit ctx's cancellation (only its values).
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	loopCtx, stop := context.WithCancel(ctx)
	runCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.abort = stop, abort
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.loop(loopCtx, runCtx)
	}()
	s.log.InfoContext(ctx, "schedule started", "next", s.sched.Next(s.opts.Now()))
}

// Stop stops the loop and waits for a running scan, at most
// Options.StopTimeout; after that it cancels the scan and waits for it to
// return. It is safe to call twice, and before Start.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	started, stop, abort, done := s.started, s.stop, s.abort, s.done
	s.mu.Unlock()
	if !started {
		return
	}
	stop()
	timer := time.NewTimer(s.opts.StopTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.Warn("schedule: the running scan outlived the stop timeout; cancelling it", "timeout", s.opts.StopTimeout)
		abort()
		<-done
	}
	abort()
}

// loop waits for each tick and handles it, until ctx is cancelled.
func (s *Scheduler) loop(ctx, runCtx context.Context) {
	next := s.sched.Next(s.opts.Now())
	for {
		select {
		case <-ctx.Done():
			s.log.Info("schedule stopped")
			return
		case <-s.opts.After(next.Sub(s.opts.Now())):
		}
		tick := next
		s.handle(ctx, runCtx, tick)
		next = s.sched.Next(s.opts.Now())
		if !next.After(tick) { // the clock went back: never handle a tick twice
			next = s.sched.Next(tick)
		}
		if missed := s.sched.Next(tick); missed.Before(next) && ctx.Err() == nil {
			s.log.Warn("schedule: ticks passed while the previous one was handled (its scan, or retried claims); they are skipped",
				"first_missed", missed, "next", next)
		}
	}
}

// tickKey carries the tick in the run's context.
type tickKey struct{}

// Tick returns the schedule time of the tick a Run call is for.
func Tick(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(tickKey{}).(time.Time)
	return t, ok
}

// claim claims tick. A failed attempt (the database briefly down, say) is
// retried with exponential backoff while the retry window lasts: at most
// Options.ClaimRetry after the tick, and never past the next tick, so that
// retries never pile up over the following ticks. It returns the last
// error when the window closes or ctx is cancelled.
func (s *Scheduler) claim(ctx context.Context, log *slog.Logger, tick time.Time) (bool, error) {
	deadline := tick.Add(max(s.opts.ClaimRetry, 0))
	if next := s.sched.Next(tick); next.Before(deadline) {
		deadline = next
	}
	backoff := claimBackoffMin
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, claimTimeout)
		claimed, err := s.opts.Store.ClaimTick(actx, s.opts.Name, tick)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.InfoContext(ctx, "schedule tick claim answered after retries", "attempts", attempt, "claimed", claimed)
			}
			return claimed, nil
		}
		if ctx.Err() != nil || !s.opts.Now().Add(backoff).Before(deadline) {
			return false, err
		}
		log.WarnContext(ctx, "schedule tick not claimed yet (a database error): retrying",
			"attempt", attempt, "retry_in", backoff.String(), "error", err)
		select {
		case <-ctx.Done():
			return false, err
		case <-s.opts.After(backoff):
		}
		backoff = min(2*backoff, claimBackoffMax)
	}
}

// handle claims one tick and runs the scan when this replica won it.
func (s *Scheduler) handle(ctx, runCtx context.Context, tick time.Time) {
	log := s.log.With("tick", tick.UTC())
	if s.opts.Busy != nil && s.opts.Busy() {
		s.opts.Metrics.ObserveTick(metrics.TickBusy)
		log.InfoContext(ctx, "schedule tick left to other replicas: this process is busy (a scan is running, or it is shutting down)")
		return
	}
	claimed, err := s.claim(ctx, log, tick)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s.opts.Metrics.ObserveTick(metrics.TickError)
		log.ErrorContext(ctx, "schedule tick not claimed: "+proactive.ErrorMessage(err), "error", err)
		return
	}
	if !claimed {
		s.opts.Metrics.ObserveTick(metrics.TickTaken)
		log.DebugContext(ctx, "schedule tick taken by another replica")
		return
	}
	log.InfoContext(ctx, "schedule tick claimed: running the scan")
	start := time.Now()
	err = s.opts.Run(context.WithValue(runCtx, tickKey{}, tick))
	switch {
	case err == nil:
		s.opts.Metrics.ObserveTick(metrics.TickRan)
		log.InfoContext(ctx, "schedule tick done", "duration_ms", time.Since(start).Milliseconds())
	case proactive.ErrorCode(err) == proactive.ECONFLICT:
		s.opts.Metrics.ObserveTick(metrics.TickBusy)
		log.InfoContext(ctx, "schedule tick skipped: "+proactive.ErrorMessage(err))
	case errors.Is(err, context.Canceled):
		s.opts.Metrics.ObserveTick(metrics.TickRunFailed)
		log.WarnContext(ctx, "schedule tick: the scan was cancelled", "error", err)
	default:
		s.opts.Metrics.ObserveTick(metrics.TickRunFailed)
		log.ErrorContext(ctx, fmt.Sprintf("schedule tick: the scan failed: %s", proactive.ErrorMessage(err)), "error", err)
	}
}
