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

// SyncFailDetails are the figures of a sync failure pattern (CONTRACT §3),
// in the alphabetical order of their JSON names.
type SyncFailDetails struct {
	ErrorType    string  `json:"error_type"` // kept whole: rate_limit stays rate_limit
	FailureCount int     `json:"failure_count"`
	LatestError  *string `json:"latest_error"`
	// Revenue is always 0: a sync failure puts no revenue at risk by
	// itself (CONTRACT §11.7).
	Revenue float64 `json:"revenue_at_risk"`
	Source  string  `json:"source"` // as written in the data
}

// DetailsType implements proactive.Details.
func (SyncFailDetails) DetailsType() proactive.AnomalyType { return proactive.SyncFail }

// RevenueAtRisk implements proactive.Details.
func (d SyncFailDetails) RevenueAtRisk() float64 { return d.Revenue }

// SyncFailureReader is what the sync failure check reads.
type SyncFailureReader interface {
	SyncFailures(ctx context.Context, q proactive.SyncQuery, fn func(proactive.SyncFailureGroup) error) (proactive.Skipped, error)
}

// SyncFailCheck is the sync failure check (CONTRACT §3): unresolved sync
// errors of the last 24 h, per (source, error_type).
func SyncFailCheck() proactive.Check {
	return proactive.Check{
		Type:         proactive.SyncFail,
		Monitor:      "checkSyncFailures",
		BreakdownKey: "sync_failures",
		Label:        "Sync failure",
		Noun:         "sync failure",
		MetricUnit:   "failure",
		Table:        proactive.TableSyncErrors,
		Columns:      []string{"id", "error_type", "source", "object_type", "error_message", "created_at", "retry_count", "resolved_at"},
		TimeColumn:   "created_at",
		Window:       "unresolved errors in the last 24 h", // no errors is good news: no freshness
		Default:      true,
		New: func(env proactive.CheckEnv) proactive.Detector {
			return proactive.SourceDetector(func(ctx context.Context, source any, emit proactive.Emitter) (proactive.Skipped, error) {
				src, err := sourceAs[SyncFailureReader](source, "sync failures")
				if err != nil {
					return nil, err
				}
				// Few groups (one per source and error type): gathered and
				// reported most urgent first, as two groups may share a key.
				var groups []proactive.SyncFailureGroup
				skipped, err := src.SyncFailures(ctx, proactive.SyncQuery{Now: env.Now, Wall: env.Wall, Since: env.Now.Add(-24 * time.Hour)},
					func(g proactive.SyncFailureGroup) error { groups = append(groups, g); return nil })
				if err != nil {
					return skipped, err
				}
				return skipped, emitAll(emit, Sync(groups, env.Settings.Thresholds, env.Now))
			})
		},
		Text: proactive.CheckText{
			// Always the primary's entity and its own failure count.
			Title: func(_ int, p *proactive.Anomaly) string {
				return fmt.Sprintf("%s: %s Sync Failures", p.Entity, FormatNumber(p.Metric))
			},
			Many: func(n int) string { return termtext.Count(n, "sync failure pattern") },
			Describe: func(p *proactive.Anomaly) string {
				return fmt.Sprintf("%s has failed %s in the last 24 hours.", p.Entity, Quantity(p.Metric, "time"))
			},
			Figure:  func(a *proactive.Anomaly) string { return Quantity(a.Metric, "failure") },
			Tally:   func(n int) string { return termtext.Count(n, "sync failure pattern") },
			Found:   func(n int) string { return fmt.Sprintf("[checkSyncFailures] Found %d sync failure patterns", n) },
			Analyze: func(proactive.Settings) proactive.Analyzer { return &syncAnalyzer{seen: map[string]bool{}} },
		},
	}
}

