package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// operation documents one endpoint in the OpenAPI document.
type operation struct {
	id, tag, summary, description string
	params                        []parameter
	body                          *requestBody
	responses                     []response
}

// parameter is a path or query parameter.
type parameter struct {
	name, in, description string
	schema                map[string]any
}

// requestBody documents a request body.
type requestBody struct {
	mediaType   string
	schema      map[string]any
	required    bool
	description string
}

// response documents one status of an endpoint; a schema with the key
// "x-media" is served under that media type instead of JSON. csv says the
// endpoint answers text/csv too (format=csv).
type response struct {
	status      int
	description string
	schema      map[string]any
	csv         bool
}

// ref points at a component schema.
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// arrayOf is an array schema.
func arrayOf(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}

// enumOf is a string enumeration.
func enumOf(values ...string) map[string]any { return map[string]any{"type": "string", "enum": values} }

// textOf marks a non-JSON answer.
func textOf(mediaType string) map[string]any {
	return map[string]any{"type": "string", "x-media": mediaType}
}

// obj is an object schema with the given properties (nil: any object).
func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object"}
	if props != nil {
		o["properties"] = props
	}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// str, integer, number, boolean and dateTime are scalar schemas.
func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
func integer(desc string) map[string]any {
	return map[string]any{"type": "integer", "description": desc}
}
func boolean(desc string) map[string]any {
	return map[string]any{"type": "boolean", "description": desc}
}
func dateTime(desc string) map[string]any {
	return map[string]any{"type": "string", "format": "date-time", "description": desc}
}
func nullable(s map[string]any) map[string]any {
	s["nullable"] = true
	return s
}

// idParam is the {id} path parameter of an alert.
func idParam() parameter {
	return parameter{name: "id", in: "path", description: "The alert's id (a uuid, or an integer in an existing table).",
		schema: map[string]any{"type": "string", "pattern": "^[A-Za-z0-9_-]{1,128}$"}}
}

// caseParam is the {id} path parameter of a case.
func caseParam() parameter {
	return parameter{name: "id", in: "path", description: "The case's id, a unique id prefix of 6 or more characters, or its URL-escaped key (health_drop:jane%40example.com).",
		schema: map[string]any{"type": "string", "maxLength": maxRefLength}}
}

// formatParam is the format query parameter of the listings with CSV.
func formatParam() parameter {
	return parameter{name: "format", in: "query", description: "json (default) or csv: RFC 4180, the JSON keys as header.", schema: enumOf("json", "csv")}
}

// caseRefResponses adds the answers about a case {id} to ok.
func caseRefResponses(ok response) []response {
	return []response{
		ok,
		{status: http.StatusBadRequest, description: "Malformed id, an ambiguous prefix (the error names the matches), or bad input (an end at or before now, a missing end, an empty owner or note).", schema: ref("Error")},
		{status: http.StatusNotFound, description: "No case has this id, prefix or key.", schema: ref("Error")},
	}
}

// typeEnum is the anomaly types of the registry's checks.
func (s *Server) typeEnum() map[string]any {
	var types []string
	for _, c := range s.opts.Registry.All() {
		types = append(types, string(c.Type))
	}
	return enumOf(types...)
}

// scanResponses are the answers of both scan endpoints.
func scanResponses() []response {
	return []response{
		{status: http.StatusOK, description: "The scan ran (checks that could not run are listed in errors).", schema: ref("ScanResult")},
		{status: http.StatusInternalServerError, description: "The scan could not run.", schema: ref("ScanFailure")},
		{status: http.StatusServiceUnavailable, description: unavailableDoc, schema: ref("ScanFailure")},
	}
}

// unavailableDoc describes the 503 every API call may answer.
const unavailableDoc = "The database cannot be reached, or the server is shutting down; the Retry-After header says how many seconds to wait before trying again."

// alertIDResponses adds the answers about an {id} to ok.
func alertIDResponses(ok response) []response {
	return []response{
		ok,
		{status: http.StatusBadRequest, description: "Malformed id.", schema: ref("Error")},
		{status: http.StatusNotFound, description: "No alert has this id.", schema: ref("Error")},
	}
}

