package metrics

import (
	"maps"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// queueCollector reports the notification outbox per status by calling a
// QueueFunc at scrape time.
type queueCollector struct {
	scraped[map[proactive.NotificationStatus]int]
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	counts, ok := c.read(ch)
	if !ok {
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
	return cached(f, ttl, maps.Clone)
}
