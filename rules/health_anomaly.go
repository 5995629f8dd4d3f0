package rules

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// HealthAnomalyDetails are the figures of an unusual health drop (CONTRACT
// §11.3), in the alphabetical order of their JSON names.
type HealthAnomalyDetails struct {
	// Change is the newest reading-to-reading change c (negative).
	Change float64 `json:"change"`
	// MAD is the median absolute deviation of the other changes from
	// MedianChange.
	MAD float64 `json:"mad"`
	// MedianChange is the median m of the other changes.
	MedianChange float64 `json:"median_change"`
	// Revenue is the client's value of the newest reading; 0 when unset.
	Revenue float64 `json:"revenue_at_risk"`
	// Z is the robust z of the change, rounded to 9 decimals; null when it
	// is −∞ (the other changes have no spread at all), which JSON cannot
	// carry.
	Z *float64 `json:"z"`
}

// DetailsType implements proactive.Details.
func (HealthAnomalyDetails) DetailsType() proactive.AnomalyType { return proactive.HealthAnomaly }

// RevenueAtRisk implements proactive.Details.
func (d HealthAnomalyDetails) RevenueAtRisk() float64 { return d.Revenue }

// ZScore is the z of the details: −∞ when Z is null.
func (d HealthAnomalyDetails) ZScore() float64 {
	if d.Z == nil {
		return math.Inf(-1)
	}
	return *d.Z
}

// The rules of the unusual drop (CONTRACT §11.3).
const (
	anomalyMinReadings = 7
	// anomalyHighZ: a z at or below it is high.
	anomalyHighZ = -7
)

// HealthAnomalyCheck is the unusual health drop check (CONTRACT §11.3): a
// client whose newest change is a drop far outside its own history, which
// the enabled health drop check did not flag in the same scan.
func HealthAnomalyCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.HealthAnomaly,
		Monitor:      "checkHealthAnomalies",
		BreakdownKey: "health_anomalies",
		Label:        "Health anomaly",
		Noun:         "unusual health drop",
		MetricUnit:   "point",
		Table:        proactive.TableHealthScores,
		Columns:      []string{"email", "firstname", "lastname", "health_score", "health_zone", "calculated_at"},
		TimeColumn:   "calculated_at",
		Window:       "readings in the last 14 days",
		Freshness:    2 * 24 * time.Hour,
		// The health drops of this scan are observed to leave their
		// clients out; when health_drop is not enabled nothing is.
		Inputs:     []proactive.AnomalyType{proactive.HealthDrop},
		OutcomeKey: clientOutcome,
		WorkingSet: seriesWorkingSet,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return &anomalyDetector{env: env, dropped: map[string]struct{}{}}
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Unusual Health Drop: " + p.Entity
				}
				return fmt.Sprintf("%d Clients: Unusual Health Drops", n)
			},
			Many: func(n int) string { return fmt.Sprintf("%d clients with unusual health drops", n) },
			Describe: func(p *proactive.Anomaly) string {
				d, _ := p.Details.(HealthAnomalyDetails)
				return fmt.Sprintf("%s health score dropped %s in one reading, unusual for this client (typical change %s, z = %s).",
					p.Entity, Quantity(-d.Change, "point"), FormatNumber(d.MedianChange), OneDecimal(d.ZScore()))
			},
			Figure: func(a *proactive.Anomaly) string {
				d, _ := a.Details.(HealthAnomalyDetails)
				return "dropped " + Quantity(a.Metric, "point") + ", z = " + OneDecimal(d.ZScore())
			},
			Tally: func(n int) string { return termtext.Count(n, "unusual health drop") },
			Found: func(n int) string { return fmt.Sprintf("[checkHealthAnomalies] Found %d unusual health drops", n) },
			Analyze: func(proactive.Settings) proactive.Analyzer {
				return &countAnalyzer{sentence: func(n int) string {
					return fmt.Sprintf("%d clients with drops unusual for their own history.", n)
				}}
			},
		},
	}
}

// anomalyDetector is one run of the unusual drop check: it remembers the
// clients (normalised emails) health_drop flagged in this scan — at most
// one entry per health drop anomaly — then streams the series.
type anomalyDetector struct {
	env     proactive.CheckEnv
	dropped map[string]struct{}
}

// Observe notes a client health_drop flagged.
func (d *anomalyDetector) Observe(a *proactive.Anomaly) {
	if a.Type == proactive.HealthDrop {
		d.dropped[a.Key] = struct{}{}
	}
}

