package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// caseRow is one case as the risk list and the client page show it.
type caseRow struct {
	proactive.CaseView
	// TypeLabel is the check's label ("Health drop").
	TypeLabel string
	// Magnitude is the figure the check judged on (points, days, failures,
	// hours), formatted; "" when the case carries none.
	Magnitude string
	// Revenue is the revenue at risk, formatted; "" when unknown or 0.
	Revenue string
	// OpenFor says how long the case has been open (or was, once resolved).
	OpenFor string
	// Client is the client's email when the case is about a client (its
	// page exists), else "".
	Client string
	// ClientURL is the client's page.
	ClientURL string
	// Trend is the client's health sparkline (inline SVG), "" when none.
	Trend template.HTML
	// StateLabel is the state for people ("Acknowledged"), silenced shown.
	StateLabel string
	// SnoozedISO is the end of a snooze (RFC 3339), "" when not snoozed.
	SnoozedISO string
	// UrgencyClass colours the urgency.
	UrgencyClass string
}

// riskGroupRows is how many rows a group of the risk list shows: the most
// urgent; the others are reached by search and filters (the CSV export
// holds them all).
const riskGroupRows = 100

// caseGroup is one type's rows on the risk list.
type caseGroup struct {
	Type  proactive.AnomalyType
	Label string
	Rows  []caseRow
	// Total counts the group's cases, shown or not.
	Total int
	// Hidden counts the cases beyond riskGroupRows.
	Hidden int
}

// newCaseGroup sorts a type's rows and keeps the riskGroupRows most urgent.
func newCaseGroup(reg *proactive.Registry, t proactive.AnomalyType, label string, rows []caseRow) caseGroup {
	slices.SortFunc(rows, func(a, b caseRow) int { return compareCases(reg, &a.Case, &b.Case) })
	g := caseGroup{Type: t, Label: label, Rows: rows, Total: len(rows)}
	if len(rows) > riskGroupRows {
		g.Rows, g.Hidden = rows[:riskGroupRows], len(rows)-riskGroupRows
	}
	return g
}

// priorityCount is how many listed cases have one severity.
type priorityCount struct {
	Severity proactive.Severity
	Count    int
}

// riskData fills the risk list and its live fragment.
type riskData struct {
	Page       pageInfo
	Groups     []caseGroup
	Total      int
	Counts     []priorityCount
	States     []option
	Types      []option
	Owners     []option
	Priorities []option
	Search     string
	Filtered   bool
	// AllClear: the desk has no unresolved case at all (not just none
	// matching the filters).
	AllClear bool
	LastScan *scanView
	// CSV is the export link of the listed cases.
	CSV   string
	Error string
}

// riskFilter is the risk list's query: the desk's filters plus priority.
type riskFilter struct {
	desk.CaseFilter
	Priority proactive.Severity
}

// parseRiskFilter reads the risk list's GET parameters: state, type,
// owner, priority and search; a bad value is EINVALID naming it.
func parseRiskFilter(reg *proactive.Registry, q url.Values) (riskFilter, error) {
	cf, err := caseFilterQuery(q)
	if err != nil {
		return riskFilter{}, err
	}
	f := riskFilter{CaseFilter: desk.CaseFilter{State: strings.TrimSpace(cf.State), Type: strings.TrimSpace(cf.Type),
		Owner: strings.TrimSpace(cf.Owner), Search: strings.TrimSpace(cf.Search)}}
	switch f.State {
	case "", "open", "acknowledged", "snoozed", "resolved", "silenced", "all":
	default:
		return f, proactive.Errorf(proactive.EINVALID, "query parameter state: %q is not a state: use open, acknowledged, snoozed, resolved, silenced or all (none: unresolved)", f.State)
	}
	if f.Type != "" {
		if _, err := reg.ParseType(f.Type); err != nil {
			return f, proactive.Errorf(proactive.EINVALID, "query parameter type: %s", proactive.ErrorMessage(err))
		}
	}
	p, err := queryOne(q, "priority")
	if err != nil {
		return f, err
	}
	if p != "" {
		f.Priority = proactive.Severity(strings.ToLower(p))
		if !f.Priority.Valid() {
			return f, proactive.Errorf(proactive.EINVALID, "query parameter priority: %q is not a priority: use critical, high, medium or low", p)
		}
	}
	return f, nil
}

// compareCases orders the risk list: urgency (highest first), then the
// magnitude the check judged on (the worse first: the bigger drop, the
// longer stall, the more failures, the longer wait; for a check whose
// MetricAscending is set, the fewer days left), then opened_at (oldest
// first), then key.
func compareCases(reg *proactive.Registry, a, b *proactive.Case) int {
	magnitude := cmp.Compare(b.Metric, a.Metric)
	if a.Type == b.Type {
		if ch, ok := reg.Lookup(a.Type); ok && ch.MetricAscending {
			magnitude = -magnitude
		}
	}
	return cmp.Or(
		cmp.Compare(b.Urgency, a.Urgency),
		magnitude,
		a.OpenedAt.Compare(b.OpenedAt),
		strings.Compare(a.Key, b.Key),
	)
}

