// Package scan runs one monitoring scan: the four checks concurrently, then
// grouping, insights, alert text, dedup-aware storage with the notification
// outbox, and the scan's response object (CONTRACT §6). It logs the seed's
// lines as structured slog records.
package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/insight"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// Options configure a Scanner.
type Options struct {
	// Store is read by the checks and written with the alerts. Required.
	Store proactive.Store
	// Thresholds are the checks' thresholds; zero value means the seed's.
	Thresholds proactive.Thresholds
	// StallStages are the deal stages the stall check watches; nil means the seed's.
	StallStages []string
	// Route returns the notification channels that want an alert; nil
	// means no notifications are queued.
	Route func(proactive.Alert) []string
	// Logger receives the seed's log lines; nil discards them.
	Logger *slog.Logger
	// Clock is the wall clock: it measures the scan's duration and dates
	// the notifications the scan queues (the outbox worker claims by the
	// wall clock); nil means time.Now. (The scan's "now" for windows,
	// dates and the alert rows is Params.Now, not this clock.)
	Clock func() time.Time
}

// Params are the inputs of one scan.
type Params struct {
	// Now is the moment the scan evaluates at.
	Now time.Time
	// Trigger names who started the scan: cli, http, schedule, dashboard, demo.
	Trigger string
	// DryRun computes everything but stores nothing.
	DryRun bool
}

// Scanner runs scans. It is safe for concurrent use; concurrent scans on one
// database still store each dedup key once (the store guarantees it).
type Scanner struct {
	opts Options
	log  *slog.Logger
}

// New returns a Scanner, or an error naming what is missing.
func New(opts Options) (*Scanner, error) {
	if opts.Store == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "scan: a store is required")
	}
	if opts.Thresholds == (proactive.Thresholds{}) {
		opts.Thresholds = proactive.DefaultThresholds()
	}
	if len(opts.StallStages) == 0 {
		opts.StallStages = proactive.DefaultStallStages()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{opts: opts, log: log}, nil
}

// checkOutcome is what one check produced.
type checkOutcome struct {
	typ       proactive.AnomalyType
	anomalies []proactive.Anomaly
	skipped   proactive.Skipped
	err       error
}

