// Package sqlite is the embedded store of ptd-proactive: proactive.Store on a
// single SQLite file (modernc.org/sqlite, no cgo).
//
// The file runs in WAL mode, so readers never wait for the writer. Writes
// go through one connection whose transactions start with BEGIN IMMEDIATE:
// inside a process they queue on that connection, across processes SQLite's
// write lock (with a busy timeout) serialises them. That is what makes the
// outbox claim and the schedule tick safe with any number of scans and
// workers at once, and what makes the desk's Update transactions (cases,
// silences, group alerts, the alert outbox) take turns.
//
// Timestamps the store writes are UTC text in one fixed-width form
// (2006-01-02T15:04:05.000000Z), so text order is time order in the
// product's tables. The user's source tables may hold any text julianday()
// reads; the checks compare them through julianday() and count what it
// cannot read as an unreadable timestamp.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// busyTimeoutMS is how long a connection waits for another process's write
// lock before giving up with SQLITE_BUSY. A scan holds the lock for its
// whole desk transaction, so several processes scanning one file at once
// (serve and a cron'd scan) queue behind each other: 30 s covers a queue
// of slow scans on a loaded machine.
const busyTimeoutMS = 30000

// maxReaders caps the read pool; WAL readers run in parallel.
const maxReaders = 4

// Connection settings every connection gets (docs/DESIGN.md, "SQLite
// settings").
const (
	// mmapSizeBytes lets a connection read the first 1 GiB of the file
	// through a shared memory map instead of a read() system call per
	// page: the checks visit every page of an index, and the map is
	// shared by every connection and with the OS page cache.
	mmapSizeBytes = 1 << 30
	// cacheSizeKiB bounds each connection's own page cache (pages written,
	// and pages beyond the map), allocated as needed; 16 MiB.
	cacheSizeKiB = 16 << 10
)

// timeFormat is the canonical form of every timestamp the store writes:
// UTC, fixed width, so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// DB is the SQLite store. It implements proactive.Store. Create it with
// Open; it is safe for concurrent use.
type DB struct {
	path string
	// mustExist: the file is opened without being created (Options.MustExist).
	mustExist bool
	write     *sql.DB // one connection, BEGIN IMMEDIATE transactions
	read      *sql.DB // WAL readers; the same pool as write for ":memory:"
	// columns are the configured owner and value columns Migrate adds
	// (Options.Columns).
	columns proactive.Columns
	// cat caches the optional columns and tables the readers look up.
	cat catalog
}

var _ proactive.Store = (*DB)(nil)

// Options tune Open. The zero value creates a missing database file.
type Options struct {
	// MustExist refuses to create a missing database file: Open fails with
	// ENOTFOUND instead. Commands that only read (or change one record)
	// set it, so that a mistyped path is an error, not an empty database
	// that reports "no alerts".
	MustExist bool
	// Columns are the configured owner and value columns (CONTRACT
	// §11.1): Migrate adds those the source tables lack (owners as text,
	// values as numeric), so that the embedded store can hold them.
	// Columns that are no identifiers are refused by Open.
	Columns proactive.Columns
}

