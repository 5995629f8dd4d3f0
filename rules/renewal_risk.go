package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// RenewalRiskDetails are the figures of a renewal risk (CONTRACT §11.4),
// in the alphabetical order of their JSON names.
type RenewalRiskDetails struct {
	// Revenue is the client's value plus the amounts of its matched
	// stalled deals (CONTRACT §11.7).
	Revenue float64 `json:"revenue_at_risk"`
	// Signals are the case keys of every matched anomaly, health ones
	// included, sorted.
	Signals []string `json:"signals"`
}

// DetailsType implements proactive.Details.
func (RenewalRiskDetails) DetailsType() proactive.AnomalyType { return proactive.RenewalRisk }

// RevenueAtRisk implements proactive.Details.
func (d RenewalRiskDetails) RevenueAtRisk() float64 { return d.Revenue }

// Renewal risk urgency (CONTRACT §11.4): 90 + 5 × (signals − 2), capped.
const (
	renewalBase      = 90
	renewalPerSignal = 5
)

// RenewalRiskCheck is the renewal risk check (CONTRACT §11.4): a client
// with falling health (a health_drop, health_forecast or health_anomaly
// anomaly) and a stalled deal whose contact is that client or a lead
// waiting with that email, in this scan, suppressed and inhibited
// anomalies included. It reads no table: only its inputs' anomalies.
func RenewalRiskCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.RenewalRisk,
		Monitor:      "checkRenewalRisk",
		BreakdownKey: "renewal_risks",
		Label:        "Renewal risk",
		Noun:         "renewal risk",
		MetricUnit:   "signal",
		Inputs: []proactive.AnomalyType{
			proactive.HealthDrop, proactive.HealthForecast, proactive.HealthAnomaly,
			proactive.DealStall, proactive.ResponseDelay,
		},
		OutcomeKey: clientOutcome,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return &renewalDetector{m: NewRenewalMatcher(), now: env.Now}
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Renewal Risk: " + p.Entity
				}
				return fmt.Sprintf("%d Clients at Renewal Risk", n)
			},
			Many: func(n int) string { return fmt.Sprintf("%d clients at renewal risk", n) },
			Describe: func(p *proactive.Anomaly) string {
				d, _ := p.Details.(RenewalRiskDetails)
				return fmt.Sprintf("%s has falling health and %d stuck deal(s) or lead(s). Signals: %s.",
					p.Entity, RoundHalfUp(p.Metric)-1, strings.Join(d.Signals, ", "))
			},
			Figure: func(a *proactive.Anomaly) string { return Quantity(a.Metric, "signal") },
			Tally:  func(n int) string { return termtext.Count(n, "renewal risk") },
			Found:  func(n int) string { return fmt.Sprintf("[checkRenewalRisk] Found %d clients at renewal risk", n) },
			Analyze: func(proactive.Settings) proactive.Analyzer {
				return &countAnalyzer{sentence: func(n int) string {
					return fmt.Sprintf("%d clients at renewal risk: falling health with stuck deals or leads.", n)
				}}
			},
		},
	}
}

// renewalDetector is one run of the renewal risk check.
type renewalDetector struct {
	m   *RenewalMatcher
	now time.Time
}

func (d *renewalDetector) Observe(a *proactive.Anomaly) { d.m.Observe(a) }

func (d *renewalDetector) Detect(_ context.Context, _ any, emit proactive.Emitter) (proactive.Skipped, error) {
	return nil, emitAll(emit, d.m.Risks(d.now))
}

// RenewalMatcher matches a scan's health anomalies with its deal stalls
// and response delays by email, one anomaly at a time. It keeps no
// anomaly: one entry per client with a health anomaly (its entity, owner,
// value and health case keys), and, per contact email, the case keys of
// the deal stalls and response delays carrying it with each one's
// revenue at risk. Its memory is therefore bounded
// by the number of health anomalies plus the number of deal_stall and
// response_delay anomalies with a contact email (deals and leads run
// before the later health checks, so they cannot be filtered by health
// first).
type RenewalMatcher struct {
	health map[string]*renewalClient
	stuck  map[string]map[string]float64 // contact email -> case key -> revenue at risk (deals only)
}

// renewalClient is what the matcher keeps of a client with falling health:
// the entity, owner and value of its most urgent health anomaly.
type renewalClient struct {
	entity  string
	urgency int
	owner   string
	value   float64
	keys    []string // health case keys, distinct
}