// Run performs one scan. It returns an error (and a result with Success
// false and Error set) only when the scan could not run: the database is
// unreachable, or an alert could not be stored. A check that fails for
// another reason (a missing table, say) is reported in the result's Errors
// while the other checks run, and Success stays true.
func (s *Scanner) Run(ctx context.Context, p Params) (proactive.ScanResult, error) {
	start := s.opts.Clock()
	now := p.Now.UTC()
	if now.IsZero() {
		now = start.UTC()
	}
	res := proactive.ScanResult{
		Insights:    []string{},
		Predictions: []string{},
		AlertGroups: []proactive.GroupSummary{},
		Errors:      []proactive.MonitorError{},
		SkippedRows: []proactive.SkippedRows{},
		DryRun:      p.DryRun,
		Now:         now.Format(time.RFC3339),
	}
	scanID := uuid.NewString()
	log := s.log.With("scan_id", scanID, "trigger", p.Trigger)
	log.InfoContext(ctx, "[PTD Proactive] Starting comprehensive monitoring scan...", "now", res.Now, "dry_run", p.DryRun)

	fail := func(err error) (proactive.ScanResult, error) {
		res.Success = false
		res.Error = err.Error() // the whole chain: which check or alert, then the store's message
		res.DurationMS = s.opts.Clock().Sub(start).Milliseconds()
		log.ErrorContext(ctx, "[PTD Proactive] Error: "+res.Error, "error", err)
		s.record(ctx, log, start, p, res)
		return res, err
	}

	if err := s.opts.Store.Ping(ctx); err != nil {
		return fail(err)
	}

	outcomes := s.runChecks(ctx, log, now)
	var all []proactive.Anomaly
	for _, o := range outcomes {
		if o.err != nil {
			if proactive.ErrorCode(o.err) == proactive.EUNAVAILABLE || ctx.Err() != nil {
				return fail(fmt.Errorf("%s: %w", o.typ.Monitor(), o.err))
			}
			res.Errors = append(res.Errors, proactive.MonitorError{Monitor: o.typ.Monitor(), Error: proactive.ErrorMessage(o.err)})
			log.ErrorContext(ctx, fmt.Sprintf("[%s] Error: %s", o.typ.Monitor(), proactive.ErrorMessage(o.err)), "monitor", o.typ.Monitor(), "error", o.err)
			continue
		}
		all = append(all, o.anomalies...)
		res.SkippedRows = append(res.SkippedRows, skippedRows(o.typ.Monitor(), o.skipped)...)
		switch o.typ {
		case proactive.HealthDrop:
			res.Breakdown.HealthDrops = len(o.anomalies)
		case proactive.DealStall:
			res.Breakdown.DealStalls = len(o.anomalies)
		case proactive.SyncFail:
			res.Breakdown.SyncFailures = len(o.anomalies)
		case proactive.ResponseDelay:
			res.Breakdown.ResponseDelays = len(o.anomalies)
		}
	}
	res.AnomaliesDetected = len(all)
	log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Found %d total anomalies", len(all)), "anomalies", len(all))

	analysis := insight.Analyze(all)
	res.Insights = append(res.Insights, analysis.Insights...)
	res.Predictions = append(res.Predictions, analysis.Predictions...)

	groups := insight.Group(all)
	res.Groups = groups
	res.AlertGroupsCount = len(groups)
	log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Grouped into %d alert groups", len(groups)), "groups", len(groups))

	for _, g := range groups {
		alert := insight.BuildAlert(g, analysis, now)
		summary := proactive.GroupSummary{
			Type:          g.Type,
			Severity:      g.Severity,
			Urgency:       g.Urgency,
			AffectedCount: g.AffectedCount,
			Title:         alert.Title,
		}
		if !p.DryRun {
			var channels []string
			if s.opts.Route != nil {
				channels = s.opts.Route(alert)
			}
			saved, err := s.opts.Store.SaveAlert(ctx, proactive.SaveAlertParams{
				Alert:       alert,
				DedupWindow: time.Duration(s.opts.Thresholds.DedupWindowHours * float64(time.Hour)),
				Now:         now,
				Channels:    channels,
				ScanID:      scanID,
				EnqueueAt:   s.opts.Clock(), // the outbox runs on the wall clock, whatever p.Now
			})
			if err != nil {
				res.AlertGroups = append(res.AlertGroups, summary)
				return fail(fmt.Errorf("save alert %q: %w", alert.Title, err))
			}
			summary.Saved = saved.Outcome
			summary.AlertID = saved.ID
			alert.ID = saved.ID
			switch saved.Outcome {
			case proactive.Inserted:
				res.AlertsSaved++
				log.InfoContext(ctx, "[saveAlert] Saved alert: "+alert.Title, "dedup_key", alert.DedupKey, "alert_id", saved.ID, "priority", alert.Priority)
			case proactive.Escalated:
				res.AlertsSaved++
				res.AlertsEscalated++
				log.InfoContext(ctx, "[saveAlert] Escalated alert: "+alert.Title, "dedup_key", alert.DedupKey, "alert_id", saved.ID, "priority", alert.Priority)
			case proactive.Duplicate:
				res.DuplicatesSkipped++
				log.InfoContext(ctx, "[saveAlert] Skipping duplicate alert: "+alert.DedupKey, "dedup_key", alert.DedupKey)
			}
		}
		res.AlertGroups = append(res.AlertGroups, summary)
		res.Alerts = append(res.Alerts, alert)
	}

	res.Success = true
	res.DurationMS = s.opts.Clock().Sub(start).Milliseconds()
	log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Complete. Saved %d new alerts in %dms", res.AlertsSaved, res.DurationMS),
		"alerts_saved", res.AlertsSaved, "duplicates_skipped", res.DuplicatesSkipped, "duration_ms", res.DurationMS,
		"check_errors", len(res.Errors))
	s.record(ctx, log, start, p, res)
	return res, nil
}

