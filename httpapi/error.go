package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// errorBody is every JSON error answer: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

// internalMessage is what a caller sees of an internal error; the detail
// goes to the server log only.
const internalMessage = "internal error: see the server log"

// StatusCode returns the HTTP status of err's proactive error code:
// EINVALID 400, ENOTFOUND 404, ECONFLICT 409, EUNAVAILABLE 503, anything
// else 500. A request body over the limit is 413.
func StatusCode(err error) int {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	switch proactive.ErrorCode(err) {
	case proactive.EINVALID:
		return http.StatusBadRequest
	case proactive.ENOTFOUND:
		return http.StatusNotFound
	case proactive.ECONFLICT:
		return http.StatusConflict
	case proactive.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Error answers err as {"error": "..."} with the status of StatusCode. The
// message is the error's user-facing message, except for internal errors,
// whose detail is recorded for the request log and replaced by a generic
// message.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusCode(err)
	msg := proactive.ErrorMessage(err)
	switch {
	case status == http.StatusRequestEntityTooLarge:
		var tooLarge *http.MaxBytesError
		errors.As(err, &tooLarge)
		msg = "request body too large: the limit is " + formatBytes(tooLarge.Limit)
	case status == http.StatusInternalServerError:
		msg = publicMessage(err)
	}
	noteError(r, err)
	writeJSON(w, status, errorBody{Error: msg})
}

// publicMessage is what a caller may read of err: its user-facing message,
// or, for an internal error (a driver's text may name hosts, users and
// queries), only a pointer to the server log.
func publicMessage(err error) string {
	if StatusCode(err) == http.StatusInternalServerError {
		return internalMessage
	}
	return proactive.ErrorMessage(err)
}

// errorf answers a JSON error with an explicit status and message.
func errorf(w http.ResponseWriter, r *http.Request, status int, msg string) {
	noteError(r, errors.New(msg))
	writeJSON(w, status, errorBody{Error: msg})
}

// writeJSON writes v as JSON with the given status. Text is not
// HTML-escaped ("<token>" stays readable): the answer is never HTML
// (application/json, nosniff).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"` + internalMessage + `"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
