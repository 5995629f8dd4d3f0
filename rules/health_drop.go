package rules

import (
	"context"
	"fmt"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// HealthDropDetails are the figures of a health drop (CONTRACT §3). Fields
// are in the alphabetical order of their JSON names, the order the stored
// JSON has always had.
type HealthDropDetails struct {
	CurrentScore  float64 `json:"current_score"`
	CurrentZone   *string `json:"current_zone"` // upper-cased; null when unknown
	Email         string  `json:"email"`
	PreviousScore float64 `json:"previous_score"`
	// Revenue is the client's value (columns.client_value) of the newest
	// reading; 0 when unset (CONTRACT §11.7).
	Revenue   float64  `json:"revenue_at_risk"`
	ScoreDrop float64  `json:"score_drop"`
	WeekAvg   *float64 `json:"week_avg"`
}

// DetailsType implements proactive.Details.
func (HealthDropDetails) DetailsType() proactive.AnomalyType { return proactive.HealthDrop }

// RevenueAtRisk implements proactive.Details.
func (d HealthDropDetails) RevenueAtRisk() float64 { return d.Revenue }

// HealthTrendReader is what the health drop check reads.
type HealthTrendReader interface {
	HealthTrends(ctx context.Context, q proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error)
}

// HealthDropCheck is the health drop check (CONTRACT §3): a client whose
// newest score fell at least health_drop_medium below the previous reading
// or the week's average.
func HealthDropCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.HealthDrop,
		Monitor:      "checkHealthScoreDrops",
		BreakdownKey: "health_drops",
		Label:        "Health drop",
		Noun:         "health drop",
		MetricUnit:   "point",
		Table:        proactive.TableHealthScores,
		Columns:      []string{"email", "firstname", "lastname", "health_score", "health_zone", "calculated_at"},
		TimeColumn:   "calculated_at",
		Window:       "readings in the last 14 days",
		Freshness:    2 * 24 * time.Hour, // calculated daily
		Default:      true,
		OutcomeKey:   clientOutcome,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
				th := env.Settings.Thresholds
				keep := KeepOpenDrop(th)
				c := healthClient{emit: emit, th: th, keep: keep, now: env.Now}
				if series, ok := sharesHealthPass(env, source); ok {
					// health_forecast runs too: its one read of every
					// client's series gives the trends as well.
					pass, err := healthPassOf(ctx, env, series)
					if err != nil {
						return nil, err
					}
					trends, err := trendsWithNames(ctx, env, series, pass.trends)
					if err != nil {
						return pass.skipped, err
					}
					for _, t := range trends {
						if err := c.add(t); err != nil {
							return pass.skipped, err
						}
					}
					return pass.skipped, c.flush()
				}
				src, err := sourceAs[HealthTrendReader](source, "health trends")
				if err != nil {
					return nil, err
				}
				cols := env.Settings.Columns
				skipped, err := src.HealthTrends(ctx, proactive.HealthQuery{
					Now: env.Now, Wall: env.Wall, WindowDays: proactive.HealthWindowDays, TrendDays: th.HealthTrendDays, MinDrop: keep,
					OwnerColumn: cols.ClientOwner, ValueColumn: cols.ClientValue,
				}, c.add)
				if err != nil {
					return skipped, err
				}
				return skipped, c.flush()
			})
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Client Health Drop: " + p.Entity
				}
				return fmt.Sprintf("%d Clients: Health Scores Dropping", n)
			},
			Many:     func(n int) string { return fmt.Sprintf("%d clients with health score drops", n) },
			Describe: describeHealthDrop,
			Figure:   func(a *proactive.Anomaly) string { return "dropped " + Quantity(a.Metric, "point") },
			Tally:    func(n int) string { return termtext.Count(n, "health drop") },
			Found:    func(n int) string { return fmt.Sprintf("[checkHealthScoreDrops] Found %d health score anomalies", n) },
			Analyze:  func(proactive.Settings) proactive.Analyzer { return &healthAnalyzer{} },
		},
	}
}

// Health finds the health drops of CONTRACT §3 among per-client trends. The
// drop is HealthDrop (a slow slide below the week's average counts, not only
// a fall since the previous reading), judged unrounded against the
// thresholds; a drop below HealthDropMedium is no anomaly, nor is a trend
// of fewer than 2 readings. Anomalies come most urgent first
// (CompareAnomalies); nil when there are none.
func Health(trends []proactive.HealthTrend, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(trends)) // stores usually pre-filter: most are anomalies
	for i := range trends {
		if a, ok := judgeHealth(&trends[i], th, now); ok {
			out = append(out, a)
		}
	}
	return sorted(out)
}

