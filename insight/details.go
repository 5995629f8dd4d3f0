package insight

import (
	"encoding/json"
	"fmt"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// metricKey names, per type, the Details key holding the figure the
// severity was judged on.
func metricKey(t proactive.AnomalyType) string {
	switch t {
	case proactive.HealthDrop:
		return "score_drop"
	case proactive.DealStall:
		return "days_stalled"
	case proactive.SyncFail:
		return "failure_count"
	case proactive.ResponseDelay:
		return "hours_waiting"
	}
	return ""
}

// metric is the figure an anomaly was judged on: its Details entry under
// the contract's key when present (Details may have been through JSON),
// else Metric.
func metric(a proactive.Anomaly) float64 {
	if v, ok := number(a.Details, metricKey(a.Type)); ok {
		return v
	}
	return a.Metric
}

// number reads a numeric Details entry of any of the types Go or JSON
// decoding gives.
func number(d map[string]any, key string) (float64, bool) {
	switch v := d[key].(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// text reads a Details entry as text: "" when absent or null.
func text(a proactive.Anomaly, key string) string {
	switch v := a.Details[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}
