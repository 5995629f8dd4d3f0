package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/internal/csvout"
)

// Limits of the limit query parameter of GET /api/v1/alerts.
const (
	DefaultAlertLimit = 100
	MaxAlertLimit     = 1000
	// maxIDLength bounds an alert id in a path.
	maxIDLength = 128
)

// parseAlertFilter reads priority, type and limit from q; an absent limit
// is def. A bad value is an EINVALID error naming the parameter and the
// allowed values.
func parseAlertFilter(reg *proactive.Registry, q url.Values, def int) (proactive.AlertFilter, error) {
	var f proactive.AlertFilter
	one := func(name string) (string, error) {
		vs := q[name]
		switch len(vs) {
		case 0:
			return "", nil
		case 1:
			return vs[0], nil
		}
		return "", proactive.Errorf(proactive.EINVALID, "query parameter %s: give it once, not %d times", name, len(vs))
	}
	p, err := one("priority")
	if err != nil {
		return f, err
	}
	if p != "" {
		if f.Priority, err = proactive.ParseSeverity(p); err != nil {
			return f, proactive.Errorf(proactive.EINVALID, "query parameter priority: %q is not a priority: use critical, high, medium or low", p)
		}
	}
	t, err := one("type")
	if err != nil {
		return f, err
	}
	if t != "" {
		if f.Type, err = reg.ParseType(t); err != nil {
			return f, proactive.Errorf(proactive.EINVALID, "query parameter type: %s", proactive.ErrorMessage(err))
		}
	}
	l, err := one("limit")
	if err != nil {
		return f, err
	}
	f.Limit = def
	if l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxAlertLimit {
			return f, proactive.Errorf(proactive.EINVALID, "query parameter limit: %q is not allowed: use a whole number from 1 to %d", l, MaxAlertLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// validID checks the shape of an alert id taken from a path: ids are
// uuids, integers or short text, so letters, digits, '-' and '_' only.
// The store judges whether the id fits its column (EINVALID) and exists
// (ENOTFOUND).
func validID(id string) error {
	if id == "" || len(id) > maxIDLength {
		return proactive.Errorf(proactive.EINVALID, "alert id: must be 1 to %d characters", maxIDLength)
	}
	for _, c := range id {
		ok := c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return proactive.Errorf(proactive.EINVALID, "alert id %q is malformed: use the id of an alert (a uuid or a number)", id)
		}
	}
	return nil
}

// handleListAlerts is GET /api/v1/alerts: the active alerts as a JSON
// array (CSV with format=csv), most urgent first, filtered by priority
// and type, at most limit (default 100, 1 to 1000).
func (s *Server) handleListAlerts(w http.ResponseWriter, r *http.Request) {
	f, err := parseAlertFilter(s.opts.Registry, r.URL.Query(), DefaultAlertLimit)
	if err != nil {
		Error(w, r, err)
		return
	}
	asCSV, err := wantCSV(r.URL.Query())
	if err != nil {
		Error(w, r, err)
		return
	}
	f.Now = s.now()
	alerts, err := s.opts.Store.ListAlerts(r.Context(), f)
	if err != nil {
		Error(w, r, fmt.Errorf("list alerts: %w", err))
		return
	}
	if alerts == nil {
		alerts = []proactive.Alert{}
	}
	if asCSV {
		cols, err := csvout.Keys(proactive.Alert{})
		if err != nil {
			Error(w, r, err)
			return
		}
		writeCSV(w, "alerts.csv", cols, alerts)
		return
	}
	writeJSON(w, http.StatusOK, alerts)
}

// handleGetAlert is GET /api/v1/alerts/{id}.
func (s *Server) handleGetAlert(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := validID(id); err != nil {
		Error(w, r, err)
		return
	}
	a, err := s.opts.Store.GetAlert(r.Context(), id)
	if err != nil {
		Error(w, r, fmt.Errorf("get alert %s: %w", id, err))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// dismissBody is the optional body of a dismiss: who dismisses.
type dismissBody struct {
	By string `json:"by"`
}

// handleDismiss is POST /api/v1/alerts/{id}/dismiss with an optional
// {"by": NAME} (default api): the alert is dismissed and the open or
// snoozed cases it holds are acknowledged (CONTRACT §10.7). Dismissing
// again succeeds and changes nothing. Other keys of the body are ignored
// (callers that sent one before it was read keep working).
func (s *Server) handleDismiss(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	var body dismissBody
	if b = bytes.TrimSpace(b); len(b) > 0 {
		if b[0] != '{' || json.Unmarshal(b, &body) != nil {
			Error(w, r, proactive.Errorf(proactive.EINVALID, `request body: send nothing or a JSON object such as {"by": "ann"}`))
			return
		}
	}
	id := r.PathValue("id")
	if err := validID(id); err != nil {
		Error(w, r, err)
		return
	}
	by := strings.TrimSpace(body.By)
	if by == "" {
		by = proactive.ActorAPI
	}
	a, acked, err := s.desk.Dismiss(r.Context(), id, by, s.now())
	if err != nil {
		Error(w, r, fmt.Errorf("dismiss alert %s: %w", id, err))
		return
	}
	s.log.InfoContext(r.Context(), "alert dismissed", "alert_id", id, "by", by, "acknowledged", len(acked))
	s.alertsChanged("dismiss")
	writeJSON(w, http.StatusOK, desk.NewDismissResult(a, acked))
}