// record stores the scan's record for the dashboard. A dry run records
// nothing. A failure to record is logged, not returned: the scan itself
// already succeeded or failed on its own terms.
func (s *Scanner) record(ctx context.Context, log *slog.Logger, start time.Time, p Params, res proactive.ScanResult) {
	if p.DryRun {
		return
	}
	msg := res.Error
	if msg == "" && len(res.Errors) > 0 {
		parts := make([]string, 0, len(res.Errors))
		for _, e := range res.Errors {
			parts = append(parts, e.Monitor+": "+e.Error)
		}
		msg = strings.Join(parts, "; ")
	}
	err := s.opts.Store.RecordScan(ctx, proactive.ScanRun{
		StartedAt:   start.UTC(),
		DurationMS:  res.DurationMS,
		Success:     res.Success,
		Trigger:     p.Trigger,
		Anomalies:   res.AnomaliesDetected,
		AlertsSaved: res.AlertsSaved,
		Errors:      len(res.Errors),
		Message:     msg,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.WarnContext(ctx, "could not record the scan run", "error", err)
	}
}

// runChecks runs the four checks concurrently and returns their outcomes in
// check order. Each check's failure is its own; none stops the others.
func (s *Scanner) runChecks(ctx context.Context, log *slog.Logger, now time.Time) []checkOutcome {
	th := s.opts.Thresholds
	st := s.opts.Store
	checks := []func(context.Context) checkOutcome{
		func(ctx context.Context) checkOutcome {
			trends, skipped, err := st.HealthTrends(ctx, proactive.HealthQuery{
				Now: now, WindowDays: proactive.HealthWindowDays, TrendDays: th.HealthTrendDays, MinDrop: th.HealthDropMedium,
			})
			o := checkOutcome{typ: proactive.HealthDrop, skipped: skipped, err: err}
			if err == nil {
				o.anomalies = rules.Health(trends, th, now)
			}
			return o
		},
		func(ctx context.Context) checkOutcome {
			deals, skipped, err := st.StalledDeals(ctx, proactive.DealQuery{Now: now, Stages: s.opts.StallStages, MinDays: th.DealStallDaysMedium})
			o := checkOutcome{typ: proactive.DealStall, skipped: skipped, err: err}
			if err == nil {
				o.anomalies = rules.Deals(deals, th, now)
			}
			return o
		},
		func(ctx context.Context) checkOutcome {
			groups, skipped, err := st.SyncFailures(ctx, proactive.SyncQuery{Now: now, Since: now.Add(-24 * time.Hour)})
			o := checkOutcome{typ: proactive.SyncFail, skipped: skipped, err: err}
			if err == nil {
				o.anomalies = rules.Sync(groups, th, now)
			}
			return o
		},
		func(ctx context.Context) checkOutcome {
			leads, skipped, err := st.WaitingLeads(ctx, proactive.LeadQuery{Now: now, MinHours: th.ResponseDelayMedium})
			o := checkOutcome{typ: proactive.ResponseDelay, skipped: skipped, err: err}
			if err == nil {
				o.anomalies = rules.Leads(leads, th, now)
			}
			return o
		},
	}
	out := make([]checkOutcome, len(checks))
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Go(func() {
			o := check(ctx)
			if o.err == nil {
				log.InfoContext(ctx, foundMessage(o.typ, len(o.anomalies)), "monitor", o.typ.Monitor(), "anomalies", len(o.anomalies), "skipped_rows", o.skipped.Total())
			}
			out[i] = o
		})
	}
	wg.Wait()
	return out
}

// foundMessage is the seed's per-check log line.
func foundMessage(t proactive.AnomalyType, n int) string {
	switch t {
	case proactive.HealthDrop:
		return fmt.Sprintf("[checkHealthScoreDrops] Found %d health score anomalies", n)
	case proactive.DealStall:
		return fmt.Sprintf("[checkDealPipelineStalls] Found %d stalled deals", n)
	case proactive.SyncFail:
		return fmt.Sprintf("[checkSyncFailures] Found %d sync failure patterns", n)
	default:
		return fmt.Sprintf("[checkLeadResponseTimes] Found %d delayed lead responses", n)
	}
}

// skippedRows turns a check's skip counts into sorted report entries.
func skippedRows(monitor string, s proactive.Skipped) []proactive.SkippedRows {
	out := make([]proactive.SkippedRows, 0, len(s))
	for reason, n := range s {
		if n > 0 {
			out = append(out, proactive.SkippedRows{Monitor: monitor, Reason: reason, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out
}
