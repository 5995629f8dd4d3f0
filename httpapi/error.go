package httpapi

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// errorBody is every JSON error answer: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

// internalMessage is what a caller sees of an internal error; the detail
// goes to the server log only.
const internalMessage = "internal error: see the server log"

// unavailableMessage is what a caller sees of a database failure that no
// store translated (its text may name hosts and users).
const unavailableMessage = "the database cannot be reached: try again in a moment (see the server log)"

// RetryAfterSeconds is the Retry-After of every 503 answer (a database
// outage, shutdown, readiness): how long a client waits before trying again.
const RetryAfterSeconds = 5

// StatusCode returns the HTTP status of err's proactive error code:
// EINVALID 400, ENOTFOUND 404, ECONFLICT 409, EUNAVAILABLE 503, anything
// else 500 — except a lost or refused database connection that no store
// translated, which is 503 too. A request body over the limit is 413.
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
	if connectionLost(err) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// connectionLost reports whether err, which carries no proactive code,
// says the database connection failed: a network error, a refused or reset
// connection, a connection database/sql gave up on.
func connectionLost(err error) bool {
	if proactive.ErrorCode(err) != proactive.EINTERNAL {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}

// setRetryAfter tells the client when to try again after a 503.
func setRetryAfter(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
}

// Error answers err as {"error": "..."} with the status of StatusCode (and
// Retry-After on a 503). The message is the error's user-facing message,
// except for internal errors, whose detail is recorded for the request log
// and replaced by a generic message.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusCode(err)
	if status == http.StatusServiceUnavailable {
		setRetryAfter(w)
	}
	msg := proactive.ErrorMessage(err)
	switch {
	case status == http.StatusRequestEntityTooLarge:
		var tooLarge *http.MaxBytesError
		errors.As(err, &tooLarge)
		msg = "request body too large: the limit is " + formatBytes(tooLarge.Limit)
	case status == http.StatusInternalServerError, connectionLost(err):
		msg = publicMessage(err)
	}
	noteError(r, err)
	writeJSON(w, status, errorBody{Error: msg})
}

// publicMessage is what a caller may read of err: its user-facing message,
// or, for an internal error or an untranslated connection failure (a
// driver's text may name hosts, users and queries), only a pointer to the
// server log.
func publicMessage(err error) string {
	switch {
	case StatusCode(err) == http.StatusInternalServerError:
		return internalMessage
	case connectionLost(err):
		return unavailableMessage
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
