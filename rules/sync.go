package rules

import (
	"fmt"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Sync finds the sync failures of CONTRACT §3 among the unresolved sync
// errors of the last 24 h, grouped by (source, error_type), both kept whole
// (rate_limit stays rate_limit). Fewer than SyncFailMedium failures is no
// anomaly. Anomalies come most urgent first
// (CompareAnomalies); nil when there are none.
func Sync(groups []proactive.SyncFailureGroup, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(groups)) // stores usually pre-filter: most are anomalies
	for i := range groups {
		g := &groups[i]
		sev, ok := SyncSeverity(g.Count, th)
		if !ok {
			continue
		}
		display := SourceDisplayName(g.Source)
		out = append(out, proactive.Anomaly{
			Type:      proactive.SyncFail,
			Severity:  sev,
			Entity:    display + " - " + g.ErrorType,
			EntityKey: g.Source + "_" + g.ErrorType,
			Details: map[string]any{
				"source":        g.Source,
				"error_type":    g.ErrorType,
				"failure_count": g.Count,
				"latest_error":  orNil(g.LatestMessage),
			},
			Metric:            float64(g.Count),
			RecommendedAction: syncAction(sev, display, g.ErrorType, g.Count),
			UrgencyScore:      SyncUrgency(sev, g.Count),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// SyncSeverity is the severity of count sync failures under th: at least
// SyncFailCritical critical, at least SyncFailHigh high, at least
// SyncFailMedium medium; false below that.
func SyncSeverity(count int, th proactive.Thresholds) (proactive.Severity, bool) {
	switch {
	case count >= th.SyncFailCritical:
		return proactive.SeverityCritical, true
	case count >= th.SyncFailHigh:
		return proactive.SeverityHigh, true
	case count >= th.SyncFailMedium:
		return proactive.SeverityMedium, true
	}
	return "", false
}

// SourceDisplayName is how a sync source is shown: hubspot → HubSpot,
// stripe → Stripe, meta → Meta (matched without regard to case or
// surrounding spaces); any other source as written.
func SourceDisplayName(source string) string {
	switch strings.ToLower(strings.TrimSpace(source)) {
	case "hubspot":
		return "HubSpot"
	case "stripe":
		return "Stripe"
	case "meta":
		return "Meta"
	}
	return source
}

// syncAction is the seed's recommended action for a sync failure.
func syncAction(sev proactive.Severity, display, errorType string, count int) string {
	switch sev {
	case proactive.SeverityCritical:
		return fmt.Sprintf("CRITICAL: %s sync failing repeatedly (%s). Check API credentials, rate limits, and connectivity immediately.", display, Quantity(float64(count), "failure"))
	case proactive.SeverityHigh:
		return fmt.Sprintf("High Priority: %s experiencing %s errors. Review error logs and consider manual retry or system restart.", display, errorType)
	}
	return fmt.Sprintf("Monitor %s sync status. May resolve automatically with retry. Investigate if pattern continues.", display)
}
