package httpapi

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// uiFiles holds the dashboard: templates under ui/templates, the
// stylesheet and script under ui/static. Nothing is loaded from elsewhere.
//
//go:embed ui/templates/*.html ui/static/*
var uiFiles embed.FS

// loadUI parses the templates and returns the static file tree.
func loadUI(reg *proactive.Registry) (*template.Template, fs.FS, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"typeLabel":   typeLabeler(reg),
		"contentHTML": contentHTML,
		"title":       title,
	}).ParseFS(uiFiles, "ui/templates/*.html")
	if err != nil {
		return nil, nil, err
	}
	static, err := fs.Sub(uiFiles, "ui/static")
	if err != nil {
		return nil, nil, err
	}
	return t, static, nil
}

// typeLabeler names anomaly types as the dashboard writes them: the
// check's label, or the type itself for one the registry does not know.
func typeLabeler(reg *proactive.Registry) func(proactive.AnomalyType) string {
	return func(t proactive.AnomalyType) string {
		if c, ok := reg.Lookup(t); ok {
			return c.Label
		}
		return string(t)
	}
}

// title capitalises a word for people ("critical" → "Critical").
func title(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// urgencyClass is the colour of an urgency score, as the seed's dashboard
// chose it: red from 90, orange from 70, yellow below.
func urgencyClass(score int) string {
	switch {
	case score >= 90:
		return "urgency-red"
	case score >= 70:
		return "urgency-orange"
	}
	return "urgency-yellow"
}

// age says how long ago t was, for people.
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// pageInfo is what every dashboard page shares: its title, which
// navigation entry is current, the skip link, whether sign-out is shown,
// and the server's clock (the page's script judges dates against it).
type pageInfo struct {
	Title    string
	Nav      string
	Skip     string
	SkipText string
	Auth     bool
	NowISO   string
	// Today is the server's date (YYYY-MM-DD), the earliest a date picker
	// offers is the day after.
	Tomorrow string
}

// pageInfo fills the shared part of a page.
func (s *Server) pageInfo(nav, title, skip, skipText string) pageInfo {
	now := s.now().UTC()
	return pageInfo{Title: title, Nav: nav, Skip: skip, SkipText: skipText, Auth: s.authEnabled(),
		NowISO: now.Format(time.RFC3339), Tomorrow: now.AddDate(0, 0, 1).Format(time.DateOnly)}
}

// errorPageData fills error.html.
type errorPageData struct {
	Page  pageInfo
	Error string
}

// errorPage is err as the error page shows it: its message, or for an
// internal error or a lost connection only what a caller may read (the
// detail goes to the request log).
func (s *Server) errorPage(r *http.Request, err error) errorPageData {
	noteError(r, err)
	return errorPageData{Page: s.pageInfo("", "Error", "error", "Skip to the error"), Error: publicMessage(err)}
}

// alertView is one alert as the dashboard shows it.
type alertView struct {
	proactive.Alert
	Urgency      int
	UrgencyClass string
	Age          string
	CreatedISO   string
	// Items are the action items, each naming its entity.
	Items []actionItemView
	// Related is source_data.related: every affected entity the alert
	// lists, most urgent first.
	Related []relatedView
	// More is how many affected entities the alert counts beyond Related.
	More int
	// Revenue is source_data.revenue_at_risk, formatted; "" when 0.
	Revenue string
	// Status says why a history alert is no longer active.
	Status string
}

// actionItemView is one action item with the entity it is about.
type actionItemView struct {
	proactive.ActionItem
	Entity string
}

// relatedView is one row of an alert's affected list.
type relatedView struct {
	Entity   string
	Severity string
	Urgency  int
}

// scanView is the last scan as the dashboard shows it.
type scanView struct {
	proactive.ScanRun
	Age        string
	StartedISO string
}

// option is one choice of a filter.
type option struct {
	Value, Label string
	Selected     bool
}

// dashboardData fills the alerts page and its live fragment.
type dashboardData struct {
	Page       pageInfo
	Alerts     []alertView
	LastScan   *scanView
	Priorities []option
	Types      []option
	Filtered   bool
	// History: the page lists the alerts no longer active.
	History bool
	// Scans is the chart of the last scans; ScanCount how many it shows.
	Scans     template.HTML
	ScanCount int
	// CSV is the export link of the listed alerts.
	CSV   string
	Auth  bool
	Error string
}

// newAlertView prepares one alert for the page.
func newAlertView(a proactive.Alert, now time.Time) alertView {
	u := a.AffectedEntities.UrgencyScore
	v := alertView{
		Alert: a, Urgency: u, UrgencyClass: urgencyClass(u),
		Age: age(now, a.CreatedAt), CreatedISO: a.CreatedAt.UTC().Format(time.RFC3339),
	}
	for i, it := range a.ActionItems {
		v.Items = append(v.Items, actionItemView{ActionItem: it, Entity: a.ActionEntity(i)})
	}
	if rel, ok := a.SourceData["related"].([]any); ok {
		for _, x := range rel {
			m, ok := x.(map[string]any)
			if !ok {
				continue
			}
			e, _ := m["entity"].(string)
			sev, _ := m["severity"].(string)
			urg, _ := m["urgency"].(float64)
			v.Related = append(v.Related, relatedView{Entity: e, Severity: sev, Urgency: int(urg)})
		}
	}
	if len(v.Related) > 0 {
		v.More = max(a.AffectedEntities.Count-len(v.Related), 0)
	}
	if x, ok := a.SourceData["revenue_at_risk"].(float64); ok && x > 0 {
		v.Revenue = money(x)
	}
	switch {
	case a.IsDismissed:
		v.Status = "Dismissed"
	case a.ResolvedAt != nil:
		v.Status = "Resolved " + age(now, *a.ResolvedAt)
	case a.ExpiresAt != nil && !a.ExpiresAt.After(now):
		v.Status = "Expired " + age(now, *a.ExpiresAt)
	}
	return v
}

// lastScan reads the last scan for a page; nil when none ran (or the read
// failed: logged).
func (s *Server) lastScan(r *http.Request, now time.Time) *scanView {
	run, err := s.opts.Store.LastScan(r.Context())
	switch {
	case err == nil:
		return &scanView{ScanRun: run, Age: age(now, run.StartedAt), StartedISO: run.StartedAt.UTC().Format(time.RFC3339)}
	case proactive.ErrorCode(err) != proactive.ENOTFOUND:
		noteError(r, err)
	}
	return nil
}

// scanHistory is how many scans the alerts page charts.
const scanHistory = 50

// dashboardData reads what the alerts page shows for r's filters. A store
// error is shown on the page (and logged), not answered as an error page.
func (s *Server) dashboardData(r *http.Request) (dashboardData, error) {
	q := r.URL.Query()
	f, err := parseAlertFilter(s.opts.Registry, q, dashboardLimit)
	if err != nil {
		return dashboardData{}, err
	}
	view, err := queryOne(q, "view")
	if err != nil {
		return dashboardData{}, err
	}
	switch view {
	case "", "active":
	case "history":
		f.History = true
	default:
		return dashboardData{}, proactive.Errorf(proactive.EINVALID, "query parameter view: %q: use active or history", view)
	}
	now := s.now()
	f.Now = now
	d := dashboardData{Page: s.pageInfo("alerts", "Alerts", "alerts", "Skip to the alerts"), Auth: s.authEnabled(),
		Filtered: f.Priority != "" || f.Type != "", History: f.History}
	if f.History {
		d.Page.Title = "Alert history"
	}
	d.Priorities = append(d.Priorities, option{Value: "", Label: "All priorities", Selected: f.Priority == ""})
	for _, p := range proactive.Severities() {
		d.Priorities = append(d.Priorities, option{Value: string(p), Label: strings.ToUpper(string(p[:1])) + string(p[1:]), Selected: f.Priority == p})
	}
	d.Types = append(d.Types, option{Value: "", Label: "All types", Selected: f.Type == ""})
	for _, c := range s.opts.Registry.All() {
		d.Types = append(d.Types, option{Value: string(c.Type), Label: c.Label, Selected: f.Type == c.Type})
	}
	csv := url.Values{"format": {"csv"}}
	if f.Priority != "" {
		csv.Set("priority", string(f.Priority))
	}
	if f.Type != "" {
		csv.Set("type", string(f.Type))
	}
	d.CSV = "/api/v1/alerts?" + csv.Encode()

	alerts, err := s.opts.Store.ListAlerts(r.Context(), f)
	if err != nil {
		noteError(r, err)
		d.Error = "The alerts could not be read from the database: " + publicMessage(err)
	}
	for _, a := range alerts {
		d.Alerts = append(d.Alerts, newAlertView(a, now))
	}
	d.LastScan = s.lastScan(r, now)
	runs, err := s.opts.Store.ListScans(r.Context(), scanHistory)
	if err != nil {
		noteError(r, err)
	}
	d.Scans, d.ScanCount = scanChart(runs), len(runs)
	return d, nil
}

// handleDashboard is GET /alerts: the group alerts (view=history: the
// alerts no longer active) and the scan history.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r)
	if err != nil {
		s.render(w, r, StatusCode(err), "error.html", s.errorPage(r, err))
		return
	}
	s.render(w, r, http.StatusOK, "dashboard.html", d)
}

// handleAlertsFragment is GET /ui/alerts: the live part of the alerts page
// (last scan and alert list) as an HTML fragment, which the page's script
// swaps in when an event arrives or a filter changes.
func (s *Server) handleAlertsFragment(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "live", d)
}

// favicon is the dashboard's icon: a shield in the header's blue.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#1d4ed8" d="M16 2 4 6v9c0 7.5 5.1 13.3 12 15 6.9-1.7 12-7.5 12-15V6z"/><path fill="#fff" d="M14.5 19.2 10 14.7l2-2 2.5 2.5 5.5-5.5 2 2z"/></svg>`

// handleFavicon is GET /favicon.ico: the icon, as SVG (browsers ask for
// this path whatever the page links).
func (s *Server) handleFavicon(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "public, max-age=86400")
	_, _ = io.WriteString(w, favicon)
}

// handleStatic serves the embedded stylesheet and script (no listings).
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/ui/static/")
	if st, err := fs.Stat(s.static, name); name == "" || err != nil || st.IsDir() {
		errorf(w, r, http.StatusNotFound, "no such file: "+r.URL.Path)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeFileFS(w, r, s.static, name)
}

// render executes a template into a buffer, then writes it: a template
// error becomes a clean 500, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		Error(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