// Open opens (creating it when missing) the SQLite database file at path
// and checks that it is usable. The caller strips any "sqlite:" prefix; a
// "file:" URI is accepted as well. Open does not create tables: call
// Migrate.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options: with MustExist, a database file that does
// not exist is ENOTFOUND, and is not created.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	if strings.TrimSpace(path) == "" {
		return nil, proactive.Errorf(proactive.EINVALID, "open sqlite database: the path is empty: give a file path such as ptd-proactive.db")
	}
	for _, c := range o.Columns.Configured() {
		if !proactive.Identifier(c.Column) {
			return nil, proactive.Errorf(proactive.EINVALID, "open sqlite database: %s (%q) is no column name: use letters, digits and underscores", c.Key, c.Column)
		}
	}
	mustExist := o.MustExist && path != ":memory:"
	if mustExist {
		if err := checkExists(path); err != nil {
			return nil, err
		}
	}
	d := &DB{path: path, mustExist: mustExist, columns: o.Columns}
	var err error
	// Driver "sqlite" is modernc.org/sqlite, registered by its import in errors.go.
	if d.write, err = sql.Open("sqlite", d.dsn("immediate")); err != nil {
		return nil, d.openError(err)
	}
	d.write.SetMaxOpenConns(1)
	// The first connection creates the file and switches it to WAL; do it
	// now so that a bad path is reported by Open, not by the first query.
	if err := d.write.PingContext(ctx); err != nil {
		d.write.Close()
		return nil, d.openError(err)
	}
	if path == ":memory:" {
		// Every connection to ":memory:" is its own database: share one.
		d.read = d.write
		return d, nil
	}
	if d.read, err = sql.Open("sqlite", d.dsn("deferred")); err != nil {
		d.write.Close()
		return nil, d.openError(err)
	}
	d.read.SetMaxOpenConns(maxReaders)
	if err := d.read.PingContext(ctx); err != nil {
		d.Close()
		return nil, d.openError(err)
	}
	return d, nil
}

// checkExists is ENOTFOUND, saying how to fix it, when the database file
// at path (a plain path or the path of a file: URI) does not exist.
func checkExists(path string) error {
	name := path
	if rest, ok := strings.CutPrefix(path, "file:"); ok {
		name, _, _ = strings.Cut(rest, "?")
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
	}
	if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
		return notExist(path)
	}
	return nil
}

// notExist is the error for a database file that must exist and does not.
func notExist(path string) error {
	return proactive.Errorf(proactive.ENOTFOUND, "the SQLite database %s does not exist: check the path given to --db (or PTD_DATABASE_URL), or create it with `ptd-proactive migrate` (or `ptd-proactive demo` for sample data)", path)
}

// dsn builds the driver's connection string for the database: a file: URI
// (so that any character in the path is safe) with the connection settings
// every connection needs. txlock is how its transactions begin. With
// mustExist, SQLite opens the file read-write without creating it (so a
// file removed after checkExists is not created either).
func (d *DB) dsn(txlock string) string {
	path := d.path
	q := url.Values{}
	if d.mustExist && !(strings.HasPrefix(path, "file:") && strings.Contains(path, "mode=")) {
		q.Set("mode", "rw")
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	// In WAL mode NORMAL syncs at checkpoints only: a commit survives a
	// crash of the process, and is durable after a power cut once
	// checkpointed; the database never corrupts.
	q.Add("_pragma", "synchronous(NORMAL)")
	// Sorters, temporary b-trees (GROUP BY, materialised CTEs) and
	// statement journals (a multi-row INSERT of the desk writes one) in
	// memory, not in temporary files.
	q.Add("_pragma", "temp_store(MEMORY)")
	if txlock == "immediate" {
		// The writer's page cache: a desk transaction that writes tens of
		// thousands of cases works on far more than the readers' cache.
		q.Add("_pragma", "cache_size(-65536)")
	} else {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheSizeKiB))
	}
	if path != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", fmt.Sprintf("mmap_size(%d)", mmapSizeBytes))
	}
	q.Set("_txlock", txlock)
	if strings.HasPrefix(path, "file:") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return path + sep + q.Encode()
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// openError explains why the database could not be opened.
func (d *DB) openError(err error) error {
	path := d.path
	switch sqliteCode(err) {
	case codeCantOpen:
		if d.mustExist && checkExists(path) != nil {
			return notExist(path)
		}
		return &proactive.Error{Code: proactive.EUNAVAILABLE, Err: err,
			Message: fmt.Sprintf("open sqlite database %s: cannot open or create the file: check that its directory exists and is writable", path)}
	case codeNotADB:
		return &proactive.Error{Code: proactive.EINVALID, Err: err,
			Message: fmt.Sprintf("open sqlite database %s: the file is not a SQLite database: point --db at a database file or a new path", path)}
	}
	return translate(fmt.Sprintf("open sqlite database %s", path), err)
}

// Kind returns "sqlite".
func (d *DB) Kind() string { return "sqlite" }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return translate("ping sqlite database", err)
	}
	return nil
}