// Sync finds the sync failures of CONTRACT §3 among the unresolved sync
// errors of the last 24 h, grouped by (source, error_type), both kept whole
// (rate_limit stays rate_limit). Fewer than SyncFailMedium failures is no
// anomaly. Anomalies come most urgent first
// (CompareAnomalies); nil when there are none.
func Sync(groups []proactive.SyncFailureGroup, th proactive.Thresholds, now time.Time) []proactive.Anomaly {
	out := make([]proactive.Anomaly, 0, len(groups)) // stores usually pre-filter: most are anomalies
	for i := range groups {
		g := &groups[i]
		sev, ok := SyncSeverity(g.Count, th)
		if !ok {
			continue
		}
		display := SourceDisplayName(g.Source)
		key := g.Source + "_" + g.ErrorType
		out = append(out, proactive.Anomaly{
			Type:      proactive.SyncFail,
			Severity:  sev,
			Entity:    display + " - " + g.ErrorType,
			EntityKey: key,
			Key:       key,
			Details: SyncFailDetails{
				ErrorType:    g.ErrorType,
				FailureCount: g.Count,
				LatestError:  orNil(g.LatestMessage),
				Source:       g.Source,
			},
			Metric:            float64(g.Count),
			RecommendedAction: syncAction(sev, display, g.ErrorType, g.Count),
			UrgencyScore:      SyncUrgency(sev, g.Count),
			DetectedAt:        now,
		})
	}
	return sorted(out)
}

// SyncSeverity is the severity of count sync failures under th: at least
// SyncFailCritical critical, at least SyncFailHigh high, at least
// SyncFailMedium medium; false below that.
func SyncSeverity(count int, th proactive.Thresholds) (proactive.Severity, bool) {
	switch {
	case count >= th.SyncFailCritical:
		return proactive.SeverityCritical, true
	case count >= th.SyncFailHigh:
		return proactive.SeverityHigh, true
	case count >= th.SyncFailMedium:
		return proactive.SeverityMedium, true
	}
	return "", false
}

// SourceDisplayName is how a sync source is shown: hubspot → HubSpot,
// stripe → Stripe, meta → Meta (matched without regard to case or
// surrounding spaces); any other source as written.
func SourceDisplayName(source string) string {
	switch strings.ToLower(strings.TrimSpace(source)) {
	case "hubspot":
		return "HubSpot"
	case "stripe":
		return "Stripe"
	case "meta":
		return "Meta"
	}
	return source
}

// syncAction is the seed's recommended action for a sync failure.
func syncAction(sev proactive.Severity, display, errorType string, count int) string {
	switch sev {
	case proactive.SeverityCritical:
		return fmt.Sprintf("CRITICAL: %s sync failing repeatedly (%s). Check API credentials, rate limits, and connectivity immediately.", display, Quantity(float64(count), "failure"))
	case proactive.SeverityHigh:
		return fmt.Sprintf("High Priority: %s experiencing %s errors. Review error logs and consider manual retry or system restart.", display, errorType)
	}
	return fmt.Sprintf("Monitor %s sync status. May resolve automatically with retry. Investigate if pattern continues.", display)
}

// syncAnalyzer: any sync failure gives the distinct sources,
// alphabetically, and a prediction when any failure is critical (CONTRACT §4).
type syncAnalyzer struct {
	seen     map[string]bool
	sources  []string
	critical bool
}

func (s *syncAnalyzer) Add(a *proactive.Anomaly) {
	d, _ := a.Details.(SyncFailDetails)
	if !s.seen[d.Source] {
		s.seen[d.Source] = true
		s.sources = append(s.sources, d.Source)
	}
	s.critical = s.critical || a.Severity == proactive.SeverityCritical
}

func (s *syncAnalyzer) Findings() proactive.Findings {
	var f proactive.Findings
	if len(s.sources) == 0 {
		return f
	}
	sources := slices.Clone(s.sources)
	slices.SortFunc(sources, CompareText)
	f.Insights = append(f.Insights, fmt.Sprintf("Sync failures detected across %d source(s): %s", len(sources), strings.Join(sources, ", ")))
	if s.critical {
		f.Predictions = append(f.Predictions, "Critical sync failures may cause data inconsistencies. Immediate attention required.")
	}
	return f
}
