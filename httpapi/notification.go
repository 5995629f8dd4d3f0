package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// handleListNotifications is GET /api/v1/notifications: the outbox, newest
// first, filtered by status, at most limit (default 100, 1 to 1000).
func (s *Server) handleListNotifications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := proactive.NotificationFilter{Limit: DefaultAlertLimit}
	if v := q.Get("status"); v != "" {
		switch st := proactive.NotificationStatus(v); st {
		case proactive.NotificationPending, proactive.NotificationSending, proactive.NotificationDelivered, proactive.NotificationFailed:
			f.Status = st
		default:
			Error(w, r, proactive.Errorf(proactive.EINVALID, "query parameter status: %q is not a status: use pending, sending, delivered or failed", v))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAlertLimit {
			Error(w, r, proactive.Errorf(proactive.EINVALID, "query parameter limit: %q is not allowed: use a whole number from 1 to %d", v, MaxAlertLimit))
			return
		}
		f.Limit = n
	}
	ns, err := s.opts.Store.ListNotifications(r.Context(), f)
	if err != nil {
		Error(w, r, fmt.Errorf("list notifications: %w", err))
		return
	}
	if ns == nil {
		ns = []proactive.Notification{}
	}
	writeJSON(w, http.StatusOK, ns)
}