// Close closes both connection pools.
func (d *DB) Close() error {
	var errs []error
	if d.read != nil && d.read != d.write {
		errs = append(errs, d.read.Close())
	}
	if d.write != nil {
		errs = append(errs, d.write.Close())
	}
	return errors.Join(errs...)
}

// ExecForTest runs one or more SQL statements on the write connection. It is
// for tests only (package storetest drops tables with it); the product
// never calls it.
func (d *DB) ExecForTest(ctx context.Context, query string) error {
	defer d.cat.forget() // it may add or drop columns and tables
	if _, err := d.write.ExecContext(ctx, query); err != nil {
		return translate("exec for test", err)
	}
	return nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE: it holds the
// database's write lock from the start) and commits when fn returns nil.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// formatTime renders t in the canonical form the store writes.
func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// parseTime parses a timestamp read from the database; text without a zone
// is UTC. The canonical form and strftime's output are RFC 3339; the other
// layouts are what julianday() reads besides.
func parseTime(s string) (time.Time, error) {
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02 15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		"2006-01-02",
	}
	s = strings.TrimSpace(s)
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable timestamp %q", s)
}

// nullTime scans a nullable timestamp column: text in any of readLayouts,
// or a time.Time when the driver converted a DATETIME column itself.
type nullTime struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (n *nullTime) Scan(v any) error {
	n.Time, n.Valid = time.Time{}, false
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		n.Time, n.Valid = x.UTC(), true
		return nil
	case string:
		t, err := parseTime(x)
		if err != nil {
			return err
		}
		n.Time, n.Valid = t, true
		return nil
	case []byte:
		return n.Scan(string(x))
	}
	return fmt.Errorf("unreadable timestamp of type %T", v)
}

// ptr returns a pointer to the time, nil when NULL.
func (n nullTime) ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// jdSQL is the SQL expression that reads a timestamp column as a Julian
// day number, NULL when it cannot: any text julianday() reads (RFC 3339,
// "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.fff]]" with "Z" or "±HH:MM"),
// PostgreSQL's text output with a short offset ("2025-12-10 06:00:00+00",
// "…+0530", as a Supabase export or a copy through psql writes it), and
// Unix epoch numbers in seconds or milliseconds (stored as numbers, or as
// digits in a TEXT column).
func jdSQL(col string) string {
	// The common case costs one julianday(); the fallbacks run only for
	// what it cannot read.
	return `(CASE WHEN typeof(` + col + `) IN ('integer', 'real') THEN
	        CASE WHEN ` + col + ` >= 1e11 THEN julianday(` + col + ` / 1000.0, 'unixepoch')
	             WHEN ` + col + ` >= 1e8 THEN julianday(` + col + `, 'unixepoch') END
	    ELSE coalesce(julianday(` + col + `), CASE
	        WHEN ` + col + ` GLOB '*[0-9]:[0-9][0-9]*[+-][0-9][0-9]' THEN julianday(` + col + ` || ':00')
	        WHEN ` + col + ` GLOB '*[0-9]:[0-9][0-9]*[+-][0-9][0-9][0-9][0-9]'
	            THEN julianday(substr(` + col + `, 1, length(` + col + `) - 2) || ':' || substr(` + col + `, -2))
	        WHEN ` + col + ` <> '' AND ` + col + ` NOT GLOB '*[^0-9.]*' THEN
	            CASE WHEN CAST(` + col + ` AS REAL) >= 1e11 THEN julianday(CAST(` + col + ` AS REAL) / 1000.0, 'unixepoch')
	                 WHEN CAST(` + col + ` AS REAL) >= 1e8 THEN julianday(CAST(` + col + ` AS REAL), 'unixepoch') END
	        END) END)`
}

// isoUTC is the SQL expression that renders any timestamp julianday() reads
// as RFC 3339 UTC text (millisecond precision), NULL when unreadable.
func isoUTC(expr string) string {
	return "strftime('%Y-%m-%dT%H:%M:%fZ', " + expr + ")"
}

// orNow returns t, or the current time when t is zero (a caller that
// leaves a filter's Now unset means "now").
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
