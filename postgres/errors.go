package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// urlSource names where the database URL comes from, in messages that ask
// to check it; OpenReader names the read replica's instead (readURLSource).
const (
	urlSource     = "PTD_DATABASE_URL (or --db)"
	readURLSource = "PTD_READ_DATABASE_URL (or --read-db)"
)

// SQLSTATE codes the store translates.
const (
	codeUndefinedTable      = "42P01"
	codeUndefinedColumn     = "42703"
	codeUndefinedFunction   = "42883"
	codeCannotCoerce        = "42846"
	codeInsufficientPriv    = "42501"
	codeQueryCanceled       = "57014"
	codeInvalidText         = "22P02"
	codeOutOfRange          = "22003"
	codeUniqueViolation     = "23505"
	codeInvalidPassword     = "28P01"
	codeInvalidAuth         = "28000"
	codeInvalidCatalog      = "3D000"
	codeLockNotAvailable    = "55P03"
	codeSerializationFailed = "40001"
	codeDeadlockDetected    = "40P01"
	codeDuplicatePrepared   = "42P05"
	codeUnknownPrepared     = "26000"
	codeProtocolViolation   = "08P01"
)

// Supabase's transaction poolers listen on port 6543: the shared one at
// aws-0-<region>.pooler.supabase.com (whose port 5432 is the session
// pooler) and the dedicated one at db.<project>.supabase.co (whose port
// 5432 is the database itself).
const (
	supabaseSharedPooler    = ".pooler.supabase.com"
	supabaseProjectHost     = ".supabase.co"
	supabaseTransactionPort = 6543
)