// stateLabel names a case's state for people.
func stateLabel(v proactive.CaseView) string {
	s := string(v.State)
	label := strings.ToUpper(s[:1]) + s[1:]
	if v.Silenced {
		label += " (silenced)"
	}
	return label
}

// clientOf returns the client's email when c is about a client: a check
// of the health readings (or one reading health drops) keyed by email.
func clientOf(reg *proactive.Registry, c *proactive.Case) string {
	ch, ok := reg.Lookup(c.Type)
	if !ok || !(ch.Table == proactive.TableHealthScores || slices.Contains(ch.Inputs, proactive.HealthDrop)) {
		return ""
	}
	if id := c.KeyID(); strings.Contains(id, "@") {
		return id
	}
	return ""
}

// revenueOf reads details.revenue_at_risk; 0 when absent.
func revenueOf(details json.RawMessage) float64 {
	var d struct {
		Revenue *float64 `json:"revenue_at_risk"`
	}
	if len(details) == 0 || json.Unmarshal(details, &d) != nil || d.Revenue == nil {
		return 0
	}
	return *d.Revenue
}

// money formats an amount for people: "$12,345" (cents shown below 100).
func money(x float64) string {
	if x < 100 {
		return "$" + strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", x), "00"), ".")
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return "$" + b.String()
}

// span says how long d is, for people: "40 min", "5 h", "3 days".
func span(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", max(int(d/time.Minute), 0))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// newCaseRow prepares one case for a page.
func (s *Server) newCaseRow(v proactive.CaseView, now time.Time) caseRow {
	r := caseRow{CaseView: v, TypeLabel: typeLabeler(s.opts.Registry)(v.Type), StateLabel: stateLabel(v),
		UrgencyClass: urgencyClass(v.Urgency)}
	if v.Metric != 0 {
		r.Magnitude = rules.FormatNumber(v.Metric)
		if ch, ok := s.opts.Registry.Lookup(v.Type); ok && ch.MetricUnit != "" {
			r.Magnitude = rules.Quantity(v.Metric, ch.MetricUnit)
		}
	}
	if x := revenueOf(v.Details); x > 0 {
		r.Revenue = money(x)
	}
	end := now
	if v.ResolvedAt != nil {
		end = *v.ResolvedAt
	}
	r.OpenFor = span(end.Sub(v.OpenedAt))
	if email := clientOf(s.opts.Registry, &v.Case); email != "" {
		r.Client, r.ClientURL = email, "/clients/"+url.PathEscape(email)
	}
	if v.SnoozedUntil != nil {
		r.SnoozedISO = v.SnoozedUntil.UTC().Format(time.RFC3339)
	}
	return r
}

// riskData reads the risk list for r's filters. A store error is shown on
// the page (and logged); a bad filter is an error.
func (s *Server) riskData(r *http.Request) (riskData, error) {
	f, err := parseRiskFilter(s.opts.Registry, r.URL.Query())
	if err != nil {
		return riskData{}, err
	}
	ctx, now := r.Context(), s.now()
	d := riskData{Page: s.pageInfo("risk", "Risk list", "risks", "Skip to the risk list"), Search: f.Search,
		Filtered: f.State != "" || f.Type != "" || f.Owner != "" || f.Search != "" || f.Priority != ""}
	for _, st := range []struct{ v, label string }{{"", "Unresolved"}, {"open", "Open"}, {"acknowledged", "Acknowledged"},
		{"snoozed", "Snoozed"}, {"silenced", "Silenced"}, {"resolved", "Resolved"}, {"all", "All"}} {
		d.States = append(d.States, option{Value: st.v, Label: st.label, Selected: f.State == st.v})
	}
	d.Types = append(d.Types, option{Value: "", Label: "All types", Selected: f.Type == ""})
	for _, c := range s.opts.Registry.All() {
		d.Types = append(d.Types, option{Value: string(c.Type), Label: c.Label, Selected: f.Type == string(c.Type)})
	}
	d.Priorities = append(d.Priorities, option{Value: "", Label: "All priorities", Selected: f.Priority == ""})
	for _, p := range proactive.Severities() {
		d.Priorities = append(d.Priorities, option{Value: string(p), Label: strings.ToUpper(string(p[:1])) + string(p[1:]), Selected: f.Priority == p})
	}
	csv := url.Values{"format": {"csv"}}
	for k, v := range map[string]string{"state": f.State, "type": f.Type, "owner": f.Owner, "search": f.Search} {
		if v != "" {
			csv.Set(k, v)
		}
	}
	d.CSV = "/api/v1/cases?" + csv.Encode()
	d.LastScan = s.lastScan(r, now)

	// Every unresolved case: the owners to choose from and whether the
	// desk is clear; then the listed ones.
	unresolved, err := s.desk.ListCases(ctx, desk.CaseFilter{}, now)
	if err != nil {
		noteError(r, err)
		d.Error = "The cases could not be read from the database: " + publicMessage(err)
		return d, nil
	}
	d.AllClear = len(unresolved) == 0
	owners := map[string]string{}
	for _, c := range unresolved {
		if c.Owner != "" {
			owners[strings.ToLower(c.Owner)] = c.Owner
		}
	}
	if f.Owner != "" {
		owners[strings.ToLower(f.Owner)] = f.Owner
	}
	d.Owners = append(d.Owners, option{Value: "", Label: "Any owner", Selected: f.Owner == ""})
	for _, k := range slices.Sorted(mapKeys(owners)) {
		d.Owners = append(d.Owners, option{Value: owners[k], Label: owners[k], Selected: strings.EqualFold(f.Owner, owners[k])})
	}
	listed := unresolved
	if f.State != "" || f.Type != "" || f.Owner != "" || f.Search != "" { // the priority is filtered below
		if listed, err = s.desk.ListCases(ctx, f.CaseFilter, now); err != nil {
			noteError(r, err)
			d.Error = "The cases could not be read from the database: " + publicMessage(err)
			return d, nil
		}
	}
	counts := map[proactive.Severity]int{}
	byType := map[proactive.AnomalyType][]caseRow{}
	for _, v := range listed {
		if f.Priority != "" && v.Severity != f.Priority {
			continue
		}
		counts[v.Severity]++
		byType[v.Type] = append(byType[v.Type], s.newCaseRow(v, now))
		d.Total++
	}
	for _, p := range proactive.Severities() {
		d.Counts = append(d.Counts, priorityCount{p, counts[p]})
	}
	for _, c := range s.opts.Registry.All() {
		if rows := byType[c.Type]; len(rows) > 0 {
			d.Groups = append(d.Groups, newCaseGroup(s.opts.Registry, c.Type, c.Label, rows))
		}
		delete(byType, c.Type)
	}
	// Types the registry does not know (a check since removed) come last.
	for _, t := range slices.Sorted(mapKeys(byType)) {
		d.Groups = append(d.Groups, newCaseGroup(s.opts.Registry, t, string(t), byType[t]))
	}
	// Sparklines for the clients shown, in one read.
	var clients []string
	for _, g := range d.Groups {
		for _, r := range g.Rows {
			if r.Client != "" && !r.Resolved() {
				clients = append(clients, r.Client)
			}
		}
	}
	trends := s.trends(r, clients, now)
	for _, g := range d.Groups {
		for i := range g.Rows {
			if t, ok := trends[g.Rows[i].Client]; ok {
				g.Rows[i].Trend = sparkline(t, g.Rows[i].Label)
			}
		}
	}
	return d, nil
}

// mapKeys lists a map's keys (for slices.Sorted).
func mapKeys[K comparable, V any](m map[K]V) func(yield func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// trends reads the health readings of these clients in the health window,
// oldest first, by email; nothing when the store has no series reader or
// the read fails (logged: the list is shown without sparklines).
func (s *Server) trends(r *http.Request, emails []string, now time.Time) map[string][]float64 {
	out := map[string][]float64{}
	sr, ok := s.opts.Store.(proactive.HealthSeriesReader)
	if !ok || len(emails) == 0 {
		return out
	}
	slices.Sort(emails)
	emails = slices.Compact(emails)
	_, err := sr.HealthSeries(r.Context(), proactive.SeriesQuery{Now: now, MinReadings: 1, Emails: emails, NoNames: true},
		func(cs *proactive.ClientSeries) error {
			pts := make([]float64, len(cs.Readings))
			for i, p := range cs.Readings {
				pts[i] = p.Score
			}
			out[proactive.NormEmail(cs.Email)] = pts
			return nil
		})
	if err != nil {
		noteError(r, fmt.Errorf("read the health trends of the risk list: %w", err))
	}
	return out
}

// handleRiskList is GET /: the risk list.
func (s *Server) handleRiskList(w http.ResponseWriter, r *http.Request) {
	d, err := s.riskData(r)
	if err != nil {
		s.render(w, r, StatusCode(err), "error.html", s.errorPage(r, err))
		return
	}
	s.render(w, r, http.StatusOK, "risk.html", d)
}

// handleRiskFragment is GET /ui/risk: the risk list's live part, which
// the page's script swaps in after an action, a scan or a filter change.
func (s *Server) handleRiskFragment(w http.ResponseWriter, r *http.Request) {
	d, err := s.riskData(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "risk-live", d)
}
