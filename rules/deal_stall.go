package rules

import (
	"context"
	"fmt"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// DealStallDetails are the figures of a deal stall (CONTRACT §3), in the
// alphabetical order of their JSON names.
type DealStallDetails struct {
	Amount      *float64 `json:"amount"`
	DaysStalled int      `json:"days_stalled"`
	DealID      *string  `json:"deal_id"`
	DealName    *string  `json:"deal_name"`
	// Revenue is the amount, 0 when null (CONTRACT §11.7).
	Revenue float64 `json:"revenue_at_risk"`
	Stage   string  `json:"stage"` // as written in the data
}

// DetailsType implements proactive.Details.
func (DealStallDetails) DetailsType() proactive.AnomalyType { return proactive.DealStall }

// RevenueAtRisk implements proactive.Details.
func (d DealStallDetails) RevenueAtRisk() float64 { return d.Revenue }

// StalledDealReader is what the deal stall check reads.
type StalledDealReader interface {
	StalledDeals(ctx context.Context, q proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error)
}

// DealStallCheck is the deal stall check (CONTRACT §3): a deal in a stall
// stage without activity for deal_stall_days_medium days or more.
func DealStallCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.DealStall,
		Monitor:      "checkDealPipelineStalls",
		BreakdownKey: "deal_stalls",
		Label:        "Deal stall",
		Noun:         "deal stall",
		MetricUnit:   "day",
		Table:        proactive.TableDeals,
		Columns:      []string{"id", "name", "stage", "amount", "contact_id", "created_at", "updated_at", "last_activity_date"},
		TimeColumn:   "updated_at",
		Window:       "deals in the watched stages",
		Freshness:    7 * 24 * time.Hour,
		Default:      true,
		OutcomeKey:   dealOutcome,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
				src, err := sourceAs[StalledDealReader](source, "stalled deals")
				if err != nil {
					return nil, err
				}
				th := env.Settings.Thresholds
				// Each deal is its own case (deal-<id>): reported as it arrives.
				return src.StalledDeals(ctx, proactive.DealQuery{Now: env.Now, Wall: env.Wall, Stages: env.Settings.StallStages,
					MinDays: th.DealStallDaysMedium, OwnerColumn: env.Settings.Columns.DealOwner},
					func(d proactive.Deal) error {
						if a, ok := judgeDeal(&d, th, env.Now); ok {
							return emitOne(emit, a)
						}
						return nil
					})
			})
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Deal Stalled: " + p.Entity
				}
				return fmt.Sprintf("%d Deals Stalled in Pipeline", n)
			},
			Many: func(n int) string { return fmt.Sprintf("%d deals stalled in pipeline", n) },
			Describe: func(p *proactive.Anomaly) string {
				return fmt.Sprintf("%s has been stuck in %s stage for %s without activity.", p.Entity, dealStage(p), Quantity(p.Metric, "day"))
			},
			Figure:  func(a *proactive.Anomaly) string { return Quantity(a.Metric, "day") + " in " + dealStage(a) },
			Tally:   func(n int) string { return termtext.Count(n, "stalled deal") },
			Found:   func(n int) string { return fmt.Sprintf("[checkDealPipelineStalls] Found %d stalled deals", n) },
			Analyze: func(proactive.Settings) proactive.Analyzer { return &dealAnalyzer{stages: map[string]int{}} },
		},
	}
}

// dealStage is the stage of a deal stall as written in the data.
func dealStage(a *proactive.Anomaly) string {
	d, _ := a.Details.(DealStallDetails)
	return d.Stage
}

// Deals finds the deal stalls of CONTRACT §3 among deals in stall stages (the
// store selects the stages). Days stalled are DaysStalled since the deal's
// last activity; fewer than DealStallDaysMedium is no anomaly, nor is a deal
// with no last activity at all. Anomalies come most urgent first
// (CompareAnomalies); nil when there are none.
func Deals(deals []proactive.Deal, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(deals)) // stores usually pre-filter: most are anomalies
	for i := range deals {
		if a, ok := judgeDeal(&deals[i], th, now); ok {
			out = append(out, a)
		}
	}
	return sorted(out)
}

// judgeDeal is the deal stall of one deal, false when it is none (see
// Deals).
func judgeDeal(d *proactive.Deal, th proactive.Thresholds, now time.Time) (proactive.Anomaly, bool) {
	if d.LastActivity.IsZero() {
		return proactive.Anomaly{}, false
	}
	days := DaysStalled(d.LastActivity, now)
	sev, ok := DealSeverity(days, th)
	if !ok {
		return proactive.Anomaly{}, false
	}
	var amount float64
	if d.Amount != nil {
		amount = *d.Amount
	}
	name := firstNonBlank(d.Name)
	entity, key := name, name
	if name == "" {
		entity, key = "Deal #"+d.ID, "deal-"+d.ID
	}
	return proactive.Anomaly{
		Type:      proactive.DealStall,
		Severity:  sev,
		Entity:    entity,
		EntityKey: key,
		Key:       "deal-" + d.ID,
		Details: DealStallDetails{
			Amount:      d.Amount,
			DaysStalled: days,
			DealID:      orNil(d.ID),
			DealName:    orNil(d.Name),
			Revenue:     Revenue(amount),
			Stage:       d.Stage,
		},
		Owner:             strings.TrimSpace(d.Owner),
		Contact:           proactive.NormEmail(d.ContactEmail),
		Metric:            float64(days),
		RecommendedAction: dealAction(sev, d.Stage, days),
		UrgencyScore:      DealUrgency(sev, days, amount),
		DetectedAt:        now,
	}, true
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

// dealAnalyzer: 3 or more deal stalls give the most common stage as written
// (a tie goes to the alphabetically first) and a review of that stage
// (CONTRACT §4).
type dealAnalyzer struct {
	n      int
	stages map[string]int
}

func (d *dealAnalyzer) Add(a *proactive.Anomaly) { d.n++; d.stages[dealStage(a)]++ }

func (d *dealAnalyzer) Findings() proactive.Findings {
	var f proactive.Findings
	if d.n < 3 {
		return f
	}
	stage, k := "", 0
	for s, c := range d.stages {
		if c > k || c == k && CompareText(s, stage) < 0 {
			stage, k = s, c
		}
	}
	f.Insights = append(f.Insights, fmt.Sprintf("%d deals stalled. Most common stage: %s (%d deals)", d.n, stage, k))
	f.Predictions = append(f.Predictions, fmt.Sprintf("Review %s stage process. May indicate bottleneck or unclear next steps.", stage))
	return f
}
