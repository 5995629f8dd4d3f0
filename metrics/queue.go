package metrics

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
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