// judgeHealth is the health drop of one trend, false when it is none
// (see Health).
func judgeHealth(t *proactive.HealthTrend, th proactive.Thresholds, now time.Time) (proactive.Anomaly, bool) {
	if t.Readings < 2 {
		return proactive.Anomaly{}, false // CONTRACT §3: at least 2 readings; no previous one to compare with
	}
	drop := HealthDrop(*t)
	sev, ok := HealthSeverity(drop, th)
	if !ok {
		return proactive.Anomaly{}, false
	}
	d := HealthDropDetails{
		CurrentScore:  t.Current,
		Email:         strings.TrimSpace(t.Email),
		PreviousScore: t.Previous,
		Revenue:       Revenue(t.Value),
		ScoreDrop:     drop,
	}
	if t.WeekAvg != nil {
		avg := Denoise(*t.WeekAvg) // a store's mean carries float noise (70.19999999999999)
		d.WeekAvg = &avg
	}
	if z := normZone(t.Zone); z != "" {
		d.CurrentZone = &z
	}
	return proactive.Anomaly{
		Type:              proactive.HealthDrop,
		Severity:          sev,
		Entity:            HealthEntity(t.Firstname, t.Lastname, d.Email),
		EntityKey:         d.Email,
		Key:               proactive.NormEmail(t.Email),
		Details:           d,
		Owner:             strings.TrimSpace(t.Owner),
		Metric:            drop,
		RecommendedAction: healthAction(sev, drop),
		UrgencyScore:      HealthUrgency(sev, drop, t.Zone),
		DetectedAt:        now,
	}, true
}

// healthClient reports the health drops of the trends a store streams,
// one client (case key) at a time: the store delivers the emails of one
// client (differing in case or spaces) one after the other, and a
// client's anomalies are reported most urgent first (the first is its
// case's), then, for the trends within the recovery margin, that its case
// stays seen. It holds one client's anomalies at a time.
type healthClient struct {
	emit proactive.Emitter
	th   proactive.Thresholds
	keep float64 // KeepOpenDrop
	now  time.Time

	key       string // the client's case key; "" before the first trend
	anomalies []proactive.Anomaly
	margin    int // trends within the recovery margin
}

// add takes the next trend.
func (c *healthClient) add(t proactive.HealthTrend) error {
	if key := proactive.NormEmail(t.Email); key != c.key {
		if err := c.flush(); err != nil {
			return err
		}
		c.key = key
	}
	if a, ok := judgeHealth(&t, c.th, c.now); ok {
		c.anomalies = append(c.anomalies, a)
	} else if t.Readings >= 2 {
		if drop := HealthDrop(t); drop >= c.keep && drop < c.th.HealthDropMedium {
			c.margin++ // within the recovery margin: no anomaly, but the case stays seen
		}
	}
	return nil
}

// flush reports the client's anomalies, most urgent first, then its
// sightings, and forgets them.
func (c *healthClient) flush() error {
	SortAnomalies(c.anomalies)
	if err := emitAll(c.emit, c.anomalies); err != nil {
		return err
	}
	for ; c.margin > 0; c.margin-- {
		if err := c.emit.Seen(c.key); err != nil {
			return err
		}
	}
	clear(c.anomalies)
	c.anomalies = c.anomalies[:0]
	return nil
}

// KeepOpenDrop is the smallest drop that keeps a health drop case seen:
// health_drop_medium − recovery_margin (CONTRACT §10.4).
func KeepOpenDrop(th proactive.Thresholds) float64 {
	return Denoise(th.HealthDropMedium - th.RecoveryMargin)
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

// HealthEntity is "Firstname Lastname (email)", or the email alone when the
// client has no name (CONTRACT §3).
func HealthEntity(first, last, email string) string {
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

// describeHealthDrop is the content's sentence about a health drop.
func describeHealthDrop(p *proactive.Anomaly) string {
	d, _ := p.Details.(HealthDropDetails)
	from, basis := d.PreviousScore, ""
	if d.WeekAvg != nil && *d.WeekAvg > from {
		// the slide below the week's average is the larger drop
		from, basis = *d.WeekAvg, "a recent average of "
	}
	s := fmt.Sprintf("%s health score dropped %s (from %s%s to %s).", p.Entity,
		Quantity(p.Metric, "point"), basis, FormatNumber(from), FormatNumber(d.CurrentScore))
	if d.CurrentZone != nil && *d.CurrentZone != "" {
		s += fmt.Sprintf(" Currently in %s zone.", strings.ToUpper(*d.CurrentZone))
	}
	return s
}

// healthAnalyzer: 3 or more health drops give their count and average
// drop, and a systemic issue prediction when the unrounded average is over
// 15 (CONTRACT §4).
type healthAnalyzer struct {
	n   int
	sum float64
}

func (h *healthAnalyzer) Add(a *proactive.Anomaly) { h.n++; h.sum += a.Metric }

func (h *healthAnalyzer) Findings() proactive.Findings {
	var f proactive.Findings
	if h.n < 3 {
		return f
	}
	avg := Denoise(h.sum / float64(h.n))
	f.Insights = append(f.Insights, fmt.Sprintf("%d clients experiencing health score drops. Average drop: %d points.", h.n, RoundHalfUp(avg)))
	if avg > 15 {
		f.Predictions = append(f.Predictions, "Trend indicates potential systemic issue affecting multiple clients. Investigate common factors.")
	}
	return f
}