// refuseTransactionPooler refuses, before any connection, the
// transaction-mode poolers a URL names for sure: Supabase's, on port 6543.
// Through them the session settings each connection starts with would
// stay on a server session other clients get next, and the prepared
// statements would fail at random. Other poolers cannot be told apart by
// their address; the errors they cause are translated
// (codeDuplicatePrepared, codeUnknownPrepared).
func refuseTransactionPooler(host string, port uint16) error {
	if port != supabaseTransactionPort {
		return nil
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, suffix := range []string{supabaseSharedPooler, supabaseProjectHost} {
		if strings.HasSuffix(h, suffix) {
			return proactive.Errorf(proactive.EINVALID,
				"open postgres database: %s is a Supabase transaction pooler, which gives each transaction another server session, "+
					"but ptd-proactive needs one of its own: use port 5432 of the same host (the session pooler, or the database itself at db.<project>.supabase.co)",
				net.JoinHostPort(host, strconv.Itoa(int(port))))
		}
	}
	return nil
}

// pgCode returns the SQLSTATE of the PostgreSQL error in err's chain, ""
// when there is none.
func pgCode(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// isConnError reports whether err means the database cannot be reached or
// the connection was lost: a refused or timed-out connection, a terminated
// backend, a server shutting down.
func isConnError(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"): // connection_exception
			return true
		case pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pg.Code == "53300": // too_many_connections
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	return strings.Contains(err.Error(), "conn closed")
}

// fail wraps err with what was being done (op) and, where the cause is
// known, turns it into a *proactive.Error whose message says what to do.
// Errors that already carry a code, and cancellations by the caller, are
// only wrapped.
func (d *DB) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *proactive.Error
	if errors.As(err, &pe) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch code := pgCode(err); code {
	case codeInvalidPassword, codeInvalidAuth:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"%s: the database at %s refused the login: check the user and password in "+urlSource, op, d.where)}
	case codeInvalidCatalog:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"%s: the database at %s does not exist: check the database name in "+urlSource+" or create it", op, d.where)}
	case codeQueryCanceled:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"%s: the statement ran longer than the statement timeout (%s) and was cancelled: check the database's load and indexes (`ptd-proactive migrate` creates them) or raise the timeout", op, d.opts.StatementTimeout)}
	case codeLockNotAvailable:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"%s: a table is locked by another session: try again when it is done", op)}
	case codeUndefinedTable:
		return &proactive.Error{Code: proactive.ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"%s: %s: run `ptd-proactive migrate` to create the missing tables", op, pgMessage(err))}
	case codeUndefinedColumn:
		return &proactive.Error{Code: proactive.ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"%s: %s: run `ptd-proactive migrate`; `ptd-proactive doctor` lists what is missing", op, pgMessage(err))}
	case codeInsufficientPriv:
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"%s: %s: grant the database user of "+urlSource+" the rights it needs", op, pgMessage(err))}
	case codeUniqueViolation:
		return &proactive.Error{Code: proactive.ECONFLICT, Err: err, Message: fmt.Sprintf(
			"%s: a row collides with a stored one (%s)", op, pgMessage(err))}
	case codeSerializationFailed, codeDeadlockDetected:
		return &proactive.Error{Code: proactive.ECONFLICT, Err: err, Message: fmt.Sprintf(
			"%s: collided with a concurrent transaction: try again", op)}
	case codeDuplicatePrepared, codeUnknownPrepared:
		// The store names its statements per session; only a session
		// shared with another client, or swapped under this one, meets
		// one it did not prepare or misses one it did.
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"%s: a connection pooler in transaction mode (PgBouncer's pool_mode = transaction, Supabase's transaction pooler on port 6543) "+
				"sits between ptd-proactive and %s and gives each transaction another server session, but ptd-proactive needs one of its own: "+
				"connect directly, or through a pooler in session mode (Supabase: the session pooler, port 5432)", op, d.where)}
	case codeProtocolViolation:
		if msg := pgMessage(err); strings.Contains(msg, "unsupported startup parameter") {
			return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
				"%s: the connection pooler at %s refused a parameter of the connection string (%s): "+
					"remove it from "+urlSource+", or add it to the pooler's ignore_startup_parameters", op, d.where, msg)}
		}
	}
	if strings.HasPrefix(pgCode(err), "22") || strings.HasPrefix(pgCode(err), "23") { // data exception, integrity constraint
		return &proactive.Error{Code: proactive.EINVALID, Err: err, Message: fmt.Sprintf("%s: %s", op, pgMessage(err))}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The caller's deadline, unless it was the one of connecting.
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) {
			return d.unreachable(op, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if isConnError(err) {
		return d.unreachable(op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unreachable is the error for a database that cannot be reached.
func (d *DB) unreachable(op string, err error) error {
	return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
		"%s: the database at %s cannot be reached: check "+urlSource+" and that PostgreSQL is running", op, d.where)}
}

// pgMessage is the server's message of a PostgreSQL error, with its detail.
func pgMessage(err error) string {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err.Error()
	}
	if pg.Detail != "" {
		return pg.Message + " (" + pg.Detail + ")"
	}
	return pg.Message
}

// missingColumnName extracts the column PostgreSQL's "column x does not
// exist" names, without quotes or table alias.
func missingColumnName(err error) string {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return ""
	}
	name := strings.TrimPrefix(pg.Message, "column ")
	name = strings.TrimSuffix(name, " does not exist")
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return strings.Trim(name, `"`)
}

// tableFail is fail for an operation on one source table: a missing table
// or column gets a message naming the table and the way out.
func (d *DB) tableFail(op, table string, err error) error {
	switch pgCode(err) {
	case codeUndefinedTable:
		return &proactive.Error{Code: proactive.ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"%s: table %s does not exist: run `ptd-proactive migrate` to create it, or import data with `ptd-proactive import %s FILE`",
			op, table, table)}
	case codeUndefinedColumn:
		col := missingColumnName(err)
		return &proactive.Error{Code: proactive.ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"%s: table %s has no column %s: add it (ALTER TABLE %s ADD COLUMN %s …) or map it in a view named %s; `ptd-proactive doctor` lists what is missing",
			op, table, col, table, col, table)}
	case codeUndefinedFunction, codeCannotCoerce:
		return &proactive.Error{Code: proactive.EINVALID, Err: err, Message: fmt.Sprintf(
			"%s: a column of table %s has a type the check cannot read (%s): use text for names, stages and statuses, numbers for scores and amounts, timestamps for dates",
			op, table, pgMessage(err))}
	}
	return d.fail(op, err)
}
