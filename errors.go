package proactive

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes carried by *Error. Adapters translate driver errors into
// these; the HTTP layer maps them to status codes in one place.
const (
	EINVALID     = "invalid"     // bad input from the caller (HTTP 400, exit 2 or 1)
	ENOTFOUND    = "not_found"   // the thing asked for does not exist (HTTP 404)
	ECONFLICT    = "conflict"    // the request collides with the current state (HTTP 409)
	EUNAVAILABLE = "unavailable" // the database or a peer cannot be reached (HTTP 503)
	EINTERNAL    = "internal"    // anything else (HTTP 500)
)

// Error is a domain error: a code, a message meant for the user (saying what
// is wrong and what to do), and an optional cause.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil && !strings.Contains(e.Message, e.Err.Error()) {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message. A %w
// verb in format is kept as the cause (and its text, already in the
// message, is not repeated by Error).
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// when there is none, and "" for a nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or err's text.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
