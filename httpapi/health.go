package httpapi

import (
	"context"
	"net/http"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// readyTimeout bounds the readiness checks.
const readyTimeout = 5 * time.Second

// healthBody answers the probes.
type healthBody struct {
	Status string `json:"status"`
	// Database is the store's kind (sqlite, postgres), on /readyz.
	Database string `json:"database,omitempty"`
}

// handleHealthz is GET /healthz: the process is up. It touches nothing.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
}

// handleReadyz is GET /readyz: the database answers and the product's
// tables are in place (migrations applied) — proactive_insights and
// ptd_scan_runs can be read. 503 with the reason otherwise, and while the
// server shuts down.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.isDraining() {
		Error(w, r, errDraining())
		return
	}
	if reason, err := s.ready(r.Context()); err != nil {
		noteError(r, err)
		setRetryAfter(w)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "not ready: " + reason})
		return
	}
	writeJSON(w, http.StatusOK, healthBody{Status: "ready", Database: s.opts.Store.Kind()})
}

// ready runs the readiness checks. It returns a reason fit for a public
// answer (no database detail) and the error for the log.
func (s *Server) ready(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	st := s.opts.Store
	if err := st.Ping(ctx); err != nil {
		return "the database does not answer", err
	}
	if _, err := st.ListAlerts(ctx, proactive.AlertFilter{Now: s.now(), Limit: 1}); err != nil {
		return "proactive_insights cannot be read: run ptd-proactive migrate", err
	}
	if _, err := st.LastScan(ctx); err != nil && proactive.ErrorCode(err) != proactive.ENOTFOUND {
		return "ptd_scan_runs cannot be read: run ptd-proactive migrate", err
	}
	return "", nil
}

// handleMetrics is GET /metrics in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metricsHandler.ServeHTTP(w, r)
}