// schemas are the document's component schemas.
func schemas(reg *proactive.Registry) map[string]any {
	severity := enumOf("critical", "high", "medium", "low")
	var types, breakdownKeys []string
	breakdown := map[string]any{}
	for _, c := range reg.All() {
		types = append(types, string(c.Type))
		breakdown[c.BreakdownKey] = integer(c.Label + " anomalies (present when the check is enabled; Part one's four always).")
		if c.Default {
			breakdownKeys = append(breakdownKeys, c.BreakdownKey)
		}
	}
	anomalyType := enumOf(types...)
	sev := func() map[string]any { return enumOf("critical", "high", "medium", "low") }
	caseState := enumOf("open", "acknowledged", "snoozed", "resolved")
	caseProps := func(extra map[string]any) map[string]any {
		p := map[string]any{
			"id":               str("The case's id (a uuid)."),
			"type":             anomalyType,
			"key":              str("<type>:<id>, e.g. health_drop:jane@example.com (CONTRACT §10.1)."),
			"label":            str("The entity as the alert names it."),
			"state":            caseState,
			"severity":         sev(),
			"peak_severity":    sev(),
			"urgency":          integer("0–100."),
			"opened_at":        dateTime(""),
			"last_seen_at":     dateTime(""),
			"resolved_at":      nullable(dateTime("")),
			"resolve_reason":   nullable(enumOf("cleared", "manual")),
			"owner":            nullable(str("")),
			"acknowledged_by":  nullable(str("")),
			"acknowledged_at":  nullable(dateTime("")),
			"ack_severity":     nullable(sev()),
			"snoozed_until":    nullable(dateTime("")),
			"snooze_reason":    nullable(str("")),
			"inhibited_by":     nullable(str("The source case key of the inhibit rule that holds it back (CONTRACT §11.8).")),
			"note":             nullable(str("")),
			"previous_case_id": nullable(str("The key's previous case, resolved before this one opened.")),
			"details":          nullable(obj(nil)),
			"silenced":         boolean("An active silence matches it (derived, not stored)."),
		}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	caseRequired := []string{"id", "type", "key", "label", "state", "severity", "peak_severity", "urgency", "opened_at", "last_seen_at"}
	return map[string]any{
		"Case":       obj(caseProps(nil), append(caseRequired, "silenced")...),
		"CaseDetail": obj(caseProps(map[string]any{"events": arrayOf(ref("CaseEvent"))}), append(caseRequired, "silenced", "events")...),
		"CaseEvent": obj(map[string]any{
			"id":       str(""),
			"case_id":  str(""),
			"seq":      integer("Increasing per case, from 1."),
			"at":       dateTime(""),
			"kind":     enumOf("opened", "escalated", "deescalated", "acknowledged", "snoozed", "woke", "assigned", "commented", "resolved"),
			"actor":    str("ptd-proactive for scans, cli or api by default, or the by given."),
			"severity": sev(),
			"note":     str(""),
		}, "id", "case_id", "seq", "at", "kind", "actor"),
		"ActionRequest": obj(map[string]any{
			"by":    str("Who acts (default api)."),
			"note":  str("ack, comment, resolve: the note; snooze: the reason."),
			"until": str("snooze: until this time (RFC 3339, or YYYY-MM-DD HH:MM:SS / YYYY-MM-DD as UTC)."),
			"for":   str("snooze: for this long from now: a Go duration (36h) or days (3d)."),
			"owner": str("assign: the new owner."),
		}),
		"ActionResult": obj(map[string]any{
			"action": enumOf("ack", "snooze", "assign", "comment", "resolve"),
			"cases":  arrayOf(ref("Case")),
			"events": arrayOf(ref("CaseEvent")),
		}, "action", "cases", "events"),
		"Silence": obj(map[string]any{
			"id":         str(""),
			"match":      str("A glob: * any run, ? one character, case ignored."),
			"type":       str("Only cases of this check; empty for any."),
			"owner":      str("Only cases of this owner; empty for any."),
			"starts_at":  dateTime(""),
			"ends_at":    dateTime(""),
			"created_by": str(""),
			"reason":     str(""),
			"created_at": dateTime(""),
		}, "id", "match", "starts_at", "ends_at", "reason"),
		"SilenceRequest": obj(map[string]any{
			"match":     str("The glob (required)."),
			"type":      anomalyType,
			"owner":     str(""),
			"starts_at": str("Start (default now): RFC 3339, or YYYY-MM-DD HH:MM:SS / YYYY-MM-DD as UTC."),
			"until":     str("End, in the same forms; or give for."),
			"for":       str("Length from the start: a Go duration (36h) or days (14d)."),
			"by":        str("Who adds it (default api)."),
			"reason":    str("Why (required)."),
		}, "match", "reason"),
		"Client": obj(map[string]any{
			"email": str("The email asked for, trimmed and lower-cased."),
			"readings": arrayOf(obj(map[string]any{
				"email":         str("As written."),
				"firstname":     str(""),
				"lastname":      str(""),
				"health_score":  nullable(map[string]any{"type": "number"}),
				"health_zone":   str("As written."),
				"calculated_at": dateTime(""),
			})),
			"cases": arrayOf(ref("CaseDetail")),
			"deals": arrayOf(obj(map[string]any{
				"id":                 str(""),
				"name":               str(""),
				"stage":              str(""),
				"amount":             nullable(map[string]any{"type": "number"}),
				"contact_id":         str(""),
				"contact_email":      str("The email the deal was joined by."),
				"created_at":         nullable(dateTime("")),
				"updated_at":         nullable(dateTime("")),
				"last_activity_date": nullable(dateTime("")),
			})),
			"leads": arrayOf(obj(map[string]any{
				"id":                str(""),
				"name":              str(""),
				"email":             str(""),
				"status":            str(""),
				"source":            str(""),
				"created_at":        nullable(dateTime("")),
				"last_contact_date": nullable(dateTime("")),
			})),
			"deals_joinable": boolean("A contacts(id, email) table or a deals.contact_email column exists."),
		}, "email", "readings", "cases", "deals", "leads", "deals_joinable"),
		"DismissRequest": obj(map[string]any{"by": str("Who dismisses (default api); recorded on the acknowledged cases.")}),
		"Error":          obj(map[string]any{"error": str("What is wrong and what to do.")}, "error"),
		"Health": obj(map[string]any{
			"status":   str("ok or ready."),
			"database": str("The store's kind: sqlite or postgres (readyz)."),
		}, "status"),
		"ScanRequest": obj(map[string]any{
			"trigger": map[string]any{"type": "string", "pattern": triggerPattern.String(), "description": "Who asked; recorded with the scan run. Default http."},
		}),
		"ScanFailure": obj(map[string]any{
			"success": boolean("Always false."),
			"error":   str("Why the scan could not run."),
		}, "success", "error"),
		"ScanResult": obj(map[string]any{
			"success":              boolean("True when the scan ran."),
			"duration_ms":          integer("Duration of the scan."),
			"anomalies_detected":   integer("Anomalies found by the four checks."),
			"alert_groups_created": integer("Alert groups (one per anomaly type present)."),
			"alerts_saved":         integer("Alerts stored: new or escalated."),
			"breakdown":            obj(breakdown, breakdownKeys...),
			"insights":             arrayOf(str("")),
			"predictions":          arrayOf(str("")),
			"alert_groups": arrayOf(obj(map[string]any{
				"type":           anomalyType,
				"severity":       severity,
				"urgency":        integer("Combined urgency, 0–100."),
				"affected_count": integer(""),
				"title":          str("The group's alert title."),
				"saved":          enumOf("inserted", "escalated", "updated", "duplicate"),
				"alert_id":       str("The stored alert's id."),
			}, "type", "severity", "urgency", "affected_count")),
			"errors": arrayOf(obj(map[string]any{
				"monitor": str("The check, e.g. checkSyncFailures."),
				"error":   str(""),
			}, "monitor", "error")),
			"duplicates_skipped": integer("Groups not saved because of dedup."),
			"alerts_escalated":   integer("Saved alerts that escalated a stored one."),
			"skipped_rows": arrayOf(obj(map[string]any{
				"monitor": str(""), "table": str("The table the check read; \"\" for a check that reads none."), "reason": str(""), "count": integer(""),
			})),
			"dry_run": boolean(""),
			"now":     dateTime("The moment the scan evaluated at."),
		}, "success", "duration_ms", "anomalies_detected", "alert_groups_created", "alerts_saved",
			"breakdown", "insights", "predictions", "alert_groups", "errors"),
		"Notification": obj(map[string]any{
			"id":              str(""),
			"alert_id":        str("The alert delivered."),
			"channel":         enumOf("slack", "email", "webhook"),
			"idempotency_key": str("<alert id>:<channel>:<priority>; receivers may dedup on it."),
			"priority":        severity,
			"status":          enumOf("pending", "sending", "delivered", "failed"),
			"attempts":        integer(""),
			"last_error":      str("The last delivery error (secrets redacted)."),
			"next_attempt_at": dateTime(""),
			"created_at":      dateTime(""),
			"delivered_at":    dateTime(""),
			"scan_id":         str("The scan that queued it."),
		}, "id", "alert_id", "channel", "status", "attempts"),
		"ScanRun": obj(map[string]any{
			"started_at":         dateTime(""),
			"duration_ms":        integer(""),
			"success":            boolean(""),
			"trigger":            str("cli, http, schedule, dashboard, …"),
			"anomalies_detected": integer(""),
			"alerts_saved":       integer(""),
			"errors":             integer("Checks that could not run."),
			"message":            str(""),
		}, "started_at", "duration_ms", "success", "trigger"),
		"Alert": obj(map[string]any{
			"id":           str(""),
			"insight_type": str("alert"),
			"priority":     severity,
			"title":        str(""),
			"content":      str(""),
			"summary":      str(""),
			"action_items": arrayOf(obj(map[string]any{
				"action": str(""), "priority": severity, "urgency_score": integer(""),
			})),
			"affected_entities": obj(map[string]any{
				"type":          anomalyType,
				"count":         integer(""),
				"entities":      arrayOf(str("")),
				"urgency_score": integer("The group's combined urgency, 0–100."),
			}),
			"source_agent": str("ptd-proactive"),
			"source_data":  nullable(obj(nil)),
			"dedup_key":    str(""),
			"expires_at":   nullable(dateTime("")),
			"is_dismissed": boolean(""),
			"created_at":   dateTime(""),
		}, "id", "priority", "title", "affected_entities", "created_at"),
		"DismissResult": obj(map[string]any{
			"id":           str(""),
			"dismissed":    boolean(""),
			"acknowledged": arrayOf(str("The id of a case the dismiss acknowledged.")),
		}, "id", "dismissed", "acknowledged"),
		"RetryResult": obj(map[string]any{
			"id":      str("The notification queued again."),
			"retried": boolean(""),
		}, "id", "retried"),
	}
}

// openAPIPath turns a ServeMux path into an OpenAPI path ("/{$}" → "/").
func openAPIPath(p string) string { return strings.ReplaceAll(p, "{$}", "") }

// openAPI builds the document from routes(): every route with a doc.
func (s *Server) openAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes() {
		if rt.doc == nil {
			continue
		}
		p := openAPIPath(rt.path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		item[strings.ToLower(rt.method)] = rt.doc.render(rt.method, p)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "ptd-proactive",
			"version": "1",
			"description": "Proactive monitoring of client health, deals, sync errors and leads. " +
				"With API tokens configured (PTD_API_TOKEN, comma-separated for rotation) every /api/ and /functions/ call needs " +
				"`Authorization: Bearer <token>`; the dashboard's session cookie is accepted too. " +
				"/healthz, /readyz and /metrics need no token. " +
				"CORS: every /api/ and /functions/ answer carries Access-Control-Allow-Origin: *; OPTIONS is answered 200 without a token. " +
				"Request bodies are limited to " + formatBytes(s.opts.MaxBodyBytes) + " (413). A wrong method is answered 405 with an Allow header. " +
				"Errors are JSON: {\"error\": \"...\"}.",
		},
		"tags": []any{
			map[string]any{"name": "scan"}, map[string]any{"name": "alerts"}, map[string]any{"name": "cases"}, map[string]any{"name": "notifications"},
			map[string]any{"name": "operations"}, map[string]any{"name": "meta"},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas(s.opts.Registry),
			"securitySchemes": map[string]any{
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer", "description": "One of the configured API tokens."},
			},
		},
	}
}

