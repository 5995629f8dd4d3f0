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
	"slices"
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
	// Registry lists the checks the scanner knows; nil means rules.Registry().
	Registry *proactive.Registry
	// Checks are the types of the checks to run, in any order; nil means
	// the registry's defaults. Unknown types are an error from New.
	Checks []proactive.AnomalyType
	// Settings are the checks' thresholds and options; a zero Thresholds
	// means the seed's, nil StallStages the seed's stages.
	Settings proactive.Settings
	// Route returns the notification channels that want an alert; nil
	// means no notifications are queued.
	Route func(proactive.Alert) []string
	// Logger receives the seed's log lines; nil discards them.
	Logger *slog.Logger
	// Clock measures the scan's duration; nil means time.Now. (The scan's
	// "now" for windows and dates is Params.Now, not this clock.)
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
	opts   Options
	log    *slog.Logger
	checks []proactive.Check // enabled, in report order
}

// New returns a Scanner, or an error naming what is missing.
func New(opts Options) (*Scanner, error) {
	if opts.Store == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "scan: a store is required")
	}
	if opts.Settings.Thresholds == (proactive.Thresholds{}) {
		opts.Settings.Thresholds = proactive.DefaultThresholds()
	}
	if len(opts.Settings.StallStages) == 0 {
		opts.Settings.StallStages = proactive.DefaultStallStages()
	}
	if opts.Registry == nil {
		opts.Registry = rules.Registry()
	}
	enabled := opts.Checks
	if enabled == nil {
		enabled = opts.Registry.Defaults()
	}
	var checks []proactive.Check
	for _, c := range opts.Registry.All() {
		if slices.Contains(enabled, c.Type) {
			checks = append(checks, c)
		}
	}
	for _, t := range enabled {
		if _, err := opts.Registry.ParseType(string(t)); err != nil {
			return nil, fmt.Errorf("scan: checks: %w", err)
		}
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{opts: opts, log: log, checks: checks}, nil
}

// checkOutcome is what one check produced.
type checkOutcome struct {
	check     proactive.Check
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
	for _, c := range s.opts.Registry.All() {
		if c.Default || s.enabled(c.Type) {
			res.Breakdown = append(res.Breakdown, proactive.BreakdownEntry{Type: c.Type, Key: c.BreakdownKey})
		}
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
	analyst := insight.NewAnalyst(s.opts.Registry, s.opts.Settings)
	reducers := make(map[proactive.AnomalyType]*insight.Reducer, len(outcomes))
	total := 0
	for _, o := range outcomes {
		c := o.check
		if o.err != nil {
			if proactive.ErrorCode(o.err) == proactive.EUNAVAILABLE || ctx.Err() != nil {
				return fail(fmt.Errorf("%s: %w", c.Monitor, o.err))
			}
			res.Errors = append(res.Errors, proactive.MonitorError{Monitor: c.Monitor, Error: proactive.ErrorMessage(o.err)})
			log.ErrorContext(ctx, fmt.Sprintf("[%s] Error: %s", c.Monitor, proactive.ErrorMessage(o.err)), "monitor", c.Monitor, "error", o.err)
			continue
		}
		res.SkippedRows = append(res.SkippedRows, skippedRows(c.Monitor, o.skipped)...)
		for i := range res.Breakdown {
			if res.Breakdown[i].Type == c.Type {
				res.Breakdown[i].Count = len(o.anomalies)
			}
		}
		total += len(o.anomalies)
		r := insight.NewReducer(c.Type)
		bySeverity := map[proactive.Severity]int{}
		for i := range o.anomalies {
			analyst.Add(&o.anomalies[i])
			r.Add(o.anomalies[i])
			bySeverity[o.anomalies[i].Severity]++
		}
		for _, sev := range proactive.Severities() {
			if n := bySeverity[sev]; n > 0 {
				res.AnomalyCounts = append(res.AnomalyCounts, proactive.AnomalyCount{Type: c.Type, Severity: sev, Count: n})
			}
		}
		reducers[c.Type] = r
	}
	res.AnomaliesDetected = total
	log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Found %d total anomalies", total), "anomalies", total)

	analysis := analyst.Analysis()
	res.Insights = append(res.Insights, analysis.Insights...)
	res.Predictions = append(res.Predictions, analysis.Predictions...)

	var groups []proactive.AlertGroup
	for _, c := range s.checks {
		if r := reducers[c.Type]; r != nil {
			if g, ok := r.Group(); ok {
				groups = append(groups, g)
			}
		}
	}
	res.Groups = groups
	res.AlertGroupsCount = len(groups)
	log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Grouped into %d alert groups", len(groups)), "groups", len(groups))

	for _, g := range groups {
		c, _ := s.opts.Registry.Lookup(g.Type)
		alert := insight.BuildAlert(c, g, analysis, now)
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
				DedupWindow: time.Duration(s.opts.Settings.Thresholds.DedupWindowHours * float64(time.Hour)),
				Now:         now,
				Channels:    channels,
				ScanID:      scanID,
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

// enabled reports whether the check of type t runs.
func (s *Scanner) enabled(t proactive.AnomalyType) bool {
	for _, c := range s.checks {
		if c.Type == t {
			return true
		}
	}
	return false
}

// collector gathers what a check emits.
type collector struct {
	anomalies []proactive.Anomaly
}

func (c *collector) Anomaly(a proactive.Anomaly) error {
	c.anomalies = append(c.anomalies, a)
	return nil
}
func (c *collector) Seen(string) error { return nil }

// runChecks runs the enabled checks and returns their outcomes in report
// order. Checks without inputs run concurrently; a check with inputs runs
// after them and observes their anomalies. Each check's failure is its
// own; none stops the others, but a check whose input failed fails too.
func (s *Scanner) runChecks(ctx context.Context, log *slog.Logger, now time.Time) []checkOutcome {
	env := proactive.CheckEnv{Now: now, Settings: s.opts.Settings, Source: s.opts.Store}
	out := make([]checkOutcome, len(s.checks))
	run := func(i int, d proactive.Detector) {
		c := s.checks[i]
		var col collector
		skipped, err := d.Detect(ctx, &col)
		o := checkOutcome{check: c, anomalies: col.anomalies, skipped: skipped, err: err}
		if err == nil && c.Text.Found != nil {
			log.InfoContext(ctx, c.Text.Found(len(o.anomalies)), "monitor", c.Monitor, "anomalies", len(o.anomalies), "skipped_rows", o.skipped.Total())
		}
		out[i] = o
	}
	var wg sync.WaitGroup
	for i, c := range s.checks {
		if len(c.Inputs) == 0 {
			wg.Go(func() { run(i, c.New(env)) })
		}
	}
	wg.Wait()
	for i, c := range s.checks {
		if len(c.Inputs) == 0 {
			continue
		}
		d := c.New(env)
		var failed []string
		for _, o := range out {
			if !slices.Contains(c.Inputs, o.check.Type) {
				continue
			}
			if o.err != nil {
				failed = append(failed, string(o.check.Type))
				continue
			}
			for j := range o.anomalies {
				d.Observe(&o.anomalies[j])
			}
		}
		if len(failed) > 0 {
			out[i] = checkOutcome{check: c, err: proactive.Errorf(proactive.EINTERNAL, "depends on %s, which failed", strings.Join(failed, ", "))}
			continue
		}
		run(i, d)
	}
	return out
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
