package rules

import (
	"fmt"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Health finds the health drops of CONTRACT §3 among per-client trends. The
// drop is HealthDrop (a slow slide below the week's average counts, not only
// a fall since the previous reading), judged unrounded against the
// thresholds; a drop below HealthDropMedium is no anomaly, nor is a trend
// of fewer than 2 readings. Anomalies come most urgent first
// (CompareAnomalies); nil when there are none.
func Health(trends []proactive.HealthTrend, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(trends)) // stores usually pre-filter: most are anomalies
	for i := range trends {
		t := &trends[i]
		if t.Readings < 2 {
			continue // CONTRACT §3: at least 2 readings; no previous one to compare with
		}
		drop := HealthDrop(*t)
		sev, ok := HealthSeverity(drop, th)
		if !ok {
			continue
		}
		var weekAvg, zone any
		if t.WeekAvg != nil {
			weekAvg = Denoise(*t.WeekAvg) // a store's mean carries float noise (70.19999999999999)
		}
		if z := normZone(t.Zone); z != "" {
			zone = z
		}
		email := strings.TrimSpace(t.Email)
		out = append(out, proactive.Anomaly{
			Type:      proactive.HealthDrop,
			Severity:  sev,
			Entity:    healthEntity(t.Firstname, t.Lastname, email),
			EntityKey: email,
			Details: map[string]any{
				"email":          email,
				"current_score":  t.Current,
				"previous_score": t.Previous,
				"week_avg":       weekAvg,
				"score_drop":     drop,
				"current_zone":   zone,
			},
			Metric:            drop,
			RecommendedAction: healthAction(sev, drop),
			UrgencyScore:      HealthUrgency(sev, drop, t.Zone),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// HealthDrop is the drop a trend is judged on: the larger of previous −
// current and week_avg − current (previous alone when there is no week
// average), denoised but not rounded. It may be fractional or negative.
func HealthDrop(t proactive.HealthTrend) float64 {
	drop := t.Previous - t.Current
	if t.WeekAvg != nil {
		drop = max(drop, *t.WeekAvg-t.Current)
	}
	return Denoise(drop)
}

// HealthSeverity is the severity of a health drop under th: at least
// HealthDropCritical critical, at least HealthDropHigh high, at least
// HealthDropMedium medium; false below that.
func HealthSeverity(drop float64, th proactive.Thresholds) (proactive.Severity, bool) {
	switch {
	case drop >= th.HealthDropCritical:
		return proactive.SeverityCritical, true
	case drop >= th.HealthDropHigh:
		return proactive.SeverityHigh, true
	case drop >= th.HealthDropMedium:
		return proactive.SeverityMedium, true
	}
	return "", false
}

// healthEntity is "Firstname Lastname (email)", or the email alone when the
// client has no name.
func healthEntity(first, last, email string) string {
	name := strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
	if name == "" {
		return email
	}
	return name + " (" + email + ")"
}

// healthAction is the seed's recommended action for a health drop.
func healthAction(sev proactive.Severity, drop float64) string {
	switch sev {
	case proactive.SeverityCritical:
		return fmt.Sprintf("URGENT: Schedule emergency check-in call within 24 hours. Client at high risk of churn. Score dropped %s.", Quantity(drop, "point"))
	case proactive.SeverityHigh:
		return "High Priority: Reach out within 48 hours to understand what changed. Offer support or adjustments."
	}
	return "Monitor closely: Send proactive check-in message. Schedule wellness call within 1 week."
}
