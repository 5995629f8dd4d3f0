package httpapi

import (
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// errDraining answers requests that need the server while it shuts down.
func errDraining() error {
	return proactive.Errorf(proactive.EUNAVAILABLE, "the server is shutting down: try again in a moment (another replica may answer)")
}

// ScanStarted implements scan.Observer: the metrics' running gauge and the
// dashboard's live "running" state, for every scan of the guard (the
// schedule's too).
func (s *Server) ScanStarted(trigger string) {
	s.metrics.ScanStarted()
	s.events.publish(eventScan, scanEvent{State: "running", Trigger: trigger})
}

// ScanFinished implements scan.Observer: the scan's metrics, its log line
// when it failed, and the dashboard's live update.
func (s *Server) ScanFinished(trigger string, res proactive.ScanResult, d time.Duration, err error) {
	s.metrics.ObserveScan(res, d, err)
	if err != nil {
		s.log.Error("scan failed", "trigger", trigger, "error", err, "duration_ms", d.Milliseconds())
	}
	s.events.publish(eventScan, scanEvent{State: "done", Trigger: trigger, Success: err == nil, AlertsSaved: res.AlertsSaved})
	s.alertsChanged("scan")
}