// render returns the OpenAPI operation object.
func (o *operation) render(method, path string) map[string]any {
	op := map[string]any{
		"operationId": o.id,
		"summary":     o.summary,
		"tags":        []string{o.tag},
	}
	if o.description != "" {
		op["description"] = o.description
	}
	if len(o.params) > 0 {
		ps := make([]any, 0, len(o.params))
		for _, p := range o.params {
			ps = append(ps, map[string]any{
				"name": p.name, "in": p.in, "description": p.description,
				"required": p.in == "path", "schema": p.schema,
			})
		}
		op["parameters"] = ps
	}
	if o.body != nil {
		b := map[string]any{
			"required": o.body.required,
			"content":  map[string]any{o.body.mediaType: map[string]any{"schema": o.body.schema}},
		}
		if o.body.description != "" {
			b["description"] = o.body.description
		}
		op["requestBody"] = b
	}
	responses := map[string]any{}
	for _, r := range o.responses {
		responses[strconv.Itoa(r.status)] = renderResponse(r)
	}
	if accessFor(path) == accessAPI {
		op["security"] = []any{map[string]any{"bearerAuth": []string{}}}
		responses["401"] = renderResponse(response{status: http.StatusUnauthorized, description: "Missing or wrong bearer token (only when tokens are configured).", schema: ref("Error")})
		if _, ok := responses["503"]; !ok {
			responses["503"] = renderResponse(response{status: http.StatusServiceUnavailable, description: unavailableDoc, schema: ref("Error")})
		}
	} else {
		op["security"] = []any{}
	}
	if method == http.MethodPost {
		responses["413"] = renderResponse(response{status: http.StatusRequestEntityTooLarge, description: "The request body is over the limit.", schema: ref("Error")})
	}
	responses["405"] = renderResponse(response{status: http.StatusMethodNotAllowed, description: "Wrong method for this path.", schema: ref("Error")})
	op["responses"] = responses
	return op
}

// renderResponse returns an OpenAPI response object.
func renderResponse(r response) map[string]any {
	media := "application/json"
	schema := r.schema
	if m, ok := schema["x-media"].(string); ok {
		media = m
		schema = map[string]any{"type": "string"}
	}
	content := map[string]any{media: map[string]any{"schema": schema}}
	if r.csv {
		content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
	}
	return map[string]any{
		"description": r.description,
		"content":     content,
	}
}

// handleOpenAPI is GET /api/v1/openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPI())
}
