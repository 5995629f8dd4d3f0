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

// HealthForecastDetails are the figures of a health forecast (CONTRACT
// §11.2), in the alphabetical order of their JSON names.
type HealthForecastDetails struct {
	// DaysToRed is (newest score − 50) ÷ |slope|, unrounded, counted from
	// the newest reading.
	DaysToRed float64 `json:"days_to_red"`
	// RedOn is the UTC date (YYYY-MM-DD) of the newest reading + DaysToRed.
	RedOn string `json:"red_on"`
	// Revenue is the client's value of the newest reading; 0 when unset.
	Revenue float64 `json:"revenue_at_risk"`
	// Slope is the Theil–Sen slope in points a day (negative).
	Slope float64 `json:"slope"`
}

// DetailsType implements proactive.Details.
func (HealthForecastDetails) DetailsType() proactive.AnomalyType { return proactive.HealthForecast }

// RevenueAtRisk implements proactive.Details.
func (d HealthForecastDetails) RevenueAtRisk() float64 { return d.Revenue }

// The rules of the forecast (CONTRACT §11.2).
const (
	forecastMinReadings = 5
	forecastMinSpan     = 96 * time.Hour
	// redScore is the score at which a client is RED.
	redScore = 50
	// forecastCriticalDays and forecastHighDays bound the severities.
	forecastCriticalDays = 2
	forecastHighDays     = 4
	forecastDayFactor    = 2 // urgency per day ahead of forecast_days
	forecastMaxBonus     = 10
)

// seriesWorkingSet is the WorkingSet of the checks that stream every
// client's series of the window (health_forecast, health_anomaly; one read
// when both run): the series being judged and the read's buffers beside
// the scan's batches. Measured at 100,000 clients and 65,000 anomalies
// (the shared harness's data, a dry run with both checks): the live heap
// stays at 8–11 MB, against 6 MB without them; under the scan's 20 MiB
// limit alone the collector ran 137 times and the process used 1.6–1.9 s
// of CPU (2.3–2.5 s wall), under 8 MiB more 1.1 s (1.8 s wall), at a peak
// RSS of 44–45 MB instead of 38–41.
const seriesWorkingSet = 8 << 20

// HealthForecastCheck is the health forecast check (CONTRACT §11.2): a
// client whose score, on its Theil–Sen trend over the 14-day window,
// reaches RED (50) within forecast_days.
func HealthForecastCheck() proactive.Check {
	return proactive.Check{
		Type:            proactive.HealthForecast,
		Monitor:         "checkHealthForecast",
		BreakdownKey:    "health_forecasts",
		Label:           "Health forecast",
		Noun:            "health forecast",
		MetricUnit:      "day",
		MetricAscending: true,
		Table:           proactive.TableHealthScores,
		Columns:         []string{"email", "firstname", "lastname", "health_score", "health_zone", "calculated_at"},
		TimeColumn:      "calculated_at",
		Window:          "readings in the last 14 days",
		Freshness:       2 * 24 * time.Hour,
		OutcomeKey:      clientOutcome,
		WorkingSet:      seriesWorkingSet,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
				src, err := sourceAs[proactive.HealthSeriesReader](source, "health series")
				if err != nil {
					return nil, err
				}
				th := env.Settings.Thresholds
				f := Forecaster{Thresholds: th, Now: env.Now}
				q := proactive.SeriesQuery{Now: env.Now, Wall: env.Wall, WindowDays: proactive.HealthWindowDays, MinReadings: forecastMinReadings,
					OwnerColumn: env.Settings.Columns.ClientOwner, ValueColumn: env.Settings.Columns.ClientValue}
				// The read of every client's series (the scan's health
				// pass) serves health_anomaly and health_drop too: they
				// take their candidates and trends from it.
				pass, err := healthPassOf(ctx, env, src)
				if err != nil {
					return nil, err
				}
				flagged, skipped := pass.forecast, pass.skipped
				out, err := judgeFlagged(ctx, src, q, flagged, f.Judge)
				if err != nil {
					return skipped, err
				}
				return skipped, emitAll(emit, out)
			})
		},
		Text: proactive.CheckText{
			Title: func(n int, p *proactive.Anomaly) string {
				if n == 1 {
					return "Client Heading for RED: " + p.Entity
				}
				return fmt.Sprintf("%d Clients Heading for RED", n)
			},
			Many: func(n int) string { return fmt.Sprintf("%d clients heading for RED", n) },
			Describe: func(p *proactive.Anomaly) string {
				d, _ := p.Details.(HealthForecastDetails)
				return fmt.Sprintf("%s health score is falling %s points a day and reaches RED in %s days, around %s.",
					p.Entity, OneDecimal(math.Abs(d.Slope)), OneDecimal(d.DaysToRed), d.RedOn)
			},
			Figure: func(a *proactive.Anomaly) string { return "RED in " + OneDecimal(a.Metric) + " days" },
			Tally:  func(n int) string { return termtext.Count(n, "health forecast") },
			Found:  func(n int) string { return fmt.Sprintf("[checkHealthForecast] Found %d clients heading for RED", n) },
			Analyze: func(s proactive.Settings) proactive.Analyzer {
				return &countAnalyzer{sentence: func(n int) string {
					return fmt.Sprintf("%d clients forecast to reach RED within %d days.", n, RoundHalfUp(s.Thresholds.ForecastDays))
				}}
			},
		},
	}
}

