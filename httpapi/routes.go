package httpapi

import "net/http"

// route is one endpoint. routes() is the one list of endpoints: the mux
// and the OpenAPI document are both built from it.
type route struct {
	method  string
	path    string // a ServeMux path, {id} for a path value
	handler http.HandlerFunc
	// doc describes the endpoint in the OpenAPI document; nil for the
	// dashboard's pages and fragments, which are not part of the API.
	doc *operation
}

// routes lists every endpoint of the service.
func (s *Server) routes() []route {
	return []route{
		{http.MethodPost, "/functions/v1/ptd-proactive", s.handleFunction, &operation{
			id: "runScanFunction", tag: "scan",
			summary:     "Run a scan (the seed's Supabase function path)",
			description: "Drop-in for the seed's edge function, called by pg_cron's net.http_post and by curl. Any body is accepted and ignored. A scan already running in this process is joined: the answer is its result, with X-PTD-Scan-Joined: true.",
			body:        &requestBody{mediaType: "application/json", schema: obj(nil), required: false, description: "Ignored."},
			responses:   scanResponses(),
		}},
		{http.MethodPost, "/api/v1/scan", s.handleScan, &operation{
			id: "runScan", tag: "scan",
			summary:     "Run a scan",
			description: "Runs one monitoring scan and answers CONTRACT §6's object. A scan already running in this process is joined: the answer is its result, with X-PTD-Scan-Joined: true.",
			body:        &requestBody{mediaType: "application/json", schema: ref("ScanRequest"), required: false},
			responses:   append(scanResponses(), response{http.StatusBadRequest, "Malformed body or trigger.", ref("Error")}),
		}},
		{http.MethodGet, "/api/v1/scans/last", s.handleLastScan, &operation{
			id: "getLastScan", tag: "scan",
			summary: "The most recent scan",
			responses: []response{
				{http.StatusOK, "The record of the most recent scan.", ref("ScanRun")},
				{http.StatusNotFound, "No scan has run yet.", ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/alerts", s.handleListAlerts, &operation{
			id: "listAlerts", tag: "alerts",
			summary:     "List active alerts",
			description: "Active alerts (not dismissed, not expired), ordered critical > high > medium > low, then newest first.",
			params: []parameter{
				{name: "priority", in: "query", description: "Only alerts of this priority.", schema: enumOf("critical", "high", "medium", "low")},
				{name: "type", in: "query", description: "Only alerts of this anomaly type.", schema: enumOf("health_drop", "deal_stall", "sync_fail", "response_delay")},
				{name: "limit", in: "query", description: "At most this many alerts (default 100).", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": MaxAlertLimit, "default": DefaultAlertLimit}},
			},
			responses: []response{
				{http.StatusOK, "The alerts.", arrayOf(ref("Alert"))},
				{http.StatusBadRequest, "A query parameter has a value that is not allowed; the error names it and the allowed values.", ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/alerts/{id}", s.handleGetAlert, &operation{
			id: "getAlert", tag: "alerts",
			summary:   "Get one alert",
			params:    []parameter{idParam()},
			responses: alertIDResponses(response{http.StatusOK, "The alert (dismissed or expired ones too).", ref("Alert")}),
		}},
		{http.MethodPost, "/api/v1/alerts/{id}/dismiss", s.handleDismiss, &operation{
			id: "dismissAlert", tag: "alerts",
			summary:     "Dismiss an alert",
			description: "Sets is_dismissed. Dismissing twice is not an error.",
			params:      []parameter{idParam()},
			responses:   alertIDResponses(response{http.StatusOK, "Dismissed.", ref("DismissResult")}),
		}},
		{http.MethodGet, "/api/v1/notifications", s.handleListNotifications, &operation{
			id: "listNotifications", tag: "notifications",
			summary:     "List notifications",
			description: "The notification outbox, newest first: pending, sending, delivered and failed deliveries with their attempts and last error. A notification that keeps failing shows here as failed, never silently dropped.",
			params: []parameter{
				{name: "status", in: "query", description: "Only notifications in this state.", schema: enumOf("pending", "sending", "delivered", "failed")},
				{name: "limit", in: "query", description: "At most this many (default 100).", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": MaxAlertLimit, "default": DefaultAlertLimit}},
			},
			responses: []response{
				{http.StatusOK, "The notifications.", arrayOf(ref("Notification"))},
				{http.StatusBadRequest, "A query parameter has a value that is not allowed; the error names it and the allowed values.", ref("Error")},
			},
		}},
		{http.MethodPost, "/api/v1/notifications/{id}/retry", s.handleRetryNotification, &operation{
			id: "retryNotification", tag: "notifications",
			summary:     "Retry a failed notification",
			description: "Queues a notification that failed for good again, once its cause (a revoked Slack URL, say) is fixed: pending, due now, with a fresh set of attempts; its last error stays until the next attempt. Only a failed notification can be retried.",
			params: []parameter{{name: "id", in: "path", description: "The notification's id (a uuid).",
				schema: map[string]any{"type": "string", "format": "uuid"}}},
			responses: []response{
				{http.StatusOK, "Queued again.", ref("RetryResult")},
				{http.StatusBadRequest, "Malformed id.", ref("Error")},
				{http.StatusNotFound, "No notification has this id.", ref("Error")},
				{http.StatusConflict, "The notification is not failed (pending, sending or delivered): nothing to retry.", ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/events", s.handleEvents, &operation{
			id: "streamEvents", tag: "alerts",
			summary:     "Server-sent events",
			description: "A text/event-stream: `ready` when it opens, `alerts` ({reason, at}) when the active alerts change — after a scan or a dismiss here, or seen by polling the store (other replicas) — and `scan` ({state: running|done, trigger, success, alerts_saved}) when a scan starts or ends in this process.",
			responses: []response{
				{http.StatusOK, "The event stream.", textOf("text/event-stream")},
				{http.StatusServiceUnavailable, "The server is shutting down.", ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/openapi.json", s.handleOpenAPI, &operation{
			id: "getOpenAPI", tag: "meta",
			summary:   "This document",
			responses: []response{{http.StatusOK, "The OpenAPI 3 document.", obj(nil)}},
		}},
		{http.MethodGet, "/healthz", s.handleHealthz, &operation{
			id: "healthz", tag: "operations",
			summary:   "Liveness: the process is up",
			responses: []response{{http.StatusOK, "Up.", ref("Health")}},
		}},
		{http.MethodGet, "/readyz", s.handleReadyz, &operation{
			id: "readyz", tag: "operations",
			summary: "Readiness: the database answers and the tables are migrated",
			responses: []response{
				{http.StatusOK, "Ready.", ref("Health")},
				{http.StatusServiceUnavailable, "Not ready, or shutting down; the error says why, Retry-After when to look again.", ref("Error")},
			},
		}},
		{http.MethodGet, "/metrics", s.handleMetrics, &operation{
			id: "metrics", tag: "operations",
			summary:   "Prometheus metrics",
			responses: []response{{http.StatusOK, "Metrics in the Prometheus text format.", textOf("text/plain")}},
		}},

		// The dashboard.
		{http.MethodGet, "/{$}", s.handleDashboard, nil},
		{http.MethodGet, "/ui/alerts", s.handleAlertsFragment, nil},
		{http.MethodGet, "/ui/static/", s.handleStatic, nil},
		{http.MethodGet, "/login", s.handleLoginPage, nil},
		{http.MethodPost, "/login", s.handleLogin, nil},
		{http.MethodPost, "/logout", s.handleLogout, nil},
	}
}
