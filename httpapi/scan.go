package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// Scan triggers: TriggerHTTP for both scan endpoints unless the body names
// another, TriggerDashboard for the dashboard's "Run scan now" button.
const (
	TriggerHTTP      = scan.TriggerHTTP
	TriggerDashboard = scan.TriggerDashboard
)

// triggerPattern is what a trigger named in a request body may look like.
var triggerPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// scanRequest is the optional JSON body of POST /api/v1/scan.
type scanRequest struct {
	// Trigger is recorded with the scan run (default "http").
	Trigger string `json:"trigger"`
}

// scanFailure is the seed's answer when the scan could not run.
type scanFailure struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
}

// handleFunction is the seed's path, POST /functions/v1/ptd-proactive: a
// drop-in for pg_cron's net.http_post and curl callers. Whatever body they
// send (pg_cron sends {}) is read, within the size limit, and ignored.
func (s *Server) handleFunction(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil {
		Error(w, r, err)
		return
	}
	s.serveScan(w, r, TriggerHTTP)
}

// handleScan is POST /api/v1/scan. The body is empty or a JSON object;
// its optional "trigger" names who asked (the dashboard sends "dashboard").
func (s *Server) handleScan(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	trigger := TriggerHTTP
	if b := bytes.TrimSpace(body); len(b) > 0 {
		var req scanRequest
		if b[0] != '{' || json.Unmarshal(b, &req) != nil {
			Error(w, r, proactive.Errorf(proactive.EINVALID, `request body: send nothing or a JSON object such as {"trigger": "dashboard"}`))
			return
		}
		if req.Trigger != "" {
			if !triggerPattern.MatchString(req.Trigger) {
				Error(w, r, proactive.Errorf(proactive.EINVALID, "request body: trigger %q: use 1 to 32 lower-case letters, digits, - or _, starting with a letter", req.Trigger))
				return
			}
			trigger = req.Trigger
		}
	}
	s.serveScan(w, r, trigger)
}

// serveScan runs (or joins) a scan and answers CONTRACT §6's object, or
// the seed's {"success": false, "error": "..."} with 500 when the scan
// could not run — 503 with Retry-After when the database cannot be reached
// or the server shuts down.
func (s *Server) serveScan(w http.ResponseWriter, r *http.Request, trigger string) {
	// The scan may outlast the server's read and write timeouts.
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(s.opts.Scans.Timeout() + 30*time.Second)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)

	res, joined, err := s.opts.Scans.Do(r.Context(), trigger)
	if r.Context().Err() != nil {
		noteError(r, errors.New("the caller left before the scan ended; the scan went on"))
		return
	}
	if joined {
		w.Header().Set("X-PTD-Scan-Joined", "true")
	}
	if err != nil {
		noteError(r, err)
		status, msg := http.StatusInternalServerError, proactive.ErrorMessage(err)
		if StatusCode(err) == http.StatusServiceUnavailable {
			status, msg = http.StatusServiceUnavailable, publicMessage(err)
			setRetryAfter(w)
		}
		writeJSON(w, status, scanFailure{Success: false, Error: msg})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// isDraining reports whether the server is shutting down.
func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// handleLastScan is GET /api/v1/scans/last: the record of the most recent
// scan, 404 when there has been none.
func (s *Server) handleLastScan(w http.ResponseWriter, r *http.Request) {
	run, err := s.opts.Store.LastScan(r.Context())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}
