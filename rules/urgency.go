package rules

import (
	"math"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Urgency bonuses of CONTRACT §4.
const (
	healthDropFactor   = 0.5 // per point dropped
	healthDropMaxBonus = 10
	zoneRedBonus       = 15
	zoneYellowBonus    = 5
	dealDaysDivisor    = 5 // one point per 5 days stalled
	dealDaysMaxBonus   = 10
	dealBigAmount      = 10000 // strictly above it earns the bonus
	dealBigAmountBonus = 10
	syncCountFactor    = 3 // per failure
	syncCountMaxBonus  = 15
	leadHoursFactor    = 0.5 // per hour waiting
	leadHoursMaxBonus  = 10
	maxUrgency         = 100
)

// HealthUrgency is the urgency of a health drop: the severity's base, plus
// min(drop × 0.5, 10), plus 15 in the RED zone or 5 in the YELLOW zone (zone
// compared upper-cased); rounded half up and capped at 100.
func HealthUrgency(sev proactive.Severity, drop float64, zone string) int {
	u := sev.BaseUrgency() + bonus(drop*healthDropFactor, healthDropMaxBonus)
	switch normZone(zone) {
	case "RED":
		u += zoneRedBonus
	case "YELLOW":
		u += zoneYellowBonus
	}
	return finish(u)
}

// DealUrgency is the urgency of a deal stall: the severity's base, plus
// min(days ÷ 5, 10), plus 10 when amount is over 10,000; rounded half up and
// capped at 100. Pass 0 for an unknown amount.
func DealUrgency(sev proactive.Severity, days int, amount float64) int {
	u := sev.BaseUrgency() + bonus(float64(days)/dealDaysDivisor, dealDaysMaxBonus)
	if amount > dealBigAmount {
		u += dealBigAmountBonus
	}
	return finish(u)
}

// SyncUrgency is the urgency of a sync failure: the severity's base plus
// min(count × 3, 15); rounded half up and capped at 100.
func SyncUrgency(sev proactive.Severity, count int) int {
	return finish(sev.BaseUrgency() + bonus(float64(count)*syncCountFactor, syncCountMaxBonus))
}

// LeadUrgency is the urgency of a response delay: the severity's base plus
// min(hours × 0.5, 10); rounded half up and capped at 100.
func LeadUrgency(sev proactive.Severity, hours float64) int {
	return finish(sev.BaseUrgency() + bonus(hours*leadHoursFactor, leadHoursMaxBonus))
}

// bonus is min(x, limit), and nothing for a negative or NaN x.
func bonus(x, limit float64) float64 {
	if math.IsNaN(x) || x <= 0 {
		return 0
	}
	return min(x, limit)
}

// finish rounds an urgency half up and caps it at 100.
func finish(u float64) int {
	return min(RoundHalfUp(u), maxUrgency)
}

// normZone is a health zone as the rules compare it: trimmed, upper-cased.
func normZone(zone string) string {
	return strings.ToUpper(strings.TrimSpace(zone))
}
