// Package backtest replays the monitoring scans over past data (CONTRACT
// §12): a scan at from, from + step, … up to to, each evaluated at its
// step, with the risk desk — cases, their lifecycle, inhibition, group
// alerts — kept in memory (package memstore), so that nothing is written
// to the database. From the cases the replay opened it measures, per
// check, how many alerts and cases it raised and how long the cases stayed
// open and, given the outcomes that really happened (churned clients,
// lost deals), its precision, recall and lead time.
package backtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// DefaultStep is the time between two scans of the replay.
const DefaultStep = 24 * time.Hour

// Trigger names the backtest's scans in their logs.
const Trigger = "backtest"

// Options configure a backtest.
type Options struct {
	// Store is the database: pinged before each scan, never written.
	// Required.
	Store proactive.Store
	// Source is what the checks read; nil means Store.
	Source any
	// Registry lists the checks; nil means rules.Registry().
	Registry *proactive.Registry
	// Checks are the checks to replay; nil means the registry's defaults.
	Checks []proactive.AnomalyType
	// Settings are the checks' thresholds and options, inhibit rules
	// included.
	Settings proactive.Settings
	// From and To bound the replay: scans run at From, From + Step, …, up
	// to To.
	From, To time.Time
	// Step is the time between two scans; 0 means DefaultStep.
	Step time.Duration
	// Outcomes, when not nil, are what the cases are judged against.
	Outcomes *Outcomes
	// Wall is the wall clock (rows after it are "in the future"); nil
	// means time.Now.
	Wall func() time.Time
	// Logger receives the backtest's progress at debug level; nil
	// discards it. The scans' own log lines are not passed on.
	Logger *slog.Logger
}

// Report is the result of a backtest.
type Report struct {
	From  time.Time
	To    time.Time
	Step  time.Duration
	Steps int
	// Checks are the replayed checks, in report order.
	Checks []CheckReport
	// CheckErrors are the checks that failed at some step, once per
	// check and message (not in the JSON).
	CheckErrors []CheckError
}

// CheckError is a check that could not run at some steps of the replay.
type CheckError struct {
	Monitor string
	Error   string
	// Steps counts the steps it failed at; First is the first of them.
	Steps int
	First time.Time
}

// FormatStep writes a step as the flag takes it: whole days as "<n>d",
// anything else as a Go duration.
func FormatStep(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// MarshalJSON writes {from, to, step, steps, checks: {<check>: {…}}},
// the checks in report order.
func (r Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	head, err := json.Marshal(struct {
		From  string `json:"from"`
		To    string `json:"to"`
		Step  string `json:"step"`
		Steps int    `json:"steps"`
	}{r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339), FormatStep(r.Step), r.Steps})
	if err != nil {
		return nil, err
	}
	b.Write(head[:len(head)-1])
	b.WriteString(`,"checks":{`)
	for i, c := range r.Checks {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(string(c.Type))
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteString("}}")
	return b.Bytes(), nil
}

// StepTimes returns the moments the replay scans at: from, from + step, …
// while not after to.
func StepTimes(from, to time.Time, step time.Duration) []time.Time {
	var out []time.Time
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, t)
	}
	return out
}

// validate checks the bounds, naming the flag to fix.
func (o *Options) validate() error {
	switch {
	case o.Store == nil:
		return proactive.Errorf(proactive.EINVALID, "backtest: a store is required")
	case o.From.IsZero() || o.To.IsZero():
		return proactive.Errorf(proactive.EINVALID, "backtest: give both --from and --to")
	case o.To.Before(o.From):
		return proactive.Errorf(proactive.EINVALID, "backtest: --to %s is before --from %s: give an end on or after the start",
			o.To.UTC().Format(time.RFC3339), o.From.UTC().Format(time.RFC3339))
	case o.Step < 0:
		return proactive.Errorf(proactive.EINVALID, "backtest: --step %s is not positive: give a step such as 1d or 6h", o.Step)
	}
	return nil
}

// Run replays the scans and measures them. It returns an error when the
// options are wrong (EINVALID) or a scan could not run (the database is
// unreachable); a check that fails at some steps is reported in
// Report.CheckErrors while the others run.
func Run(ctx context.Context, opts Options) (Report, error) {
	if err := opts.validate(); err != nil {
		return Report{}, err
	}
	if opts.Step == 0 {
		opts.Step = DefaultStep
	}
	if opts.Registry == nil {
		opts.Registry = rules.Registry()
	}
	if opts.Wall == nil {
		opts.Wall = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Source == nil {
		opts.Source = opts.Store // itself: the checks assert their readers on it
	}
	from, to := opts.From.UTC(), opts.To.UTC()
	ids := newIDs()
	desk := memstore.New(ids)
	sc, err := scan.New(scan.Options{
		Store:    readOnly{opts.Store},
		Source:   opts.Source,
		Desk:     desk,
		Registry: opts.Registry,
		Checks:   opts.Checks,
		Settings: opts.Settings,
		Logger:   slog.New(slog.DiscardHandler),
		Clock:    opts.Wall,
		NewID:    ids,
	})
	if err != nil {
		return Report{}, fmt.Errorf("backtest: %w", err)
	}
	rep := Report{From: from, To: to, Step: opts.Step}
	alerts := map[proactive.AnomalyType]int{}
	failed := map[[2]string]int{} // monitor, message → index in rep.CheckErrors
	for _, t := range StepTimes(from, to, opts.Step) {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		res, err := sc.Run(ctx, scan.Params{Now: t, Trigger: Trigger})
		if err != nil {
			return Report{}, fmt.Errorf("backtest: the scan at %s could not run: %w", t.Format(time.RFC3339), err)
		}
		rep.Steps++
		for _, g := range res.AlertGroups {
			switch g.Saved {
			case proactive.Inserted, proactive.Escalated, proactive.Updated:
				alerts[g.Type]++
			}
		}
		for _, e := range res.Errors {
			k := [2]string{e.Monitor, e.Error}
			if i, ok := failed[k]; ok {
				rep.CheckErrors[i].Steps++
				continue
			}
			failed[k] = len(rep.CheckErrors)
			rep.CheckErrors = append(rep.CheckErrors, CheckError{Monitor: e.Monitor, Error: e.Error, Steps: 1, First: t})
		}
		log.DebugContext(ctx, "backtest step", "now", res.Now, "anomalies", res.AnomaliesDetected,
			"cases_opened", res.Cases.Opened, "cases_resolved", res.Cases.Resolved, "open", res.Cases.Open)
	}
	cases := desk.AllCases()
	enabled := opts.Checks
	if enabled == nil {
		enabled = opts.Registry.Defaults()
	}
	for _, c := range opts.Registry.All() {
		if !slices.Contains(enabled, c.Type) {
			continue
		}
		rep.Checks = append(rep.Checks, Measure(c.Type, c.OutcomeKey, cases, alerts[c.Type], opts.Outcomes, from, to))
	}
	return rep, nil
}

// newIDs returns a counter that makes the replay's ids: short, unique
// within it, and cheaper than uuids.
func newIDs() func() string {
	n := 0
	return func() string {
		n++
		return "bt-" + strconv.Itoa(n)
	}
}

// readOnly is the database as the replay's scans see it: they ping it,
// and their run records are dropped (the desk is in memory).
type readOnly struct{ proactive.Store }

// RecordScan drops the record: a backtest writes nothing.
func (readOnly) RecordScan(context.Context, proactive.ScanRun) error { return nil }
