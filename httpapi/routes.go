package httpapi

import (
	"net/http"

	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

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

// caseActionRoute is the route of one manual action on a case.
func (s *Server) caseActionRoute(kind, id, summary, description string) route {
	return route{http.MethodPost, "/api/v1/cases/{id}/" + kind, s.caseAction(kind), &operation{
		id: id, tag: "cases", summary: summary,
		description: description + " The actor is by, else api.",
		params:      []parameter{caseParam()},
		body:        &requestBody{mediaType: "application/json", schema: ref("ActionRequest"), required: false},
		responses: append(caseRefResponses(response{status: http.StatusOK, description: "The cases after the action and the events it recorded.", schema: ref("ActionResult")}),
			response{status: http.StatusConflict, description: "The case's state refuses the action (ack, snooze or resolve of a resolved case).", schema: ref("Error")}),
	}}
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
			responses:   append(scanResponses(), response{status: http.StatusBadRequest, description: "Malformed body or trigger.", schema: ref("Error")}),
		}},
		{http.MethodGet, "/api/v1/scans/last", s.handleLastScan, &operation{
			id: "getLastScan", tag: "scan",
			summary: "The most recent scan",
			responses: []response{
				{status: http.StatusOK, description: "The record of the most recent scan.", schema: ref("ScanRun")},
				{status: http.StatusNotFound, description: "No scan has run yet.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/alerts", s.handleListAlerts, &operation{
			id: "listAlerts", tag: "alerts",
			summary:     "List active alerts",
			description: "Active alerts (not dismissed, not expired), ordered critical > high > medium > low, then newest first.",
			params: []parameter{
				{name: "priority", in: "query", description: "Only alerts of this priority.", schema: enumOf("critical", "high", "medium", "low")},
				{name: "type", in: "query", description: "Only alerts of this anomaly type.", schema: s.typeEnum()},
				{name: "limit", in: "query", description: "At most this many alerts (default 100).", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": MaxAlertLimit, "default": DefaultAlertLimit}},
				formatParam(),
			},
			responses: []response{
				{status: http.StatusOK, description: "The alerts (format=csv: as CSV, the JSON keys as header, JSON columns as JSON text).", schema: arrayOf(ref("Alert")), csv: true},
				{status: http.StatusBadRequest, description: "A query parameter has a value that is not allowed; the error names it and the allowed values.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/alerts/{id}", s.handleGetAlert, &operation{
			id: "getAlert", tag: "alerts",
			summary:   "Get one alert",
			params:    []parameter{idParam()},
			responses: alertIDResponses(response{status: http.StatusOK, description: "The alert (dismissed or expired ones too).", schema: ref("Alert")}),
		}},
		{http.MethodPost, "/api/v1/alerts/{id}/dismiss", s.handleDismiss, &operation{
			id: "dismissAlert", tag: "alerts",
			summary:     "Dismiss an alert and acknowledge its cases",
			description: "Sets is_dismissed and acknowledges the unresolved cases the alert holds that are open or snoozed (CONTRACT §10.7), by `by` (default api). Dismissing again succeeds and acknowledges nothing.",
			params:      []parameter{idParam()},
			body:        &requestBody{mediaType: "application/json", schema: ref("DismissRequest"), required: false},
			responses:   alertIDResponses(response{status: http.StatusOK, description: "Dismissed.", schema: ref("DismissResult")}),
		}},
		{http.MethodGet, "/api/v1/cases", s.handleListCases, &operation{
			id: "listCases", tag: "cases",
			summary:     "List cases",
			description: "The risk desk's cases (CONTRACT §10.11): by default the unresolved ones; ordered by urgency (highest first), then opened_at, then key. format=csv answers the same rows as CSV (RFC 4180, the JSON keys as header).",
			params: []parameter{
				{name: "state", in: "query", description: "Only cases in this state; silenced: unresolved cases an active silence matches; all: every case. Default: unresolved.",
					schema: enumOf("open", "acknowledged", "snoozed", "resolved", "silenced", "all")},
				{name: "type", in: "query", description: "Only cases of this check.", schema: s.typeEnum()},
				{name: "owner", in: "query", description: "Only cases of this owner, ignoring case.", schema: str("")},
				{name: "search", in: "query", description: "Only cases whose key or label contains this, ignoring case.", schema: str("")},
				{name: "limit", in: "query", description: "At most this many cases (default: all).", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": MaxCaseLimit}},
				formatParam(),
			},
			responses: []response{
				{status: http.StatusOK, description: "The cases.", schema: arrayOf(ref("Case")), csv: true},
				{status: http.StatusBadRequest, description: "A query parameter has a value that is not allowed; the error names it and the allowed values.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/cases/{id}", s.handleGetCase, &operation{
			id: "getCase", tag: "cases",
			summary:     "Get one case with its history",
			description: "A case by id, unique id prefix (6+ characters) or URL-escaped key (a key shows its unresolved case, else its newest), with its events oldest first.",
			params:      []parameter{caseParam()},
			responses:   caseRefResponses(response{status: http.StatusOK, description: "The case and its events.", schema: ref("CaseDetail")}),
		}},
		s.caseActionRoute(lifecycle.ActAck, "ackCase", "Acknowledge a case",
			"Acknowledges the case (ack_severity the current severity; a snooze replaced); an acknowledged case is left as it is (no events). With a client's email as {id}, every unresolved health and renewal case of that client. Uses by and note."),
		s.caseActionRoute(lifecycle.ActSnooze, "snoozeCase", "Snooze a case",
			"Snoozes the case until `until`, or for `for` counted from now; the end must be after now. An acknowledgement is replaced. Uses by, note (the reason), until or for."),
		s.caseActionRoute(lifecycle.ActAssign, "assignCase", "Assign a case",
			"Sets the owner (any state); scans no longer refresh it from the data. Uses by and owner."),
		s.caseActionRoute(lifecycle.ActComment, "commentCase", "Comment on a case",
			"Records a note (any state). Uses by and note."),
		s.caseActionRoute(lifecycle.ActResolve, "resolveCase", "Resolve a case",
			"Resolves the case (resolve_reason manual); alerts whose cases are then all resolved close. Uses by and note."),
		{http.MethodGet, "/api/v1/silences", s.handleListSilences, &operation{
			id: "listSilences", tag: "cases",
			summary:     "List silences",
			description: "The silences not yet ended, started or not, by starts_at; all=true adds the ended ones.",
			params:      []parameter{{name: "all", in: "query", description: "List ended silences too.", schema: boolean("")}},
			responses: []response{
				{status: http.StatusOK, description: "The silences.", schema: arrayOf(ref("Silence"))},
				{status: http.StatusBadRequest, description: "A query parameter has a value that is not allowed.", schema: ref("Error")},
			},
		}},
		{http.MethodPost, "/api/v1/silences", s.handleAddSilence, &operation{
			id: "addSilence", tag: "cases",
			summary:     "Add a silence",
			description: "Mutes the cases the glob matches (full key, key without type, or label; case ignored), narrowed by type and owner, from starts_at (default now) until `until`, or for `for` counted from its start. An end is required and must be after both now and the start.",
			body:        &requestBody{mediaType: "application/json", schema: ref("SilenceRequest"), required: true},
			responses: []response{
				{status: http.StatusCreated, description: "The silence.", schema: ref("Silence")},
				{status: http.StatusBadRequest, description: "Malformed body, no match or reason, an unknown type, no end, or an end at or before now or the start.", schema: ref("Error")},
			},
		}},
		{http.MethodDelete, "/api/v1/silences/{id}", s.handleExpireSilence, &operation{
			id: "expireSilence", tag: "cases",
			summary:     "Expire a silence",
			description: "Sets ends_at to now; an ended silence is left as it is.",
			params: []parameter{{name: "id", in: "path", description: "The silence's id, or a unique prefix of 6 or more characters.",
				schema: map[string]any{"type": "string"}}},
			responses: []response{
				{status: http.StatusOK, description: "The silence, ended.", schema: ref("Silence")},
				{status: http.StatusBadRequest, description: "Malformed id, or an ambiguous prefix (the error names the matches).", schema: ref("Error")},
				{status: http.StatusNotFound, description: "No silence has this id.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/clients/{email}", s.handleGetClient, &operation{
			id: "getClient", tag: "cases",
			summary:     "One client's history",
			description: "The client's health readings (oldest first), its cases of every state with their events, and its deals and leads where they can be joined (CONTRACT §11.4). Emails are compared trimmed and lower-cased.",
			params:      []parameter{{name: "email", in: "path", description: "The client's email (URL-escaped).", schema: map[string]any{"type": "string"}}},
			responses: []response{
				{status: http.StatusOK, description: "The client.", schema: ref("Client")},
				{status: http.StatusBadRequest, description: "Not an email.", schema: ref("Error")},
				{status: http.StatusNotFound, description: "No reading, case, deal or lead has this email.", schema: ref("Error")},
			},
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
				{status: http.StatusOK, description: "The notifications.", schema: arrayOf(ref("Notification"))},
				{status: http.StatusBadRequest, description: "A query parameter has a value that is not allowed; the error names it and the allowed values.", schema: ref("Error")},
			},
		}},
		{http.MethodPost, "/api/v1/notifications/{id}/retry", s.handleRetryNotification, &operation{
			id: "retryNotification", tag: "notifications",
			summary:     "Retry a failed notification",
			description: "Queues a notification that failed for good again, once its cause (a revoked Slack URL, say) is fixed: pending, due now, with a fresh set of attempts; its last error stays until the next attempt. Only a failed notification can be retried.",
			params: []parameter{{name: "id", in: "path", description: "The notification's id (a uuid).",
				schema: map[string]any{"type": "string", "format": "uuid"}}},
			responses: []response{
				{status: http.StatusOK, description: "Queued again.", schema: ref("RetryResult")},
				{status: http.StatusBadRequest, description: "Malformed id.", schema: ref("Error")},
				{status: http.StatusNotFound, description: "No notification has this id.", schema: ref("Error")},
				{status: http.StatusConflict, description: "The notification is not failed (pending, sending or delivered): nothing to retry.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/events", s.handleEvents, &operation{
			id: "streamEvents", tag: "alerts",
			summary:     "Server-sent events",
			description: "A text/event-stream: `ready` when it opens, `alerts` ({reason, at}) when the active alerts change — after a scan or a dismiss here, or seen by polling the store (other replicas) — and `scan` ({state: running|done, trigger, success, alerts_saved}) when a scan starts or ends in this process.",
			responses: []response{
				{status: http.StatusOK, description: "The event stream.", schema: textOf("text/event-stream")},
				{status: http.StatusServiceUnavailable, description: "The server is shutting down.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/api/v1/openapi.json", s.handleOpenAPI, &operation{
			id: "getOpenAPI", tag: "meta",
			summary:   "This document",
			responses: []response{{status: http.StatusOK, description: "The OpenAPI 3 document.", schema: obj(nil)}},
		}},
		{http.MethodGet, "/healthz", s.handleHealthz, &operation{
			id: "healthz", tag: "operations",
			summary:   "Liveness: the process is up",
			responses: []response{{status: http.StatusOK, description: "Up.", schema: ref("Health")}},
		}},
		{http.MethodGet, "/readyz", s.handleReadyz, &operation{
			id: "readyz", tag: "operations",
			summary: "Readiness: the database answers and the tables are migrated",
			responses: []response{
				{status: http.StatusOK, description: "Ready.", schema: ref("Health")},
				{status: http.StatusServiceUnavailable, description: "Not ready, or shutting down; the error says why, Retry-After when to look again.", schema: ref("Error")},
			},
		}},
		{http.MethodGet, "/metrics", s.handleMetrics, &operation{
			id: "metrics", tag: "operations",
			summary:   "Prometheus metrics",
			responses: []response{{status: http.StatusOK, description: "Metrics in the Prometheus text format.", schema: textOf("text/plain")}},
		}},

		// The dashboard.
		{http.MethodGet, "/{$}", s.handleRiskList, nil},
		{http.MethodGet, "/alerts", s.handleDashboard, nil},
		{http.MethodGet, "/clients/{email}", s.handleClientPage, nil},
		{http.MethodGet, "/silences", s.handleSilencesPage, nil},
		{http.MethodGet, "/notifications", s.handleNotificationsPage, nil},
		{http.MethodGet, "/ui/risk", s.handleRiskFragment, nil},
		{http.MethodGet, "/ui/alerts", s.handleAlertsFragment, nil},
		{http.MethodGet, "/favicon.ico", s.handleFavicon, nil},
		{http.MethodGet, "/ui/static/", s.handleStatic, nil},
		{http.MethodGet, "/login", s.handleLoginPage, nil},
		{http.MethodPost, "/login", s.handleLogin, nil},
		{http.MethodPost, "/logout", s.handleLogout, nil},
	}
}
