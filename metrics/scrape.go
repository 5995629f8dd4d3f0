package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scraped is what a collector reads from the database at scrape time: the
// function to call, replaceable while the registry serves scrapes, and
// the metric description its errors are reported under.
type scraped[T any] struct {
	desc *prometheus.Desc

	mu sync.Mutex
	fn func(ctx context.Context) (T, error)
}

// set replaces the function called at scrape time; nil turns it off.
func (s *scraped[T]) set(f func(ctx context.Context) (T, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fn = f
}

// Describe implements prometheus.Collector.
func (s *scraped[T]) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// read calls the function with a context bounded by QueueTimeout. It
// reports false when there is none, or when it failed: then the failure
// is sent on ch as this metric's scrape error.
func (s *scraped[T]) read(ch chan<- prometheus.Metric) (T, bool) {
	s.mu.Lock()
	fn := s.fn
	s.mu.Unlock()
	var zero T
	if fn == nil {
		return zero, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), QueueTimeout)
	defer cancel()
	v, err := fn(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.desc, err)
		return zero, false
	}
	return v, true
}

// cached returns a function that answers f's last result for ttl instead
// of calling f again (/metrics is public: a scrape must not cost a
// database read each time), each caller getting its own copy (clone).
// Concurrent callers share one call of f; an error is returned but not
// kept.
func cached[T any](f func(ctx context.Context) (T, error), ttl time.Duration, clone func(T) T) func(ctx context.Context) (T, error) {
	var (
		mu   sync.Mutex
		at   time.Time
		last T
		ok   bool
	)
	return func(ctx context.Context) (T, error) {
		mu.Lock()
		defer mu.Unlock()
		if !ok || time.Since(at) >= ttl {
			v, err := f(ctx)
			if err != nil {
				var zero T
				return zero, err
			}
			last, at, ok = v, time.Now(), true
		}
		return clone(last), nil
	}
}
