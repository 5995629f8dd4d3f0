package proactive

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Check is everything the product knows about one kind of finding: its
// names, what it reads, how it finds anomalies and how its alerts read.
// Each check is one value, built in its own file of package rules and
// listed once in a Registry; scan, insight, the stores' doctor, the API,
// the dashboard, the metrics and the CLI iterate the registry and never
// switch on a check's type.
type Check struct {
	// Type names the check and its anomalies ("health_drop").
	Type AnomalyType
	// Monitor names the check in logs and in the scan's errors, as the
	// seed's edge function did ("checkHealthScoreDrops").
	Monitor string
	// BreakdownKey is the check's key in the response's breakdown
	// ("health_drops").
	BreakdownKey string
	// Label is the check's name on screens and in filters ("Health drop").
	Label string
	// Noun is the check's name in running text ("health drop").
	Noun string
	// MetricUnit names, in the singular, what an anomaly's Metric counts
	// ("point", "day", "failure"): the risk desk shows a case's figure as
	// "28 points". Empty shows the bare number.
	MetricUnit string
	// MetricAscending says a smaller Metric is the worse one (days until
	// RED): the risk desk then breaks urgency ties smallest first.
	MetricAscending bool
	// Table is the source table the check reads, "" for a check that only
	// reads other checks' findings; Columns are the columns it needs there,
	// and TimeColumn the column that says how recent the data is (doctor).
	Table      string
	Columns    []string
	TimeColumn string
	// Window says, for doctor, which rows of Table the check reads
	// ("readings in the last 14 days"); Freshness is how old Table's newest
	// row may be before doctor warns that data stopped arriving (0: never).
	Window    string
	Freshness time.Duration
	// Default says whether the check runs when the configuration does not
	// list the checks.
	Default bool
	// Inputs are the checks whose anomalies this one observes (Detector's
	// Observe); they run before it, and their failure fails it.
	Inputs []AnomalyType
	// After are checks that run, and update and resolve their cases,
	// before this one, without their failure failing it: a check that
	// reads their cases through CheckEnv.Cases (coach_workload).
	After []AnomalyType
	// OutcomeKey reports whether an outcome key of the backtest (a case
	// key without its type, trimmed and lower-cased: an email, deal-<id>,
	// lead-<id>) names one of this check's entities, so that the outcome
	// counts in the check's recall; nil when no outcome does (its recall
	// is null).
	OutcomeKey func(id string) bool
	// WorkingSet is the memory, in bytes, a run of the check keeps live
	// beyond a scan's own (its batches, groups and members) while it
	// reads: 0 for a check that hands over its source a batch at a time.
	// The scan command's soft memory limit grows by the largest
	// WorkingSet of the checks it runs (checks that read the same stream
	// share it), so that the collector is not made to run constantly by a
	// limit below what is live (Registry.WorkingSet).
	WorkingSet int64
	// New starts one run of the check for one scan.
	New func(env CheckEnv) Detector
	// Text writes the check's part of an alert.
	Text CheckText
}

// CheckEnv is what a check's run gets from the scan.
type CheckEnv struct {
	// Now is the moment the scan evaluates at.
	Now time.Time
	// Wall is the real time of the scan: later than Now when the scan
	// looks at the past, when the checks read the tables as they stood at
	// Now (proactive.AsOf); zero or Now in a live scan.
	Wall time.Time
	// Settings are the thresholds and options of the checks.
	Settings Settings
	// Cases returns the unresolved cases, in any state, of those of types
	// whose check is enabled, as they stand when it is called: after the
	// case updates and resolutions of the checks that ran before (Inputs
	// and After). Nil outside a scan.
	Cases func(ctx context.Context, types []AnomalyType) ([]Case, error)
	// Scope is what the checks of one scan share (one read serving two
	// checks); nil outside a scan, where each check reads for itself.
	Scope *ScanScope
	// Enabled reports whether the check of a type runs in this scan; nil
	// outside a scan (a check then assumes no other runs).
	Enabled func(AnomalyType) bool
}

// ScanScope holds what the checks of one scan share: a read one check
// makes that another needs as well is made once (Once). Checks may read
// their sources at the same time, so it is safe for concurrent use. A nil
// *ScanScope shares nothing.
type ScanScope struct {
	mu   sync.Mutex
	once map[string]*scopeOnce
}

// scopeOnce is one Once computation: done closes when v and err are set.
type scopeOnce struct {
	done chan struct{}
	v    any
	err  error
}

