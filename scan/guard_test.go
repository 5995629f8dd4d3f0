package scan_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// blocking is a RunFunc that waits for release (or its context).
type blocking struct {
	started chan string
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{started: make(chan string, 8), release: make(chan struct{})}
}

func (b *blocking) run(ctx context.Context, trigger string) (proactive.ScanResult, error) {
	b.started <- trigger
	select {
	case <-b.release:
		return proactive.ScanResult{Success: true, AlertsSaved: 1}, nil
	case <-ctx.Done():
		return proactive.ScanResult{}, ctx.Err()
	}
}

// recorder is an Observer.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) ScanStarted(trigger string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "start "+trigger)
}

func (r *recorder) ScanFinished(trigger string, _ proactive.ScanResult, _ time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := "done " + trigger
	if err != nil {
		e += " failed"
	}
	r.events = append(r.events, e)
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func TestGuardOneScanAtATime(t *testing.T) {
	t.Parallel()
	b := newBlocking()
	g := scan.NewGuard(b.run, scan.GuardOptions{})
	var rec recorder
	g.Observe(&rec)
	require.False(t, g.Busy())

	type answer struct {
		res    proactive.ScanResult
		joined bool
		err    error
	}
	answers := make(chan answer, 2)
	go func() { r, j, err := g.Do(context.Background(), "http"); answers <- answer{r, j, err} }()
	require.Equal(t, "http", <-b.started)
	require.True(t, g.Running())
	require.True(t, g.Busy())

	go func() { r, j, err := g.Do(context.Background(), "dashboard"); answers <- answer{r, j, err} }()
	require.Eventually(t, func() bool { return g.Joined() == 1 }, 5*time.Second, time.Millisecond)
	_, err := g.Try(context.Background(), scan.TriggerSchedule)
	require.Equal(t, proactive.ECONFLICT, proactive.ErrorCode(err), "the schedule never queues a second scan")

	// A caller that stops waiting does not stop the scan.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = g.Do(gone, "impatient")
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, g.Running())

	close(b.release)
	a1, a2 := <-answers, <-answers
	require.NoError(t, a1.err)
	require.NoError(t, a2.err)
	require.Equal(t, 1, a1.res.AlertsSaved)
	require.Equal(t, a1.res, a2.res, "the joined caller gets the running scan's result")
	require.ElementsMatch(t, []bool{false, true}, []bool{a1.joined, a2.joined})
	require.Eventually(t, func() bool { return len(rec.get()) == 2 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []string{"start http", "done http"}, rec.get())
	require.Len(t, b.started, 0, "one scan for every caller")
	require.False(t, g.Running())
}

func TestGuardShutdown(t *testing.T) {
	t.Parallel()
	b := newBlocking()
	g := scan.NewGuard(b.run, scan.GuardOptions{})
	done := make(chan error, 1)
	go func() { _, err := g.Try(context.Background(), "schedule"); done <- err }()
	<-b.started

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := g.Shutdown(ctx)
	require.ErrorIs(t, err, scan.ErrScanCancelled, "the scan outlived the shutdown and was cancelled")
	require.ErrorIs(t, <-done, context.Canceled)
	require.True(t, g.Busy(), "a draining guard is busy: the schedule leaves the tick to other replicas")
	_, _, err = g.Do(context.Background(), "http")
	require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
	require.NoError(t, g.Shutdown(context.Background()), "again is harmless")
}

func TestGuardPanicAndFailure(t *testing.T) {
	t.Parallel()
	g := scan.NewGuard(func(context.Context, string) (proactive.ScanResult, error) { panic("boom") }, scan.GuardOptions{})
	_, err := g.Try(context.Background(), "http")
	require.Contains(t, err.Error(), "the scan panicked: boom")
	require.False(t, g.Running(), "the guard is released")

	g = scan.NewGuard(func(context.Context, string) (proactive.ScanResult, error) {
		return proactive.ScanResult{Success: false, Error: "no database"}, nil
	}, scan.GuardOptions{})
	_, err = g.Try(context.Background(), "http")
	require.Contains(t, err.Error(), "the scan did not succeed: no database")

	g = scan.NewGuard(func(ctx context.Context, _ string) (proactive.ScanResult, error) {
		<-ctx.Done()
		return proactive.ScanResult{}, ctx.Err()
	}, scan.GuardOptions{Timeout: 20 * time.Millisecond})
	_, err = g.Try(context.Background(), "http")
	require.True(t, errors.Is(err, context.DeadlineExceeded), "bounded by the guard's timeout")
}