// Forecaster judges client series under the thresholds at now. Its
// scratch space makes Judge allocate nothing but the anomalies it
// returns; it is not safe for concurrent use.
type Forecaster struct {
	Thresholds proactive.Thresholds
	Now        time.Time
	scratch    []float64
}

// Judge returns the health forecast anomaly of one client series (readings
// oldest first), false when it is none: fewer than 5 readings, newest and
// oldest less than 96 h apart, a newest score below 50, a slope that is
// not negative, or RED further than forecast_days away.
func (f *Forecaster) Judge(s *proactive.ClientSeries) (proactive.Anomaly, bool) {
	pts := s.Readings
	if len(pts) < forecastMinReadings {
		return proactive.Anomaly{}, false
	}
	oldest, newest := pts[0], pts[len(pts)-1]
	if newest.At.Sub(oldest.At) < forecastMinSpan || newest.Score < redScore {
		return proactive.Anomaly{}, false
	}
	th := f.Thresholds
	slopes, buf := PairSlopes(pts, f.scratch)
	f.scratch = buf
	if !MedianMayBeAtMost(slopes, forecastSlopeBound(newest.Score-redScore, th.ForecastDays)) {
		return proactive.Anomaly{}, false
	}
	slope, ok := TheilSenOf(slopes)
	if !ok || slope >= 0 {
		return proactive.Anomaly{}, false
	}
	days := Denoise((newest.Score - redScore) / -slope)
	if days > th.ForecastDays {
		return proactive.Anomaly{}, false
	}
	sev := ForecastSeverity(days)
	email := strings.TrimSpace(s.Email)
	return proactive.Anomaly{
		Type:      proactive.HealthForecast,
		Severity:  sev,
		Entity:    HealthEntity(s.Firstname, s.Lastname, email),
		EntityKey: proactive.NormEmail(email),
		Key:       proactive.NormEmail(email),
		Details: HealthForecastDetails{
			DaysToRed: days,
			RedOn:     newest.At.Add(time.Duration(days * dayNanos)).UTC().Format(time.DateOnly),
			Revenue:   Revenue(s.Value),
			Slope:     slope,
		},
		Owner:             strings.TrimSpace(s.Owner),
		Metric:            days,
		RecommendedAction: forecastAction(sev, slope, days),
		UrgencyScore:      ForecastUrgency(sev, days, th.ForecastDays),
		DetectedAt:        f.Now,
	}, true
}

// forecastSlopeBound is a slope (points a day) that the median of the
// pairwise slopes of a series above RED by above must not exceed for the
// series to reach RED within forecastDays: the slope at which it takes
// exactly forecastDays, loosened by the rounding of the slope and the
// days (Denoise, 1e-9) so that the bound never drops a series Judge
// would flag. Without a positive horizon there is no bound.
func forecastSlopeBound(above, forecastDays float64) float64 {
	if forecastDays <= 0 {
		return math.Inf(1)
	}
	return -above/(forecastDays+1e-9) + 1e-9
}