// Once returns the value fn computes for key, computed once per scan: the
// first caller runs fn, callers meanwhile wait for its result, later ones
// take it. An error is returned to the caller that ran fn and to those
// that waited, and is not kept: the next caller runs fn again (a check
// that retries its read). A nil *ScanScope runs fn.
func (s *ScanScope) Once(key string, fn func() (any, error)) (any, error) {
	if s == nil {
		return fn()
	}
	s.mu.Lock()
	if o, ok := s.once[key]; ok {
		s.mu.Unlock()
		<-o.done
		return o.v, o.err
	}
	o := &scopeOnce{done: make(chan struct{})}
	if s.once == nil {
		s.once = map[string]*scopeOnce{}
	}
	s.once[key] = o
	s.mu.Unlock()
	o.v, o.err = fn()
	if o.err != nil {
		s.mu.Lock()
		delete(s.once, key)
		s.mu.Unlock()
	}
	close(o.done)
	return o.v, o.err
}

// Detector is one run of a check in one scan.
type Detector interface {
	// Observe is called with each anomaly of the check's Inputs before
	// Detect; checks without inputs ignore it.
	Observe(a *Anomaly)
	// Detect reads src, finds the check's anomalies and reports each
	// through emit, in any order; it returns the source rows it skipped as
	// making no sense. An emit error stops it and is returned. src is the
	// store the checks read (a read replica, or the primary when the
	// replica failed: Detect may be called again with another source); a
	// check asserts the reader interface it needs, so that a new check
	// needs no change to the Store interface.
	Detect(ctx context.Context, src any, emit Emitter) (Skipped, error)
}

// Emitter receives what a Detector finds.
type Emitter interface {
	// Anomaly reports one anomaly.
	Anomaly(a Anomaly) error
	// Seen reports that the entity with this case key id (the key without
	// its "<type>:" prefix) is still close enough to the check's threshold
	// that its case stays open, although it is no anomaly (CONTRACT §10.4,
	// the health recovery margin).
	Seen(key string) error
}

// SourceDetector is a Detector for a check that reads only its source: it
// ignores Observe and calls the function.
type SourceDetector func(ctx context.Context, src any, emit Emitter) (Skipped, error)

// Observe does nothing: a source check has no inputs.
func (SourceDetector) Observe(*Anomaly) {}

// Detect calls f.
func (f SourceDetector) Detect(ctx context.Context, src any, emit Emitter) (Skipped, error) {
	return f(ctx, src, emit)
}

// CheckText writes the check's part of an alert (CONTRACT §4, §11.10).
type CheckText struct {
	// Title is the alert title of a group of n anomalies led by primary.
	Title func(n int, primary *Anomaly) string
	// Many names n anomalies in a summary ("5 clients with health score
	// drops").
	Many func(n int) string
	// Describe is the sentence about the primary anomaly in the content.
	Describe func(a *Anomaly) string
	// Figure is the short figure of an anomaly ("dropped 27 points").
	Figure func(a *Anomaly) string
	// Tally counts n anomalies in the scan report ("27 health drops");
	// nil means "<n> <breakdown key>".
	Tally func(n int) string
	// Found is the seed's log line after the check ran.
	Found func(n int) string
	// Analyze starts the insights and predictions about one scan's
	// anomalies of the check (nil: none).
	Analyze func(s Settings) Analyzer
}

// Analyzer derives a check's insights and predictions (CONTRACT §4) from
// its anomalies, one at a time, keeping only what it needs.
type Analyzer interface {
	// Add takes one anomaly of the check.
	Add(a *Anomaly)
	// Findings returns the insights and predictions; nil slices when none.
	Findings() Findings
}

// Findings are the insights and predictions about one check's anomalies.
type Findings struct {
	Insights    []string
	Predictions []string
}

// Registry is the list of known checks, in report order (CONTRACT §11.10:
// the order of insights, predictions and alert groups). It is immutable.
type Registry struct {
	checks []Check
	index  map[AnomalyType]int
}