// Detect streams the series and reports the unusual drops.
func (d *anomalyDetector) Detect(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
	src, err := sourceAs[proactive.HealthSeriesReader](source, "health series")
	if err != nil {
		return nil, err
	}
	j := AnomalyJudge{Thresholds: d.env.Settings.Thresholds, Now: d.env.Now, Flagged: d.dropped}
	cols := d.env.Settings.Columns
	q := proactive.SeriesQuery{Now: d.env.Now, Wall: d.env.Wall, WindowDays: proactive.HealthWindowDays, MinReadings: anomalyMinReadings,
		OwnerColumn: cols.ClientOwner, ValueColumn: cols.ClientValue}
	var (
		flagged []string
		skipped proactive.Skipped
	)
	if forecastRuns(d.env) {
		// The scan's health pass (health_forecast's read) found the
		// candidates.
		pass, err := healthPassOf(ctx, d.env, src)
		if err != nil {
			return nil, err
		}
		flagged, skipped = pass.candidates, pass.skipped
	} else {
		q.MinNewestDrop = j.Thresholds.AnomalyMinDrop
		var err error
		if flagged, skipped, err = flagSeries(ctx, src, q, j.Judge, nil); err != nil {
			return skipped, err
		}
		q.MinNewestDrop = 0
	}
	out, err := judgeFlagged(ctx, src, q, flagged, j.Judge)
	if err != nil {
		return skipped, err
	}
	return skipped, emitAll(emit, out)
}

// AnomalyJudge judges client series for unusual drops under the
// thresholds at now. Flagged holds the normalised emails health_drop
// flagged in the scan (nil: none). Its scratch space makes Judge allocate
// nothing but the anomalies it returns; it is not safe for concurrent use.
type AnomalyJudge struct {
	Thresholds proactive.Thresholds
	Now        time.Time
	Flagged    map[string]struct{}
	scores     []float64
	scratch    []float64
}

// Judge returns the unusual drop of one client series (readings oldest
// first, equal timestamps the higher score first), false when it is none:
// fewer than 7 readings, a newest change that is no drop, z above
// −anomaly_z, a drop below anomaly_min_drop, or a client health_drop
// flagged.
func (j *AnomalyJudge) Judge(s *proactive.ClientSeries) (proactive.Anomaly, bool) {
	if len(s.Readings) < anomalyMinReadings {
		return proactive.Anomaly{}, false
	}
	// The newest change decides most clients: no drop of anomaly_min_drop,
	// no anomaly, whatever z.
	n := len(s.Readings)
	if c := Denoise(s.Readings[n-1].Score - s.Readings[n-2].Score); c >= 0 || -c < j.Thresholds.AnomalyMinDrop {
		return proactive.Anomaly{}, false
	}
	j.scores = j.scores[:0]
	for _, p := range s.Readings {
		j.scores = append(j.scores, p.Score)
	}
	r, ok, buf := RobustChange(j.scores, j.scratch)
	j.scratch = buf
	th := j.Thresholds
	if !ok || r.Change >= 0 || r.Z > -th.AnomalyZ || -r.Change < th.AnomalyMinDrop {
		return proactive.Anomaly{}, false
	}
	email := strings.TrimSpace(s.Email)
	key := proactive.NormEmail(email)
	if _, flagged := j.Flagged[key]; flagged {
		return proactive.Anomaly{}, false
	}
	sev := AnomalySeverity(r.Z)
	d := HealthAnomalyDetails{Change: r.Change, MAD: r.MAD, MedianChange: r.Median, Revenue: Revenue(s.Value)}
	if !math.IsInf(r.Z, 0) {
		z := r.Z
		d.Z = &z
	}
	return proactive.Anomaly{
		Type:              proactive.HealthAnomaly,
		Severity:          sev,
		Entity:            HealthEntity(s.Firstname, s.Lastname, email),
		EntityKey:         key,
		Key:               key,
		Details:           d,
		Owner:             strings.TrimSpace(s.Owner),
		Metric:            -r.Change,
		RecommendedAction: anomalyAction(sev, -r.Change, r.Z),
		// §11.3: base + min(−c × 0.5, 10) + §4's zone bonus, as a health drop.
		UrgencyScore: HealthUrgency(sev, -r.Change, s.Zone),
		DetectedAt:   j.Now,
	}, true
}

// Anomalies judges every series (AnomalyJudge.Judge, leaving out the
// normalised emails of flagged) and returns the anomalies most urgent
// first (CompareAnomalies); nil when none.
func Anomalies(series []proactive.ClientSeries, flagged map[string]struct{}, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	j := AnomalyJudge{Thresholds: th, Now: now, Flagged: flagged}
	var out []proactive.Anomaly
	for i := range series {
		if a, ok := j.Judge(&series[i]); ok {
			out = append(out, a)
		}
	}
	return sorted(out)
}

// AnomalySeverity is the severity of an unusual drop of robust z: high at
// or below −7, else medium.
func AnomalySeverity(z float64) proactive.Severity {
	if z <= anomalyHighZ {
		return proactive.SeverityHigh
	}
	return proactive.SeverityMedium
}

// anomalyAction is CONTRACT §11.10's recommended action for an unusual drop.
func anomalyAction(sev proactive.Severity, drop, z float64) string {
	next := "Send a check-in message and watch the next readings."
	if sev == proactive.SeverityHigh {
		next = "Reach out within 48 hours to understand what changed."
	}
	return severityAction(sev, fmt.Sprintf("Unusual %s-point drop for this client (z = %s). %s", OneDecimal(drop), OneDecimal(z), next))
}
