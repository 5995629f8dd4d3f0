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

// retryResult answers a retry.
type retryResult struct {
	ID      string `json:"id"`
	Retried bool   `json:"retried"`
}

// handleRetryNotification is POST /api/v1/notifications/{id}/retry: a
// failed notification is queued again (pending, due now, attempts back to
// 0) once its cause, say a revoked Slack URL, is fixed. 404 unknown, 400
// malformed, 409 when it is not failed.
func (s *Server) handleRetryNotification(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil {
		Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := s.opts.Store.RetryNotifications(r.Context(), proactive.RetryParams{Now: s.now(), ID: id}); err != nil {
		Error(w, r, fmt.Errorf("retry notification %s: %w", id, err))
		return
	}
	s.log.InfoContext(r.Context(), "failed notification queued again", "notification_id", id)
	if s.opts.OnNotificationsRetried != nil {
		s.opts.OnNotificationsRetried()
	}
	writeJSON(w, http.StatusOK, retryResult{ID: id, Retried: true})
}
