package rules

import (
	"fmt"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Leads finds the response delays of CONTRACT §3 among new, never contacted
// leads (the store selects them). Hours waiting are HoursWaiting since the
// lead was created, judged unrounded; fewer than ResponseDelayMedium is no
// anomaly, nor is a lead without a creation time. Anomalies come most urgent
// first (CompareAnomalies); nil when there are none.
func Leads(leads []proactive.Lead, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(leads)) // stores usually pre-filter: most are anomalies
	for i := range leads {
		l := &leads[i]
		if l.CreatedAt.IsZero() {
			continue
		}
		hours := HoursWaiting(l.CreatedAt, now)
		sev, ok := LeadSeverity(hours, th)
		if !ok {
			continue
		}
		entity := firstNonBlank(l.Name, l.Email)
		if entity == "" {
			entity = "Lead #" + l.ID
		}
		key := firstNonBlank(l.Email, l.Name)
		if key == "" {
			key = "lead-" + l.ID
		}
		out = append(out, proactive.Anomaly{
			Type:      proactive.ResponseDelay,
			Severity:  sev,
			Entity:    entity,
			EntityKey: key,
			Details: map[string]any{
				"lead_id":       orNil(l.ID),
				"name":          orNil(l.Name),
				"email":         orNil(l.Email),
				"hours_waiting": hours,
				"source":        orNil(l.Source),
			},
			Metric:            hours,
			RecommendedAction: leadAction(sev, hours, l.Source),
			UrgencyScore:      LeadUrgency(sev, hours),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// HoursWaiting is the time from created to now in hours, unrounded.
func HoursWaiting(created, now time.Time) float64 {
	return now.Sub(created).Hours()
}

// LeadSeverity is the severity of a lead waiting hours under th: at least
// ResponseDelayCritical critical, at least ResponseDelayHigh high, at least
// ResponseDelayMedium medium; false below that.
func LeadSeverity(hours float64, th proactive.Thresholds) (proactive.Severity, bool) {
	switch {
	case hours >= th.ResponseDelayCritical:
		return proactive.SeverityCritical, true
	case hours >= th.ResponseDelayHigh:
		return proactive.SeverityHigh, true
	case hours >= th.ResponseDelayMedium:
		return proactive.SeverityMedium, true
	}
	return "", false
}

// leadAction is the seed's recommended action for a response delay.
func leadAction(sev proactive.Severity, hours float64, source string) string {
	switch sev {
	case proactive.SeverityCritical:
		return fmt.Sprintf("URGENT: Lead waiting %s without contact. Respond immediately to prevent loss. Strike while iron is hot!", Quantity(float64(RoundHalfUp(hours)), "hour"))
	case proactive.SeverityHigh:
		action := "High Priority: Reach out within next 2 hours. Lead interest may be cooling."
		if s := firstNonBlank(source); s != "" {
			action += " Source: " + s
		}
		return action
	}
	return "Contact lead today. Timely response improves conversion rates significantly."
}
