package rules

import (
	"fmt"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Deals finds the deal stalls of CONTRACT §3 among deals in stall stages (the
// store selects the stages). Days stalled are DaysStalled since the deal's
// last activity; fewer than DealStallDaysMedium is no anomaly, nor is a deal
// with no last activity at all. Anomalies come most urgent first
// (CompareAnomalies); nil when there are none.
func Deals(deals []proactive.Deal, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(deals)) // stores usually pre-filter: most are anomalies
	for i := range deals {
		d := &deals[i]
		if d.LastActivity.IsZero() {
			continue
		}
		days := DaysStalled(d.LastActivity, now)
		sev, ok := DealSeverity(days, th)
		if !ok {
			continue
		}
		var amount any
		var amountValue float64
		if d.Amount != nil {
			amount, amountValue = *d.Amount, *d.Amount
		}
		name := firstNonBlank(d.Name)
		entity, key := name, name
		if name == "" {
			entity, key = "Deal #"+d.ID, "deal-"+d.ID
		}
		out = append(out, proactive.Anomaly{
			Type:      proactive.DealStall,
			Severity:  sev,
			Entity:    entity,
			EntityKey: key,
			Details: map[string]any{
				"deal_id":      orNil(d.ID),
				"deal_name":    orNil(d.Name),
				"stage":        d.Stage,
				"amount":       amount,
				"days_stalled": days,
			},
			Metric:            float64(days),
			RecommendedAction: dealAction(sev, d.Stage, days),
			UrgencyScore:      DealUrgency(sev, days, amountValue),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// DaysStalled is the number of whole days (full 24 h periods, rounded down)
// from last to now; negative when last is after now.
func DaysStalled(last, now time.Time) int {
	const day = 24 * time.Hour
	d := now.Sub(last)
	days := d / day
	if d < 0 && d%day != 0 {
		days--
	}
	return int(days)
}

// DealSeverity is the severity of a deal stalled for days under th: at
// least DealStallDaysCritical critical, at least DealStallDaysHigh high, at
// least DealStallDaysMedium medium; false below that.
func DealSeverity(days int, th proactive.Thresholds) (proactive.Severity, bool) {
	switch {
	case days >= th.DealStallDaysCritical:
		return proactive.SeverityCritical, true
	case days >= th.DealStallDaysHigh:
		return proactive.SeverityHigh, true
	case days >= th.DealStallDaysMedium:
		return proactive.SeverityMedium, true
	}
	return "", false
}

// dealAction is the seed's recommended action for a deal stall.
func dealAction(sev proactive.Severity, stage string, days int) string {
	switch sev {
	case proactive.SeverityCritical:
		return fmt.Sprintf("CRITICAL: Deal stuck in %s for %s. Immediate follow-up required. Consider re-engagement strategy or close-lost.", stage, Quantity(float64(days), "day"))
	case proactive.SeverityHigh:
		return "High Priority: Reach out to understand blockers. Offer assistance or incentives to move forward."
	}
	return "Follow up within 3 business days. Check if prospect needs additional information or support."
}