// Forecasts judges every series (Forecaster.Judge) and returns the
// anomalies most urgent first (CompareAnomalies); nil when none.
func Forecasts(series []proactive.ClientSeries, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	f := Forecaster{Thresholds: th, Now: now}
	var out []proactive.Anomaly
	for i := range series {
		if a, ok := f.Judge(&series[i]); ok {
			out = append(out, a)
		}
	}
	return sorted(out)
}

// ForecastSeverity is the severity of RED days away: critical within 2
// days, high within 4, else medium.
func ForecastSeverity(days float64) proactive.Severity {
	switch {
	case days <= forecastCriticalDays:
		return proactive.SeverityCritical
	case days <= forecastHighDays:
		return proactive.SeverityHigh
	}
	return proactive.SeverityMedium
}

// ForecastUrgency is the urgency of a forecast: the severity's base plus
// min((forecast_days − days) × 2, 10), rounded half up, capped at 100.
func ForecastUrgency(sev proactive.Severity, days, forecastDays float64) int {
	return finish(sev.BaseUrgency() + bonus(Denoise(forecastDays-days)*forecastDayFactor, forecastMaxBonus))
}

// forecastAction is CONTRACT §11.10's recommended action for a forecast.
func forecastAction(sev proactive.Severity, slope, days float64) string {
	next := "Send a check-in message this week."
	switch sev {
	case proactive.SeverityCritical:
		next = "Call today and agree a recovery plan."
	case proactive.SeverityHigh:
		next = "Book a check-in within 48 hours."
	}
	return severityAction(sev, fmt.Sprintf("Score falling %s points a day; reaches RED in %s days. %s",
		OneDecimal(math.Abs(slope)), OneDecimal(days), next))
}

// countAnalyzer gives one insight sentence about any number (≥ 1) of a
// check's anomalies, and no prediction.
type countAnalyzer struct {
	n        int
	sentence func(n int) string
}

func (c *countAnalyzer) Add(*proactive.Anomaly) { c.n++ }

func (c *countAnalyzer) Findings() proactive.Findings {
	if c.n == 0 {
		return proactive.Findings{}
	}
	return proactive.Findings{Insights: []string{c.sentence(c.n)}}
}

// The health series are read in two passes (proactive.SeriesQuery): a
// first pass over every client, without names, finds the clients a
// check flags (flagSeries); a second reads just those, named, and judges
// them again (judgeFlagged). Memory holds the flagged emails and the
// anomalies, never the series.

// flagSeries streams the series of q without names and returns the
// emails (as written) judge flags, and the skipped rows; tap, when not
// nil, sees every series too.
func flagSeries(ctx context.Context, src proactive.HealthSeriesReader, q proactive.SeriesQuery,
	judge func(*proactive.ClientSeries) (proactive.Anomaly, bool), tap func(*proactive.ClientSeries)) ([]string, proactive.Skipped, error) {
	q.NoNames, q.OwnerColumn, q.ValueColumn = true, "", ""
	var flagged []string
	skipped, err := src.HealthSeries(ctx, q, func(s *proactive.ClientSeries) error {
		if _, ok := judge(s); ok {
			flagged = append(flagged, s.Email)
		}
		if tap != nil {
			tap(s)
		}
		return nil
	})
	return flagged, skipped, err
}

// judgeFlagged reads the named series of emails (q's window and minimum
// readings) and returns what judge finds, most urgent first; nil for no
// email.
func judgeFlagged(ctx context.Context, src proactive.HealthSeriesReader, q proactive.SeriesQuery, emails []string,
	judge func(*proactive.ClientSeries) (proactive.Anomaly, bool)) ([]proactive.Anomaly, error) {
	if len(emails) == 0 {
		return nil, nil
	}
	var out []proactive.Anomaly
	_, err := src.HealthSeries(ctx, proactive.SeriesQuery{
		Now: q.Now, Wall: q.Wall, WindowDays: q.WindowDays, MinReadings: q.MinReadings, Emails: emails,
		OwnerColumn: q.OwnerColumn, ValueColumn: q.ValueColumn,
	}, func(s *proactive.ClientSeries) error {
		if a, ok := judge(s); ok {
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sorted(out), nil
}
