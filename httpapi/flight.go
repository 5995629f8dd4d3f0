package httpapi

import (
	"context"
	"fmt"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// flight is one running scan; done is closed when res and err are set.
type flight struct {
	trigger string
	started time.Time
	waiters int // callers that joined it (guarded by Server.mu)
	done    chan struct{}
	res     proactive.ScanResult
	err     error
}

// errDraining answers scan triggers during shutdown.
func errDraining() error {
	return proactive.Errorf(proactive.EUNAVAILABLE, "the server is shutting down: try again in a moment (another replica may answer)")
}

// Scan runs a scan for trigger, or — when one is already running in this
// process — waits for the running one and returns its result (joined is
// then true). The scan runs on the server's context, bounded by
// Options.ScanTimeout: cancelling ctx only stops the waiting.
func (s *Server) Scan(ctx context.Context, trigger string) (res proactive.ScanResult, joined bool, err error) {
	f, started, err := s.startScan(trigger, true)
	if err != nil {
		return proactive.ScanResult{}, false, err
	}
	res, err = s.wait(ctx, f)
	return res, !started, err
}

// TryScan runs a scan for trigger unless one is already running in this
// process; then it returns an ECONFLICT error at once. The scheduler uses
// it: a tick never queues a second scan.
func (s *Server) TryScan(ctx context.Context, trigger string) (proactive.ScanResult, error) {
	f, _, err := s.startScan(trigger, false)
	if err != nil {
		return proactive.ScanResult{}, err
	}
	return s.wait(ctx, f)
}

// ScanRunning reports whether a scan is running in this process.
func (s *Server) ScanRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current != nil
}

// Busy reports whether this process cannot start a scan now: one is
// running, or the server is shutting down. It is the schedule's
// Options.Busy: a busy replica leaves the tick unclaimed for the others,
// so a tick that falls during a shutdown is not lost.
func (s *Server) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current != nil || s.draining
}

// wait waits for f or for ctx.
func (s *Server) wait(ctx context.Context, f *flight) (proactive.ScanResult, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return proactive.ScanResult{}, ctx.Err()
	}
}

// startScan returns the running flight (join) or starts a new one. started
// says whether this call started it.
func (s *Server) startScan(trigger string, join bool) (f *flight, started bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return nil, false, errDraining()
	}
	if s.current != nil {
		if join {
			s.current.waiters++
			return s.current, false, nil
		}
		return nil, false, proactive.Errorf(proactive.ECONFLICT,
			"a scan is already running in this process (started by %s at %s)", s.current.trigger, s.current.started.UTC().Format(time.RFC3339))
	}
	f = &flight{trigger: trigger, started: s.now(), done: make(chan struct{})}
	s.current = f
	s.scans.Add(1)
	go func() {
		defer s.scans.Done()
		s.run(f)
	}()
	return f, true, nil
}

// run runs the flight's scan, records its metrics, publishes its events
// and releases the guard.
func (s *Server) run(f *flight) {
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ScanTimeout)
	defer cancel()
	s.metrics.ScanStarted()
	s.events.publish(eventScan, scanEvent{State: "running", Trigger: f.trigger})
	start := time.Now()
	res, err := s.callScan(ctx, f.trigger)
	d := time.Since(start)
	if err == nil && !res.Success {
		err = proactive.Errorf(proactive.EINTERNAL, "the scan did not succeed: %s", res.Error)
	}
	s.metrics.ObserveScan(res, d, err)
	if err != nil {
		s.log.Error("scan failed", "trigger", f.trigger, "error", err, "duration_ms", d.Milliseconds())
	}

	f.res, f.err = res, err
	s.mu.Lock()
	s.current = nil
	s.mu.Unlock()
	close(f.done)

	s.events.publish(eventScan, scanEvent{State: "done", Trigger: f.trigger, Success: err == nil, AlertsSaved: res.AlertsSaved})
	s.alertsChanged("scan")
}

// callScan calls Options.Scan, turning a panic into an error so that the
// guard is always released.
func (s *Server) callScan(ctx context.Context, trigger string) (res proactive.ScanResult, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = proactive.Errorf(proactive.EINTERNAL, "the scan panicked: %v", v)
		}
	}()
	res, err = s.opts.Scan(ctx, trigger)
	if err != nil {
		err = fmt.Errorf("scan: %w", err)
	}
	return res, err
}
