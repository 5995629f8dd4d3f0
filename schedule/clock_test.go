package schedule_test

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand: Now and After for
// schedule.Options. Nothing happens between two Advance calls but what the
// test lets happen, so tick tests need no sleeps and take no real time.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	changed chan struct{} // closed (and replaced) when a waiter is added
}

// fakeWaiter is one After call not yet due.
type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

// newFakeClock returns a clock reading at.
func newFakeClock(at time.Time) *fakeClock {
	return &fakeClock{now: at, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives once the clock has been advanced
// by d (at once when d is not positive).
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// Advance moves the clock by d and wakes the waiters now due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// BlockUntil waits until n goroutines wait on the clock: every scheduler
// has handled what was due and waits for its next moment.
func (c *fakeClock) BlockUntil(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		waiting, changed := len(c.waiters), c.changed
		c.mu.Unlock()
		if waiting >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("fake clock: %d goroutines wait, want %d", waiting, n)
		}
	}
}

// Run moves the clock on by total in steps, each once the n schedulers
// wait on it: the ticks and retries due in between happen one after the
// other, as they would in real time, only faster.
func (c *fakeClock) Run(t *testing.T, n int, total, step time.Duration) {
	t.Helper()
	for elapsed := time.Duration(0); elapsed < total; elapsed += step {
		c.BlockUntil(t, n)
		c.Advance(step)
	}
	c.BlockUntil(t, n)
}

// start is the clock's reading at the start of the tick tests: half a
// second before a tick of everySecond.
var start = time.Date(2025, 12, 10, 12, 0, 0, 5e8, time.UTC)
