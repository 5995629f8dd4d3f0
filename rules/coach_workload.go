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

// CoachWorkloadDetails are the figures of an overloaded coach (CONTRACT
// §11.5), in the alphabetical order of their JSON names.
type CoachWorkloadDetails struct {
	AtRisk      int     `json:"at_risk"`
	Clients     int     `json:"clients"`
	MedianShare float64 `json:"median_share"`
	// Revenue is the sum of the at-risk clients' values (each client's
	// newest reading; CONTRACT §11.7).
	Revenue float64 `json:"revenue_at_risk"`
	Share   float64 `json:"share"`
}

// DetailsType implements proactive.Details.
func (CoachWorkloadDetails) DetailsType() proactive.AnomalyType { return proactive.CoachWorkload }

// RevenueAtRisk implements proactive.Details.
func (d CoachWorkloadDetails) RevenueAtRisk() float64 { return d.Revenue }

// The rules of the coach workload (CONTRACT §11.5).
const (
	coachMinAtRisk    = 3
	coachFlagFactor   = 2 // share ≥ 2 × median flags
	coachHighFactor   = 3 // share ≥ 3 × median is high
	coachMaxBonus     = 10
	coachSettingsHint = "columns.client_owner is not set: coach_workload needs the column of client_health_scores naming each client's owner (e.g. coach)"
)

// AtRiskTypes are the checks whose unresolved cases make a client at
// risk for coach_workload.
func AtRiskTypes() []proactive.AnomalyType {
	return []proactive.AnomalyType{proactive.HealthDrop, proactive.HealthForecast, proactive.HealthAnomaly, proactive.RenewalRisk}
}

// CoachWorkloadCheck is the coach workload check (CONTRACT §11.5): an
// owner (columns.client_owner) carrying at least 3 at-risk clients and at
// least twice the team's median share of them. It runs after every other
// check has updated and resolved its cases, and reads those cases.
func CoachWorkloadCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.CoachWorkload,
		Monitor:      "checkCoachWorkload",
		BreakdownKey: "coach_workloads",
		Label:        "Coach workload",
		Noun:         "coach workload",
		MetricUnit:   "at-risk client",
		Table:        proactive.TableHealthScores,
		Columns:      []string{"email", "health_score", "calculated_at"},
		TimeColumn:   "calculated_at",
		Window:       "readings in the last 14 days",
		Freshness:    2 * 24 * time.Hour,
		// A failed health check leaves its cases stale: coach fails with
		// it (§11.9). It observes nothing of them; renewal_risk only runs
		// first.
		Inputs: []proactive.AnomalyType{proactive.HealthDrop, proactive.HealthForecast, proactive.HealthAnomaly},
		After:  []proactive.AnomalyType{proactive.RenewalRisk},
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
				col := env.Settings.Columns.ClientOwner
				if col == "" {
					return nil, proactive.Errorf(proactive.EINVALID, "%s", coachSettingsHint)
				}
				src, err := sourceAs[proactive.ClientOwnerReader](source, "client owners")
				if err != nil {
					return nil, err
				}
				if env.Cases == nil {
					return nil, proactive.Errorf(proactive.EINTERNAL, "coach_workload runs only in a scan: it reads the scan's cases")
				}
				cases, err := env.Cases(ctx, AtRiskTypes())
				if err != nil {
					return nil, fmt.Errorf("read the at-risk cases: %w", err)
				}
				w := NewWorkload(cases)
				skipped, err := src.ClientOwners(ctx, proactive.OwnerQuery{
					Now: env.Now, Wall: env.Wall, WindowDays: proactive.HealthWindowDays, Column: col,
					ValueColumn: env.Settings.Columns.ClientValue,
				}, func(c proactive.ClientOwner) error { w.Add(c); return nil })
				if err != nil {
					return skipped, err
				}
				return skipped, emitAll(emit, w.Overloaded(env.Now))
			})
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Coach Overloaded: " + p.Entity
				}
				return fmt.Sprintf("%d Coaches Overloaded", n)
			},
			Many: func(n int) string { return termtext.Count(n, "overloaded coach") },
			Describe: func(p *proactive.Anomaly) string {
				d, _ := p.Details.(CoachWorkloadDetails)
				return fmt.Sprintf("%s has %d of %d clients at risk (%s%%), against a team median of %s%%.",
					p.Entity, d.AtRisk, d.Clients, Percent(d.Share), Percent(d.MedianShare))
			},
			Figure: func(a *proactive.Anomaly) string {
				d, _ := a.Details.(CoachWorkloadDetails)
				return fmt.Sprintf("%d of %d clients at risk", d.AtRisk, d.Clients)
			},
			Tally: func(n int) string { return termtext.Count(n, "overloaded coach") },
			Found: func(n int) string { return fmt.Sprintf("[checkCoachWorkload] Found %d overloaded coaches", n) },
			Analyze: func(proactive.Settings) proactive.Analyzer {
				return &countAnalyzer{sentence: func(n int) string {
					return fmt.Sprintf("%d coaches carry an outsized share of at-risk clients.", n)
				}}
			},
		},
	}
}