// NewRenewalMatcher returns an empty matcher.
func NewRenewalMatcher() *RenewalMatcher {
	return &RenewalMatcher{health: map[string]*renewalClient{}, stuck: map[string]map[string]float64{}}
}

// Observe takes one anomaly of any type; those of other types than the
// three health checks, deal_stall and response_delay are ignored, as are
// deal stalls and response delays without a contact email. Observing an
// anomaly twice changes nothing.
func (m *RenewalMatcher) Observe(a *proactive.Anomaly) {
	switch a.Type {
	case proactive.HealthDrop, proactive.HealthForecast, proactive.HealthAnomaly:
		c := m.health[a.Key]
		if c == nil {
			c = &renewalClient{entity: a.Entity, urgency: a.UrgencyScore, owner: a.Owner, value: a.RevenueAtRisk()}
			m.health[a.Key] = c
		} else if a.UrgencyScore > c.urgency || a.UrgencyScore == c.urgency && CompareText(a.Entity, c.entity) < 0 {
			// The client's label is that of its most urgent health anomaly
			// (ties: the alphabetically first), as a case's is (§10.1);
			// so are its owner and value (all read from the newest reading).
			c.entity, c.urgency, c.owner, c.value = a.Entity, a.UrgencyScore, a.Owner, a.RevenueAtRisk()
		}
		if k := a.CaseKey(); !slices.Contains(c.keys, k) {
			c.keys = append(c.keys, k)
		}
	case proactive.DealStall, proactive.ResponseDelay:
		if a.Contact == "" {
			return
		}
		keys := m.stuck[a.Contact]
		if keys == nil {
			keys = map[string]float64{}
			m.stuck[a.Contact] = keys
		}
		revenue := 0.0 // a lead's value is no stalled deal's amount (§11.7)
		if a.Type == proactive.DealStall {
			revenue = a.RevenueAtRisk()
		}
		keys[a.CaseKey()] = revenue
	}
}

// Risks returns the renewal risks of what was observed, most urgent first
// (CompareAnomalies); nil when none: one per client with falling health
// and at least one matched deal stall or response delay. Severity
// critical; signals = 1 + the matched anomalies; urgency = min(90 + 5 ×
// (signals − 2), 100); revenue at risk = the client's value + the
// matched deals' amounts; owner the client's.
func (m *RenewalMatcher) Risks(now time.Time) []proactive.Anomaly {
	var out []proactive.Anomaly
	for email, c := range m.health {
		stuck := m.stuck[email]
		if len(stuck) == 0 {
			continue
		}
		signals := 1 + len(stuck)
		keys := make([]string, 0, len(c.keys)+len(stuck))
		keys = append(keys, c.keys...)
		for k := range stuck {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		revenue := c.value
		for _, k := range keys {
			revenue += stuck[k] // in key order: the same sum whatever the observation order
		}
		out = append(out, proactive.Anomaly{
			Type:              proactive.RenewalRisk,
			Severity:          proactive.SeverityCritical,
			Entity:            c.entity,
			EntityKey:         email,
			Key:               email,
			Details:           RenewalRiskDetails{Revenue: Revenue(revenue), Signals: keys},
			Owner:             c.owner,
			Metric:            float64(signals),
			RecommendedAction: renewalAction(signals - 1),
			UrgencyScore:      RenewalUrgency(signals),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// RenewalRisks matches anomalies of any types (RenewalMatcher) and returns
// the renewal risks, most urgent first; nil when none.
func RenewalRisks(anoms []proactive.Anomaly, now time.Time) []proactive.Anomaly {
	m := NewRenewalMatcher()
	for i := range anoms {
		m.Observe(&anoms[i])
	}
	return m.Risks(now)
}

// RenewalUrgency is min(90 + 5 × (signals − 2), 100).
func RenewalUrgency(signals int) int {
	return min(renewalBase+renewalPerSignal*(signals-2), maxUrgency)
}

// renewalAction is CONTRACT §11.10's recommended action for a renewal
// risk with k stuck deals or leads (always critical).
func renewalAction(k int) string {
	return severityAction(proactive.SeverityCritical, fmt.Sprintf(
		"Renewal at risk: falling health and %d stuck deal(s) or lead(s). Call within 24 hours and review them together.", k))
}