// NewRegistry returns a registry of checks in the order given, or an
// error naming a check that has no type, no New, no text, or a type given
// twice, or that reads (Inputs) or runs after (After) a type not
// registered.
func NewRegistry(checks ...Check) (*Registry, error) {
	r := &Registry{index: make(map[AnomalyType]int, len(checks))}
	for _, c := range checks {
		switch {
		case c.Type == "":
			return nil, fmt.Errorf("check registry: a check has no type")
		case c.New == nil:
			return nil, fmt.Errorf("check registry: check %s has no New", c.Type)
		case c.Text.Title == nil || c.Text.Many == nil || c.Text.Describe == nil || c.Text.Figure == nil:
			return nil, fmt.Errorf("check registry: check %s lacks alert text", c.Type)
		case c.Monitor == "" || c.BreakdownKey == "" || c.Label == "" || c.Noun == "":
			return nil, fmt.Errorf("check registry: check %s lacks a name (monitor, breakdown key, label or noun)", c.Type)
		}
		if _, dup := r.index[c.Type]; dup {
			return nil, fmt.Errorf("check registry: check %s is listed twice", c.Type)
		}
		r.index[c.Type] = len(r.checks)
		r.checks = append(r.checks, c)
	}
	for _, c := range r.checks {
		for _, in := range c.Inputs {
			if _, ok := r.index[in]; !ok {
				return nil, fmt.Errorf("check registry: check %s reads %s, which is not registered", c.Type, in)
			}
		}
		for _, in := range c.After {
			if _, ok := r.index[in]; !ok {
				return nil, fmt.Errorf("check registry: check %s runs after %s, which is not registered", c.Type, in)
			}
		}
	}
	return r, nil
}

// All returns the checks in report order (a copy).
func (r *Registry) All() []Check { return append([]Check(nil), r.checks...) }

// Types returns the check types in report order.
func (r *Registry) Types() []AnomalyType {
	out := make([]AnomalyType, len(r.checks))
	for i, c := range r.checks {
		out[i] = c.Type
	}
	return out
}

// Defaults returns the types of the checks that run by default.
func (r *Registry) Defaults() []AnomalyType {
	var out []AnomalyType
	for _, c := range r.checks {
		if c.Default {
			out = append(out, c.Type)
		}
	}
	return out
}

// WorkingSet returns the largest WorkingSet of the checks of types (0 for
// none, or for types the registry does not know).
func (r *Registry) WorkingSet(types []AnomalyType) int64 {
	var most int64
	for _, t := range types {
		if c, ok := r.Lookup(t); ok {
			most = max(most, c.WorkingSet)
		}
	}
	return most
}

// Lookup returns the check of type t.
func (r *Registry) Lookup(t AnomalyType) (Check, bool) {
	i, ok := r.index[t]
	if !ok {
		return Check{}, false
	}
	return r.checks[i], true
}

// Position is the place of type t in report order, or len(All()) for an
// unknown type (it sorts last).
func (r *Registry) Position(t AnomalyType) int {
	if i, ok := r.index[t]; ok {
		return i
	}
	return len(r.checks)
}

// ParseType parses a check type name: EINVALID, listing the known names,
// for an unknown one.
func (r *Registry) ParseType(s string) (AnomalyType, error) {
	t := AnomalyType(strings.TrimSpace(s))
	if _, ok := r.index[t]; ok {
		return t, nil
	}
	return "", Errorf(EINVALID, "unknown alert type %q: use %s", s, r.TypeList())
}

// TypeList is "a, b or c" of the registered type names, for messages and
// help texts.
func (r *Registry) TypeList() string {
	names := make([]string, len(r.checks))
	for i, c := range r.checks {
		names[i] = string(c.Type)
	}
	switch len(names) {
	case 0:
		return "no type (none is registered)"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Tables returns, once each in report order, the source tables the checks
// of types read and, for each, the union of the columns they need.
func (r *Registry) Tables(types []AnomalyType) []TableNeed {
	var out []TableNeed
	at := map[string]int{}
	for _, c := range r.checks {
		if c.Table == "" || (types != nil && !containsType(types, c.Type)) {
			continue
		}
		i, ok := at[c.Table]
		if !ok {
			i = len(out)
			at[c.Table] = i
			out = append(out, TableNeed{Table: c.Table, TimeColumn: c.TimeColumn, Window: c.Window, Freshness: c.Freshness})
		}
		for _, col := range c.Columns {
			if !containsString(out[i].Columns, col) {
				out[i].Columns = append(out[i].Columns, col)
			}
		}
		out[i].Checks = append(out[i].Checks, c.Type)
	}
	return out
}

// TableNeed is one source table and what the checks need of it.
type TableNeed struct {
	Table      string
	Columns    []string
	TimeColumn string
	// Window and Freshness are those of the first check reading the table.
	Window    string
	Freshness time.Duration
	Checks    []AnomalyType
}

// TableNeed returns what the checks need of table, false when none reads it.
func (r *Registry) TableNeed(table string) (TableNeed, bool) {
	for _, n := range r.Tables(nil) {
		if n.Table == table {
			return n, true
		}
	}
	return TableNeed{}, false
}

func containsType(ts []AnomalyType, t AnomalyType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
