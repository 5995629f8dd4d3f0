package rules

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// healthPassKey is where the scan's one pass over every client's series
// is kept in its scope.
const healthPassKey = "rules.health_pass"

// healthPass is what one read of every client's series of the window
// gives the health checks of a scan when health_forecast runs: its
// flagged clients, health_anomaly's candidates (judged without the health
// drop exclusion, which its second pass applies), and health_drop's trends
// (the clients whose drop may reach the recovery margin, as HealthTrends
// would return them, without names), so that the readings are read once,
// not once per check.
type healthPass struct {
	forecast   []string // emails health_forecast flagged
	candidates []string // emails that could be an unusual drop
	trends     []proactive.HealthTrend
	skipped    proactive.Skipped
}

// healthPassOf returns the scan's health pass, reading it on the first
// call (the other health checks wait for it).
func healthPassOf(ctx context.Context, env proactive.CheckEnv, src proactive.HealthSeriesReader) (*healthPass, error) {
	v, err := env.Scope.Once(healthPassKey, func() (any, error) { return readHealthPass(ctx, env, src) })
	if err != nil {
		return nil, err
	}
	return v.(*healthPass), nil
}

// forecastRuns reports whether health_forecast runs in the scan: its
// health pass then serves health_drop and health_anomaly as well.
func forecastRuns(env proactive.CheckEnv) bool {
	return env.Enabled != nil && env.Enabled(proactive.HealthForecast)
}

// sharesHealthPass reports whether health_drop reads its trends from the
// health pass: when health_forecast runs in the scan and the source reads
// series.
func sharesHealthPass(env proactive.CheckEnv, source any) (proactive.HealthSeriesReader, bool) {
	if !forecastRuns(env) {
		return nil, false
	}
	src, ok := source.(proactive.HealthSeriesReader)
	return src, ok
}

// readHealthPass reads every client's series once (no names) and judges
// each for the three health checks.
func readHealthPass(ctx context.Context, env proactive.CheckEnv, src proactive.HealthSeriesReader) (*healthPass, error) {
	th := env.Settings.Thresholds
	f := Forecaster{Thresholds: th, Now: env.Now}
	a := AnomalyJudge{Thresholds: th, Now: env.Now}
	bound := proactive.HealthQuery{MinDrop: KeepOpenDrop(th)}.MinDropBound()
	trendDays := time.Duration(th.HealthTrendDays) * 24 * time.Hour
	var p healthPass
	q := proactive.SeriesQuery{Now: env.Now, Wall: env.Wall, WindowDays: proactive.HealthWindowDays, MinReadings: 2, NoNames: true}
	skipped, err := src.HealthSeries(ctx, q, func(s *proactive.ClientSeries) error {
		if _, ok := f.Judge(s); ok {
			p.forecast = append(p.forecast, s.Email)
		}
		if _, ok := a.Judge(s); ok {
			p.candidates = append(p.candidates, s.Email)
		}
		if t, ok := trendOf(s, trendDays, bound); ok {
			p.trends = append(p.trends, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.skipped = skipped
	return &p, nil
}

// trendOf is the health trend of a series (readings oldest first, at
// least 2), as HealthTrends computes it, when its drop may reach bound:
// the newest reading against the one before and the mean of the others
// of the trend window; the highest score bounds the drop first.
func trendOf(s *proactive.ClientSeries, trendDays time.Duration, bound float64) (proactive.HealthTrend, bool) {
	n := len(s.Readings)
	if n < 2 {
		return proactive.HealthTrend{}, false
	}
	cur, prev := s.Readings[n-1], s.Readings[n-2]
	hi := math.Inf(-1)
	for _, r := range s.Readings {
		hi = max(hi, r.Score)
	}
	if bound > 0 && hi-cur.Score < bound {
		return proactive.HealthTrend{}, false
	}
	t := proactive.HealthTrend{Email: s.Email, Current: cur.Score, CurrentAt: cur.At, Previous: prev.Score, PreviousAt: prev.At, Readings: n}
	from := cur.At.Add(-trendDays)
	sum, k := 0.0, 0
	for _, r := range s.Readings[:n-1] {
		if !r.At.Before(from) {
			sum += r.Score
			k++
		}
	}
	drop := prev.Score - cur.Score
	if k > 0 {
		avg := sum / float64(k)
		t.WeekAvg = &avg
		drop = max(drop, avg-cur.Score)
	}
	if bound > 0 && drop < bound {
		return proactive.HealthTrend{}, false
	}
	return t, true
}

// trendsWithNames completes the pass's trends with the names, zone, owner
// and value of each client's newest reading (one read of those clients),
// in the order HealthTrends gives them: the emails of one client together.
func trendsWithNames(ctx context.Context, env proactive.CheckEnv, src proactive.HealthSeriesReader, trends []proactive.HealthTrend) ([]proactive.HealthTrend, error) {
	if len(trends) == 0 {
		return nil, nil
	}
	emails := make([]string, len(trends))
	for i, t := range trends {
		emails[i] = t.Email
	}
	cols := env.Settings.Columns
	named := make(map[string]*proactive.ClientSeries, len(trends))
	_, err := src.HealthSeries(ctx, proactive.SeriesQuery{Now: env.Now, Wall: env.Wall, WindowDays: proactive.HealthWindowDays, MinReadings: 2,
		Emails: emails, OwnerColumn: cols.ClientOwner, ValueColumn: cols.ClientValue}, func(s *proactive.ClientSeries) error {
		c := *s
		c.Readings = nil
		named[s.Email] = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := slices.Clone(trends)
	for i := range out {
		if s := named[out[i].Email]; s != nil {
			out[i].Firstname, out[i].Lastname, out[i].Zone = s.Firstname, s.Lastname, s.Zone
			out[i].Owner, out[i].Value = s.Owner, s.Value
		}
	}
	slices.SortFunc(out, func(a, b proactive.HealthTrend) int {
		return cmp.Or(cmp.Compare(proactive.NormEmail(a.Email), proactive.NormEmail(b.Email)), cmp.Compare(a.Email, b.Email))
	})
	return out, nil
}
