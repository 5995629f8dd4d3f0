package httpapi

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
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

// alertView is one alert as the dashboard shows it.
type alertView struct {
	proactive.Alert
	Urgency      int
	UrgencyClass string
	Age          string
	CreatedISO   string
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

// dashboardData fills the dashboard and its live fragment.
type dashboardData struct {
	Alerts     []alertView
	LastScan   *scanView
	Priorities []option
	Types      []option
	Filtered   bool
	Auth       bool
	Error      string
}

// dashboardData reads what the dashboard shows for r's filters. A store
// error is shown on the page (and logged), not answered as an error page.
func (s *Server) dashboardData(r *http.Request) (dashboardData, error) {
	f, err := parseAlertFilter(s.opts.Registry, r.URL.Query(), dashboardLimit)
	if err != nil {
		return dashboardData{}, err
	}
	now := s.now()
	f.Now = now
	d := dashboardData{Auth: s.authEnabled(), Filtered: f.Priority != "" || f.Type != ""}
	d.Priorities = append(d.Priorities, option{Value: "", Label: "All priorities", Selected: f.Priority == ""})
	for _, p := range proactive.Severities() {
		d.Priorities = append(d.Priorities, option{Value: string(p), Label: strings.ToUpper(string(p[:1])) + string(p[1:]), Selected: f.Priority == p})
	}
	d.Types = append(d.Types, option{Value: "", Label: "All types", Selected: f.Type == ""})
	for _, c := range s.opts.Registry.All() {
		d.Types = append(d.Types, option{Value: string(c.Type), Label: c.Label, Selected: f.Type == c.Type})
	}

	alerts, err := s.opts.Store.ListAlerts(r.Context(), f)
	if err != nil {
		noteError(r, err)
		d.Error = "The alerts could not be read from the database: " + publicMessage(err)
	}
	for _, a := range alerts {
		u := a.AffectedEntities.UrgencyScore
		d.Alerts = append(d.Alerts, alertView{
			Alert: a, Urgency: u, UrgencyClass: urgencyClass(u),
			Age: age(now, a.CreatedAt), CreatedISO: a.CreatedAt.UTC().Format(time.RFC3339),
		})
	}
	run, err := s.opts.Store.LastScan(r.Context())
	switch {
	case err == nil:
		d.LastScan = &scanView{ScanRun: run, Age: age(now, run.StartedAt), StartedISO: run.StartedAt.UTC().Format(time.RFC3339)}
	case proactive.ErrorCode(err) != proactive.ENOTFOUND:
		noteError(r, err)
	}
	return d, nil
}

// handleDashboard is GET /: the dashboard page.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r)
	if err != nil {
		s.render(w, r, StatusCode(err), "error.html", errorBody{Error: proactive.ErrorMessage(err)})
		return
	}
	s.render(w, r, http.StatusOK, "dashboard.html", d)
}

// handleAlertsFragment is GET /ui/alerts: the live part of the dashboard
// (last scan and alert list) as an HTML fragment, which the dashboard's
// script swaps in when an event arrives or a filter changes.
func (s *Server) handleAlertsFragment(w http.ResponseWriter, r *http.Request) {
	d, err := s.dashboardData(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "live", d)
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
