package httpapi

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
)

// eventView is one case event for people.
type eventView struct {
	proactive.CaseEvent
	AtISO string
	When  string
}

// caseHistory is one case of a client with its events.
type caseHistory struct {
	caseRow
	Events []eventView
}

// clientPageData fills the client page.
type clientPageData struct {
	Page  pageInfo
	Email string
	Name  string
	Chart template.HTML
	// Points is how many readings the chart draws.
	Points   int
	Open     []caseHistory
	Past     []caseHistory
	DropAt   float64
	Deals    []proactive.ClientDeal
	Leads    []proactive.ClientLead
	Joinable bool
}

// handleClientPage is GET /clients/{email}: the client's health chart,
// open and past cases with their events, deals and leads.
func (s *Server) handleClientPage(w http.ResponseWriter, r *http.Request) {
	email, err := pathRef(r, "email", "client email")
	if err == nil {
		var v desk.ClientView
		if v, err = s.desk.Client(r.Context(), email, s.now()); err == nil {
			s.render(w, r, http.StatusOK, "client.html", s.clientPage(v))
			return
		}
	}
	s.render(w, r, StatusCode(err), "error.html", s.errorPage(r, err))
}

// clientPage prepares a client's view for the page.
func (s *Server) clientPage(v desk.ClientView) clientPageData {
	now := s.now()
	dropAt := proactive.DefaultThresholds().HealthDropMedium
	d := clientPageData{Page: s.pageInfo("", v.Email, "client", "Skip to the client"), Email: v.Email, DropAt: dropAt,
		Deals: v.Deals, Leads: v.Leads, Joinable: v.DealsJoinable}
	for i := len(v.Readings) - 1; i >= 0; i-- {
		if n := strings.TrimSpace(v.Readings[i].Firstname + " " + v.Readings[i].Lastname); n != "" {
			d.Name = n
			break
		}
	}
	if d.Name != "" {
		d.Page.Title = d.Name
	}
	d.Chart = healthChart(v.Readings, dropAt)
	for _, r := range v.Readings {
		if r.Score != nil {
			d.Points++
		}
	}
	for _, c := range v.Cases {
		h := caseHistory{caseRow: s.newCaseRow(c.CaseView, now)}
		for _, e := range c.Events {
			h.Events = append(h.Events, eventView{CaseEvent: e, AtISO: e.At.UTC().Format(time.RFC3339), When: e.At.UTC().Format("2006-01-02 15:04")})
		}
		if c.Resolved() {
			d.Past = append(d.Past, h)
		} else {
			d.Open = append(d.Open, h)
		}
	}
	slices.SortFunc(d.Open, func(a, b caseHistory) int { return compareCases(s.opts.Registry, &a.Case, &b.Case) })
	slices.Reverse(d.Past) // newest first
	return d
}

// silenceView is one silence for people.
type silenceView struct {
	proactive.Silence
	TypeLabel string
	Status    string
	Active    bool
	Ended     bool
	Starts    string
	Ends      string
}

// silencesData fills the silences page.
type silencesData struct {
	Page     pageInfo
	Silences []silenceView
	All      bool
	Types    []option
	Error    string
}

// handleSilencesPage is GET /silences: the silences (all=1: the ended ones
// too), a form to add one, and an Expire button on each not yet ended.
func (s *Server) handleSilencesPage(w http.ResponseWriter, r *http.Request) {
	v, err := queryOne(r.URL.Query(), "all")
	if err != nil {
		s.render(w, r, StatusCode(err), "error.html", s.errorPage(r, err))
		return
	}
	now := s.now()
	d := silencesData{Page: s.pageInfo("silences", "Silences", "silences", "Skip to the silences"), All: v == "1" || v == "true"}
	d.Types = append(d.Types, option{Value: "", Label: "Any type", Selected: true})
	for _, c := range s.opts.Registry.All() {
		d.Types = append(d.Types, option{Value: string(c.Type), Label: c.Label})
	}
	ss, err := s.desk.ListSilences(r.Context(), d.All, now)
	if err != nil {
		noteError(r, err)
		d.Error = "The silences could not be read from the database: " + publicMessage(err)
	}
	label := typeLabeler(s.opts.Registry)
	for _, x := range ss {
		sv := silenceView{Silence: x, Active: x.Active(now), Ended: !now.Before(x.EndsAt),
			Starts: x.StartsAt.UTC().Format("2006-01-02 15:04"), Ends: x.EndsAt.UTC().Format("2006-01-02 15:04")}
		if x.Type != "" {
			sv.TypeLabel = label(x.Type)
		}
		switch {
		case sv.Ended:
			sv.Status = "Ended"
		case sv.Active:
			sv.Status = "Active, " + span(x.EndsAt.Sub(now)) + " left"
		default:
			sv.Status = "Starts in " + span(x.StartsAt.Sub(now))
		}
		d.Silences = append(d.Silences, sv)
	}
	s.render(w, r, http.StatusOK, "silences.html", d)
}

// notificationView is one notification for people.
type notificationView struct {
	proactive.Notification
	Created string
}

// notificationsData fills the notifications page.
type notificationsData struct {
	Page          pageInfo
	Notifications []notificationView
	Statuses      []option
	Failed        int
	Error         string
}

// handleNotificationsPage is GET /notifications: the outbox, newest first
// (status filters it), with a Retry button on each failed notification.
func (s *Server) handleNotificationsPage(w http.ResponseWriter, r *http.Request) {
	st, err := queryOne(r.URL.Query(), "status")
	if err == nil && st != "" && !slices.Contains([]string{"pending", "sending", "delivered", "failed"}, st) {
		err = proactive.Errorf(proactive.EINVALID, "query parameter status: %q is not a status: use pending, sending, delivered or failed", st)
	}
	if err != nil {
		s.render(w, r, StatusCode(err), "error.html", s.errorPage(r, err))
		return
	}
	d := notificationsData{Page: s.pageInfo("notifications", "Notifications", "notifications", "Skip to the notifications")}
	for _, o := range []struct{ v, l string }{{"", "All"}, {"pending", "Pending"}, {"sending", "Sending"}, {"delivered", "Delivered"}, {"failed", "Failed"}} {
		d.Statuses = append(d.Statuses, option{Value: o.v, Label: o.l, Selected: st == o.v})
	}
	ns, err := s.opts.Store.ListNotifications(r.Context(), proactive.NotificationFilter{Status: proactive.NotificationStatus(st), Limit: DefaultAlertLimit})
	if err != nil {
		noteError(r, err)
		d.Error = "The notifications could not be read from the database: " + publicMessage(err)
	}
	for _, n := range ns {
		if n.Status == proactive.NotificationFailed {
			d.Failed++
		}
		d.Notifications = append(d.Notifications, notificationView{Notification: n, Created: n.CreatedAt.UTC().Format("2006-01-02 15:04")})
	}
	s.render(w, r, http.StatusOK, "notifications.html", d)
}