// Workload counts each owner's clients and at-risk clients, and sums the
// values of the at-risk ones. It keeps one entry per client (normalised
// email: emails differing in case are one client, owned and valued as its
// newest reading says) and the at-risk emails.
type Workload struct {
	atRisk  map[string]struct{}
	clients map[string]proactive.ClientOwner
}

// NewWorkload starts a count whose at-risk clients are those with one of
// cases (the key's id is the normalised email).
func NewWorkload(cases []proactive.Case) *Workload {
	w := &Workload{atRisk: map[string]struct{}{}, clients: map[string]proactive.ClientOwner{}}
	for _, c := range cases {
		if _, id, ok := strings.Cut(c.Key, ":"); ok {
			w.atRisk[id] = struct{}{}
		}
	}
	return w
}

// Add takes one client and its owner; of emails differing only in case
// or spaces, the newest reading's owner wins (a tie: the alphabetically
// first owner).
func (w *Workload) Add(c proactive.ClientOwner) {
	key := proactive.NormEmail(c.Email)
	if key == "" {
		return
	}
	c.Owner = strings.TrimSpace(c.Owner)
	if prev, ok := w.clients[key]; ok {
		if prev.At.After(c.At) || prev.At.Equal(c.At) && CompareText(prev.Owner, c.Owner) <= 0 {
			return
		}
	}
	w.clients[key] = c
}

// ownerLoad is one owner's count.
type ownerLoad struct {
	label           string // as written (of several spellings, the alphabetically first)
	clients, atRisk int
	atRiskEmails    []string
}

// Overloaded returns the overloaded owners (CONTRACT §11.5), most urgent
// first (CompareAnomalies); nil when none. Owners are compared trimmed and
// without regard to case; clients without an owner belong to nobody. The
// median share is over every owner with at least one client (even count:
// the mean of the middle two). An owner is flagged with at least 3
// clients at risk and a share at least twice the median: high at three
// times the median (or any share over a median of 0), else medium.
func (w *Workload) Overloaded(now time.Time) []proactive.Anomaly {
	loads := map[string]*ownerLoad{}
	for email, c := range w.clients {
		if c.Owner == "" {
			continue
		}
		k := strings.ToLower(c.Owner)
		l := loads[k]
		if l == nil {
			l = &ownerLoad{label: c.Owner}
			loads[k] = l
		} else if CompareText(c.Owner, l.label) < 0 {
			l.label = c.Owner
		}
		l.clients++
		if _, ok := w.atRisk[email]; ok {
			l.atRisk++
			l.atRiskEmails = append(l.atRiskEmails, email)
		}
	}
	shares := make([]float64, 0, len(loads))
	for _, l := range loads {
		shares = append(shares, share(l))
	}
	if len(shares) == 0 {
		return nil
	}
	median := Denoise(Median(shares))
	var out []proactive.Anomaly
	for key, l := range loads {
		s := share(l)
		if l.atRisk < coachMinAtRisk || s < Denoise(coachFlagFactor*median) {
			continue
		}
		sev := proactive.SeverityMedium
		if median == 0 || s >= Denoise(coachHighFactor*median) {
			sev = proactive.SeverityHigh
		}
		// Summed in email order: the same figure whatever the map's order.
		slices.Sort(l.atRiskEmails)
		revenue := 0.0
		for _, e := range l.atRiskEmails {
			revenue += Revenue(w.clients[e].Value)
		}
		out = append(out, proactive.Anomaly{
			Type:      proactive.CoachWorkload,
			Severity:  sev,
			Entity:    l.label,
			EntityKey: key,
			Key:       key,
			Owner:     l.label,
			Details: CoachWorkloadDetails{
				AtRisk: l.atRisk, Clients: l.clients, MedianShare: median, Revenue: revenue, Share: s,
			},
			Metric:            float64(l.atRisk),
			RecommendedAction: coachAction(sev, l.atRisk, l.clients, s, median),
			UrgencyScore:      CoachUrgency(sev, l.atRisk),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// Workloads counts clients (with at-risk cases) and returns the overloaded
// owners (Workload.Overloaded).
func Workloads(clients []proactive.ClientOwner, cases []proactive.Case, now time.Time) []proactive.Anomaly {
	w := NewWorkload(cases)
	for _, c := range clients {
		w.Add(c)
	}
	return w.Overloaded(now)
}

// share is an owner's at-risk share, denoised.
func share(l *ownerLoad) float64 { return Denoise(float64(l.atRisk) / float64(l.clients)) }

// CoachUrgency is the severity's base plus min(at risk, 10), capped at 100.
func CoachUrgency(sev proactive.Severity, atRisk int) int {
	return finish(sev.BaseUrgency() + bonus(float64(atRisk), coachMaxBonus))
}

// coachAction is CONTRACT §11.10's recommended action for an overloaded
// coach.
func coachAction(sev proactive.Severity, atRisk, clients int, share, median float64) string {
	next := "Review this coach's caseload."
	if sev == proactive.SeverityHigh {
		next = "Rebalance clients or add support this week."
	}
	return severityAction(sev, fmt.Sprintf("%d of %d clients at risk (%s%% vs team median %s%%). %s",
		atRisk, clients, Percent(share), Percent(median), next))
}
