package rules

import (
	"context"
	"fmt"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// ResponseDelayDetails are the figures of a response delay (CONTRACT §3),
// in the alphabetical order of their JSON names.
type ResponseDelayDetails struct {
	Email        *string `json:"email"`
	HoursWaiting float64 `json:"hours_waiting"`
	LeadID       *string `json:"lead_id"`
	Name         *string `json:"name"`
	// Revenue is thresholds.lead_value (CONTRACT §11.7).
	Revenue float64 `json:"revenue_at_risk"`
	Source  *string `json:"source"`
}

// DetailsType implements proactive.Details.
func (ResponseDelayDetails) DetailsType() proactive.AnomalyType { return proactive.ResponseDelay }

// RevenueAtRisk implements proactive.Details.
func (d ResponseDelayDetails) RevenueAtRisk() float64 { return d.Revenue }

// WaitingLeadReader is what the response delay check reads.
type WaitingLeadReader interface {
	WaitingLeads(ctx context.Context, q proactive.LeadQuery, fn func(proactive.Lead) error) (proactive.Skipped, error)
}

// ResponseDelayCheck is the response delay check (CONTRACT §3): a new lead
// never contacted for response_delay_medium hours or more.
func ResponseDelayCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.ResponseDelay,
		Monitor:      "checkLeadResponseTimes",
		BreakdownKey: "response_delays",
		Label:        "Response delay",
		Noun:         "response delay",
		MetricUnit:   "hour",
		Table:        proactive.TableLeads,
		Columns:      []string{"id", "name", "email", "created_at", "status", "source", "last_contact_date"},
		TimeColumn:   "created_at",
		Window:       "new leads never contacted",
		Freshness:    7 * 24 * time.Hour,
		Default:      true,
		OutcomeKey:   leadOutcome,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
				src, err := sourceAs[WaitingLeadReader](source, "waiting leads")
				if err != nil {
					return nil, err
				}
				th := env.Settings.Thresholds
				// Each lead is its own case (lead-<id>): reported as it arrives.
				return src.WaitingLeads(ctx, proactive.LeadQuery{Now: env.Now, Wall: env.Wall, MinHours: th.ResponseDelayMedium},
					func(l proactive.Lead) error {
						if a, ok := judgeLead(&l, th, env.Now); ok {
							return emitOne(emit, a)
						}
						return nil
					})
			})
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Lead Response Delay: " + p.Entity
				}
				return fmt.Sprintf("%d Leads Waiting for Response", n)
			},
			Many: func(n int) string { return fmt.Sprintf("%d leads waiting for response", n) },
			Describe: func(p *proactive.Anomaly) string {
				return fmt.Sprintf("%s has been waiting %s without any contact or response.", p.Entity, Quantity(float64(RoundHalfUp(p.Metric)), "hour"))
			},
			Figure: func(a *proactive.Anomaly) string {
				return "waiting " + Quantity(float64(RoundHalfUp(a.Metric)), "hour")
			},
			Tally:   func(n int) string { return termtext.Count(n, "delayed lead") },
			Found:   func(n int) string { return fmt.Sprintf("[checkLeadResponseTimes] Found %d delayed lead responses", n) },
			Analyze: func(proactive.Settings) proactive.Analyzer { return &leadAnalyzer{} },
		},
	}
}

// Leads finds the response delays of CONTRACT §3 among new, never contacted
// leads (the store selects them). Hours waiting are HoursWaiting since the
// lead was created, judged unrounded; fewer than ResponseDelayMedium is no
// anomaly, nor is a lead without a creation time. Anomalies come most urgent
// first (CompareAnomalies); nil when there are none.
func Leads(leads []proactive.Lead, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(leads)) // stores usually pre-filter: most are anomalies
	for i := range leads {
		if a, ok := judgeLead(&leads[i], th, now); ok {
			out = append(out, a)
		}
	}
	return sorted(out)
}

// judgeLead is the response delay of one lead, false when it is none (see
// Leads).
func judgeLead(l *proactive.Lead, th proactive.Thresholds, now time.Time) (proactive.Anomaly, bool) {
	if l.CreatedAt.IsZero() {
		return proactive.Anomaly{}, false
	}
	hours := HoursWaiting(l.CreatedAt, now)
	sev, ok := LeadSeverity(hours, th)
	if !ok {
		return proactive.Anomaly{}, false
	}
	entity := firstNonBlank(l.Name, l.Email)
	if entity == "" {
		entity = "Lead #" + l.ID
	}
	key := firstNonBlank(l.Email, l.Name)
	if key == "" {
		key = "lead-" + l.ID
	}
	return proactive.Anomaly{
		Type:      proactive.ResponseDelay,
		Severity:  sev,
		Entity:    entity,
		EntityKey: key,
		Key:       "lead-" + l.ID,
		Details: ResponseDelayDetails{
			Email:        orNil(l.Email),
			HoursWaiting: hours,
			LeadID:       orNil(l.ID),
			Name:         orNil(l.Name),
			Revenue:      Revenue(th.LeadValue),
			Source:       orNil(l.Source),
		},
		Contact:           proactive.NormEmail(l.Email),
		Metric:            hours,
		RecommendedAction: leadAction(sev, hours, l.Source),
		UrgencyScore:      LeadUrgency(sev, hours),
		DetectedAt:        now,
	}, true
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

// leadAnalyzer: 2 or more response delays give their count and average
// wait, and a conversion prediction (CONTRACT §4).
type leadAnalyzer struct {
	n   int
	sum float64
}

func (l *leadAnalyzer) Add(a *proactive.Anomaly) { l.n++; l.sum += a.Metric }

func (l *leadAnalyzer) Findings() proactive.Findings {
	var f proactive.Findings
	if l.n < 2 {
		return f
	}
	f.Insights = append(f.Insights, fmt.Sprintf("%d leads waiting for response. Average wait time: %d hours", l.n, RoundHalfUp(Denoise(l.sum/float64(l.n)))))
	f.Predictions = append(f.Predictions, "Slow lead response times directly impact conversion rates. Consider automation or staffing adjustments.")
	return f
}
