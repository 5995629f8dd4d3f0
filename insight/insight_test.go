package insight

import (
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// testNow is the scan's now in every insight test.
var testNow = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)

// anom makes an anomaly with just what grouping and analysis read: its
// metric goes both to Metric and to Details under the contract's key.
func anom(typ proactive.AnomalyType, sev proactive.Severity, entity string, urgency int, metric float64) proactive.Anomaly {
	return proactive.Anomaly{
		Type: typ, Severity: sev, Entity: entity, EntityKey: entity,
		UrgencyScore: urgency, Metric: metric,
		Details:           map[string]any{metricKey(typ): metric},
		RecommendedAction: "Act on " + entity + ".",
		DetectedAt:        testNow,
	}
}

// withDetail returns a with one more Details entry.
func withDetail(a proactive.Anomaly, key string, v any) proactive.Anomaly {
	d := make(map[string]any, len(a.Details)+1)
	for k, x := range a.Details {
		d[k] = x
	}
	d[key] = v
	a.Details = d
	return a
}

// entities lists the entities of anomalies in order.
func entities(as []proactive.Anomaly) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Entity)
	}
	return out
}

// groupOf groups anomalies that must all be of one type and returns the group.
func groupOf(as ...proactive.Anomaly) proactive.AlertGroup {
	gs := Group(as)
	if len(gs) != 1 {
		panic("groupOf: anomalies of more than one type")
	}
	return gs[0]
}

const (
	crit = proactive.SeverityCritical
	high = proactive.SeverityHigh
	med  = proactive.SeverityMedium
	low  = proactive.SeverityLow
)
