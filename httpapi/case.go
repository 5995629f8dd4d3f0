package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/importer"
	"github.com/ptd-agents/ptd-proactive/internal/csvout"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// Limits of the risk desk's API.
const (
	// MaxCaseLimit caps the limit query parameter of GET /api/v1/cases.
	MaxCaseLimit = 10000
	// maxRefLength bounds a case reference (id, prefix or key) or an email
	// taken from a path.
	maxRefLength = 512
)

// queryOne returns the one value of a query parameter ("" when absent);
// a parameter given twice is EINVALID.
func queryOne(q url.Values, name string) (string, error) {
	vs := q[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", proactive.Errorf(proactive.EINVALID, "query parameter %s: give it once, not %d times", name, len(vs))
}

// wantCSV reads the format query parameter: json (the default) or csv.
func wantCSV(q url.Values) (bool, error) {
	f, err := queryOne(q, "format")
	if err != nil {
		return false, err
	}
	switch f {
	case "", "json":
		return false, nil
	case "csv":
		return true, nil
	}
	return false, proactive.Errorf(proactive.EINVALID, "query parameter format: %q is not a format: use json or csv", f)
}

// writeCSV answers rows as CSV under columns, as a download named file.
func writeCSV(w http.ResponseWriter, file string, columns []string, rows any) {
	var buf bytes.Buffer
	if err := csvout.Write(&buf, columns, rows); err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: internalMessage})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+file+`"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
}

// pathRef reads a case reference, silence id or email from the path: not
// empty, not over maxRefLength, no control characters.
func pathRef(r *http.Request, name, what string) (string, error) {
	v := strings.TrimSpace(r.PathValue(name))
	if v == "" || len(v) > maxRefLength || strings.ContainsFunc(v, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "", proactive.Errorf(proactive.EINVALID, "malformed %s in the path: give 1 to %d printable characters", what, maxRefLength)
	}
	return v, nil
}

// caseFilterQuery reads the case filters of a query, as given: state,
// type, owner and search, each at most once (EINVALID naming a repeated
// one).
func caseFilterQuery(q url.Values) (desk.CaseFilter, error) {
	var f desk.CaseFilter
	for _, p := range []struct {
		name string
		dst  *string
	}{{"state", &f.State}, {"type", &f.Type}, {"owner", &f.Owner}, {"search", &f.Search}} {
		v, err := queryOne(q, p.name)
		if err != nil {
			return f, err
		}
		*p.dst = v
	}
	return f, nil
}

// handleListCases is GET /api/v1/cases: the cases as cases --json (or
// CSV with format=csv), filtered by state, type, owner and search.
func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := caseFilterQuery(q)
	if err != nil {
		Error(w, r, err)
		return
	}
	l, err := queryOne(q, "limit")
	if err != nil {
		Error(w, r, err)
		return
	}
	if l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxCaseLimit {
			Error(w, r, proactive.Errorf(proactive.EINVALID, "query parameter limit: %q is not allowed: use a whole number from 1 to %d", l, MaxCaseLimit))
			return
		}
		f.Limit = n
	}
	asCSV, err := wantCSV(q)
	if err != nil {
		Error(w, r, err)
		return
	}
	cs, err := s.desk.ListCases(r.Context(), f, s.now())
	if err != nil {
		Error(w, r, fmt.Errorf("list cases: %w", err))
		return
	}
	if cs == nil {
		cs = []proactive.CaseView{}
	}
	if asCSV {
		writeCSV(w, "cases.csv", append(proactive.CaseColumns(), "silenced"), cs)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

// handleGetCase is GET /api/v1/cases/{id}: one case by id, unique prefix
// or (URL-escaped) key, with its events.
func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request) {
	ref, err := pathRef(r, "id", "case id")
	if err != nil {
		Error(w, r, err)
		return
	}
	d, err := s.desk.GetCase(r.Context(), ref, s.now())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// actionBody is the body of POST /api/v1/cases/{id}/{action}: every field
// optional, those an action does not use ignored.
type actionBody struct {
	By    string `json:"by"`
	Note  string `json:"note"`
	Until string `json:"until"`
	For   string `json:"for"`
	Owner string `json:"owner"`
}

// decodeBody reads an optional JSON object body into v: nothing is the
// zero value; anything but an object of v's keys is EINVALID saying what
// is wrong.
func decodeBody(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return proactive.Errorf(proactive.EINVALID, "request body: send a JSON object, not a %s", typeErr.Value)
		case errors.As(err, &typeErr):
			return proactive.Errorf(proactive.EINVALID, "request body: %s must be a %s", typeErr.Field, typeErr.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return proactive.Errorf(proactive.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return proactive.Errorf(proactive.EINVALID, "request body: not a JSON object: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return proactive.Errorf(proactive.EINVALID, "request body: one JSON object, nothing after it")
	}
	return nil
}

// parseBodyTime reads a time field of a body in import's forms.
func parseBodyTime(field, v string) (time.Time, error) {
	t, ok := importer.ParseTime(strings.TrimSpace(v))
	if !ok {
		return time.Time{}, proactive.Errorf(proactive.EINVALID, "request body: %s %q is not a time: write it as RFC 3339 (2025-12-10T09:30:00Z), 2025-12-10 09:30:00 or 2025-12-10 (UTC)", field, v)
	}
	return t.UTC(), nil
}

// parseEnd reads until and for: the end (nil when neither is given) or
// the duration; both is EINVALID.
func parseEnd(until, forDur string) (*time.Time, time.Duration, error) {
	switch {
	case until != "" && forDur != "":
		return nil, 0, proactive.Errorf(proactive.EINVALID, "request body: give the end once: until or for, not both")
	case until != "":
		t, err := parseBodyTime("until", until)
		if err != nil {
			return nil, 0, err
		}
		return &t, 0, nil
	case forDur != "":
		d, err := desk.ParseDuration(forDur)
		if err != nil {
			return nil, 0, proactive.Errorf(proactive.EINVALID, "request body: for: %s", proactive.ErrorMessage(err))
		}
		return nil, d, nil
	}
	return nil, 0, nil
}

// caseAction returns the handler of POST /api/v1/cases/{id}/<kind>: ack
// (an email acknowledges the client's health and renewal cases), snooze
// (until or for), assign (owner), comment (note) or resolve. The actor is
// by, else api. It answers desk.ActionResult.
func (s *Server) caseAction(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body actionBody
		if err := decodeBody(r, &body); err != nil {
			Error(w, r, err)
			return
		}
		ref, err := pathRef(r, "id", "case id")
		if err != nil {
			Error(w, r, err)
			return
		}
		now := s.now()
		act := lifecycle.Action{Kind: kind, By: strings.TrimSpace(body.By), Note: body.Note, Owner: body.Owner}
		if act.By == "" {
			act.By = proactive.ActorAPI
		}
		if kind == lifecycle.ActSnooze {
			end, d, err := parseEnd(body.Until, body.For)
			if err != nil {
				Error(w, r, err)
				return
			}
			switch {
			case end != nil:
				act.Until = *end
			case d > 0:
				act.Until = now.Add(d)
			default:
				Error(w, r, proactive.Errorf(proactive.EINVALID, `snooze needs an end: send {"until": TIME} or {"for": DURATION} (such as "3d")`))
				return
			}
		}
		cs, evs, err := s.desk.ActEvents(r.Context(), ref, act, now)
		if err != nil {
			Error(w, r, err)
			return
		}
		if kind == lifecycle.ActResolve && len(evs) > 0 {
			s.alertsChanged("resolve") // alerts whose cases are all resolved closed
		}
		writeJSON(w, http.StatusOK, desk.NewActionResult(kind, cs, evs))
	}
}
