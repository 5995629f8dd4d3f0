package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Primary SQLite result codes the store translates.
const (
	codePerm       = sqlite3.SQLITE_PERM
	codeBusy       = sqlite3.SQLITE_BUSY
	codeLocked     = sqlite3.SQLITE_LOCKED
	codeReadOnly   = sqlite3.SQLITE_READONLY
	codeIOErr      = sqlite3.SQLITE_IOERR
	codeCorrupt    = sqlite3.SQLITE_CORRUPT
	codeFull       = sqlite3.SQLITE_FULL
	codeCantOpen   = sqlite3.SQLITE_CANTOPEN
	codeConstraint = sqlite3.SQLITE_CONSTRAINT
	codeNotADB     = sqlite3.SQLITE_NOTADB
)

// sqliteCode returns the primary SQLite result code in err's chain, 0 when
// err is not a SQLite error.
func sqliteCode(err error) int {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// missing reports what SQLite's "no such table: x" or "no such column: x"
// error names: kind is "table" or "column"; ok is false for other errors.
func missing(err error) (kind, name string, ok bool) {
	msg := err.Error()
	for _, kind := range []string{"table", "column"} {
		marker := "no such " + kind + ": "
		if i := strings.Index(msg, marker); i >= 0 {
			name = msg[i+len(marker):]
			if j := strings.IndexAny(name, " ("); j >= 0 {
				name = name[:j]
			}
			return kind, name, true
		}
	}
	return "", "", false
}

// translate wraps err with what was being done (op) and, where the cause is
// known, turns it into a *proactive.Error with a code and a message that
// says what to do. An error that carries a code already is returned as it
// is (its message says what failed); a cancellation is only wrapped.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *proactive.Error
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if kind, name, ok := missing(err); ok {
		// One of the product's tables (the source tables go through
		// tableError): the database is not ready, not a missing record.
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("%s: %s %s does not exist: run `ptd-proactive migrate`", op, kind, name)}
	}
	switch sqliteCode(err) {
	case codeBusy, codeLocked:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("%s: the database is locked by another process (waited %d s): try again", op, busyTimeoutMS/1000)}
	case codeCantOpen, codeIOErr, codeFull, codeReadOnly, codePerm, codeCorrupt:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err,
			Message: op + ": the database file cannot be read or written: check the file, its directory, permissions and free space"}
	case codeNotADB:
		return &proactive.Error{Code: proactive.EINVALID, Err: err,
			Message: op + ": the file is not a SQLite database"}
	case codeConstraint:
		return &proactive.Error{Code: proactive.ECONFLICT, Err: err,
			Message: op + ": a row collides with a stored one (" + err.Error() + ")"}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// tableError is translate for an operation on one source table: a missing
// table or column gets a message naming the table and the way out.
func tableError(op, table string, err error) error {
	if err == nil {
		return nil
	}
	kind, name, ok := missing(err)
	if !ok {
		return translate(op, err)
	}
	if kind == "table" {
		return &proactive.Error{Code: proactive.ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"%s: table %s does not exist: run `ptd-proactive migrate` to create it, or import data with `ptd-proactive import %s FILE`",
			op, table, table)}
	}
	return &proactive.Error{Code: proactive.ENOTFOUND, Err: err, Message: fmt.Sprintf(
		"%s: table %s has no column %s: add it (or map it in a view named %s); `ptd-proactive doctor` lists what is missing",
		op, table, name, table)}
}
