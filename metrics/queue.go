package metrics

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// queueCollector reports the notification outbox per status by calling a
// QueueFunc at scrape time.
type queueCollector struct {
	desc *prometheus.Desc

	mu sync.Mutex
	fn QueueFunc
}

// set replaces the function called at scrape time.
func (c *queueCollector) set(f QueueFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fn = f
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	fn := c.fn
	c.mu.Unlock()
	if fn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), QueueTimeout)
	defer cancel()
	counts, err := fn(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for status, n := range counts { // the registry sorts what it gathers
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(status))
	}
}

// CacheQueue returns a QueueFunc that answers f's last counts for ttl
// instead of calling f again. /metrics is public: without it, every
// request to it would read the outbox from the database. Concurrent
// scrapes share one call of f; an error is returned but not kept.
func CacheQueue(f QueueFunc, ttl time.Duration) QueueFunc {
	var (
		mu   sync.Mutex
		at   time.Time
		last map[proactive.NotificationStatus]int
	)
	return func(ctx context.Context) (map[proactive.NotificationStatus]int, error) {
		mu.Lock()
		defer mu.Unlock()
		if last == nil || time.Since(at) >= ttl {
			counts, err := f(ctx)
			if err != nil {
				return nil, err
			}
			last, at = counts, time.Now()
		}
		return maps.Clone(last), nil
	}
}
