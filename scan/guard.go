package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Triggers: who asked for a scan (recorded with its run).
const (
	TriggerCLI       = "cli"
	TriggerHTTP      = "http"
	TriggerDashboard = "dashboard"
	TriggerSchedule  = "schedule"
	TriggerDemo      = "demo"
)

// DefaultScanTimeout bounds one scan run by a Guard.
const DefaultScanTimeout = 10 * time.Minute

// RunFunc runs one scan for a trigger (a Scanner's Run, in production).
type RunFunc func(ctx context.Context, trigger string) (proactive.ScanResult, error)

// ForScanner is the RunFunc of a Scanner: a scan at the wall clock's now.
func ForScanner(s *Scanner) RunFunc {
	return func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
		return s.Run(ctx, Params{Trigger: trigger})
	}
}

// Observer is told when a guarded scan starts and ends (metrics, the
// dashboard's live updates).
type Observer interface {
	ScanStarted(trigger string)
	ScanFinished(trigger string, res proactive.ScanResult, d time.Duration, err error)
}

// Guard runs scans one at a time in this process (the HTTP triggers, the
// dashboard's button and the schedule share one): a trigger that arrives
// while one runs joins it (Do) or is refused (Try). It owns the scan's
// goroutine, which runs on the guard's own context bounded by a timeout —
// a caller that stops waiting does not stop the scan — and it stops them
// on Shutdown. Across processes the desk lock makes scans take turns.
type Guard struct {
	run     RunFunc
	timeout time.Duration
	now     func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	current   *flight
	draining  bool
	observers []Observer
}

// GuardOptions configure a Guard.
type GuardOptions struct {
	// Timeout bounds one scan; 0 means DefaultScanTimeout.
	Timeout time.Duration
	// Now is the clock of a flight's start; nil means time.Now.
	Now func() time.Time
}

// NewGuard returns a Guard over run.
func NewGuard(run RunFunc, o GuardOptions) *Guard {
	if o.Timeout <= 0 {
		o.Timeout = DefaultScanTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Guard{run: run, timeout: o.Timeout, now: o.Now, ctx: ctx, cancel: cancel}
}

// Timeout is how long one scan may run.
func (g *Guard) Timeout() time.Duration { return g.timeout }

// Observe adds an observer of every scan that starts from now on.
func (g *Guard) Observe(o Observer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.observers = append(g.observers, o)
}

// flight is one running scan; done is closed when res and err are set.
type flight struct {
	trigger string
	started time.Time
	joined  int // callers that joined it (guarded by Guard.mu)
	done    chan struct{}
	res     proactive.ScanResult
	err     error
}

// errDraining answers scan triggers during shutdown.
func errDraining() error {
	return proactive.Errorf(proactive.EUNAVAILABLE, "the server is shutting down: try again in a moment (another replica may answer)")
}

// Do runs a scan for trigger or, when one is already running in this
// process, waits for it and returns its result (joined is then true).
// Cancelling ctx only stops the waiting.
func (g *Guard) Do(ctx context.Context, trigger string) (res proactive.ScanResult, joined bool, err error) {
	f, started, err := g.start(trigger, true)
	if err != nil {
		return proactive.ScanResult{}, false, err
	}
	res, err = wait(ctx, f)
	return res, !started, err
}

// Try runs a scan for trigger unless one is already running in this
// process; then it returns an ECONFLICT error at once. The scheduler uses
// it: a tick never queues a second scan.
func (g *Guard) Try(ctx context.Context, trigger string) (proactive.ScanResult, error) {
	f, _, err := g.start(trigger, false)
	if err != nil {
		return proactive.ScanResult{}, err
	}
	return wait(ctx, f)
}

// Running reports whether a scan is running in this process.
func (g *Guard) Running() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.current != nil
}

// Joined is the number of callers waiting for the running scan besides
// the one that started it; 0 when none runs.
func (g *Guard) Joined() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.current == nil {
		return 0
	}
	return g.current.joined
}

// Busy reports whether this process cannot start a scan now: one is
// running, or it is shutting down. It is the schedule's Options.Busy: a
// busy replica leaves the tick unclaimed for the others, so a tick that
// falls during a shutdown is not lost.
func (g *Guard) Busy() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.current != nil || g.draining
}

// Draining reports whether the guard refuses new scans.
func (g *Guard) Draining() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.draining
}

// wait waits for f or for ctx.
func wait(ctx context.Context, f *flight) (proactive.ScanResult, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return proactive.ScanResult{}, ctx.Err()
	}
}

// start returns the running flight (join) or starts a new one. started
// says whether this call started it.
func (g *Guard) start(trigger string, join bool) (f *flight, started bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.draining {
		return nil, false, errDraining()
	}
	if g.current != nil {
		if join {
			g.current.joined++
			return g.current, false, nil
		}
		return nil, false, proactive.Errorf(proactive.ECONFLICT,
			"a scan is already running in this process (started by %s at %s)", g.current.trigger, g.current.started.UTC().Format(time.RFC3339))
	}
	f = &flight{trigger: trigger, started: g.now(), done: make(chan struct{})}
	g.current = f
	observers := append([]Observer(nil), g.observers...)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.fly(f, observers)
	}()
	return f, true, nil
}

// fly runs the flight's scan, tells the observers and releases the guard.
func (g *Guard) fly(f *flight, observers []Observer) {
	ctx, cancel := context.WithTimeout(g.ctx, g.timeout)
	defer cancel()
	for _, o := range observers {
		o.ScanStarted(f.trigger)
	}
	start := time.Now()
	res, err := g.call(ctx, f.trigger)
	d := time.Since(start)
	if err == nil && !res.Success {
		err = proactive.Errorf(proactive.EINTERNAL, "the scan did not succeed: %s", res.Error)
	}
	f.res, f.err = res, err
	g.mu.Lock()
	g.current = nil
	g.mu.Unlock()
	close(f.done)
	for _, o := range observers {
		o.ScanFinished(f.trigger, res, d, err)
	}
}

// call runs the scan, turning a panic into an error so that the guard is
// always released.
func (g *Guard) call(ctx context.Context, trigger string) (res proactive.ScanResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = proactive.Errorf(proactive.EINTERNAL, "the scan panicked: %v", v)
		}
	}()
	res, err = g.run(ctx, trigger)
	if err != nil {
		err = fmt.Errorf("scan: %w", err)
	}
	return res, err
}

// Drain makes the guard refuse new scans; a running one goes on.
func (g *Guard) Drain() {
	g.mu.Lock()
	g.draining = true
	g.mu.Unlock()
}

// ErrScanCancelled says a running scan outlived a shutdown and was cancelled.
var ErrScanCancelled = errors.New("the running scan outlived the shutdown timeout and was cancelled")

// Shutdown drains the guard and waits for a running scan until ctx is
// done; then it cancels the scan and waits for it to stop. It returns an
// error wrapping ErrScanCancelled and ctx's error when the scan had to be
// cancelled. Calling it again is harmless.
func (g *Guard) Shutdown(ctx context.Context) error {
	g.Drain()
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	var err error
	if g.Running() {
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("%w: %w", ErrScanCancelled, ctx.Err())
		}
	}
	g.cancel()
	<-done
	return err
}
