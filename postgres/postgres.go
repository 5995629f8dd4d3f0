// Package postgres is the PostgreSQL store of ptd-proactive: proactive.Store
// on pgx v5 with a pgxpool connection pool.
//
// It is meant to be pointed at a database that already holds the user's
// source tables (a Supabase project, say): ids may be uuid, bigint or text,
// amounts numeric or double, stages and statuses in any case, and extra
// columns are ignored. Migrate creates only what is missing and never drops,
// rewrites or long-locks user data.
//
// Each check is one SQL statement that does the reduction in the database
// (an ordered aggregation per client, GROUP BY, partial indexes) and streams
// its few result rows, so the process's memory does not grow with the
// number of readings. The desk (cases, group alerts, the outbox) is
// written in transactions under a transaction-scoped advisory lock, so any
// number of scans and actions in any number of processes take turns. The outbox is claimed with FOR UPDATE SKIP
// LOCKED. The desk's Update transactions (cases, silences, group alerts)
// take turns under one transaction-scoped advisory lock and write in bulk
// (COPY, unnest), never a round trip per case.
//
// Every session runs with TimeZone UTC (a timestamp column without time
// zone is read as UTC), application_name ptd-proactive and the configured
// statement_timeout. A database that cannot be reached gives an error with
// code proactive.EUNAVAILABLE; the password of the URL never appears in an
// error. It needs PostgreSQL 13 or later (gen_random_uuid).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/redact"
)

// Defaults of Options.
const (
	DefaultMaxConns         = 8
	DefaultStatementTimeout = 60 * time.Second
	DefaultConnectTimeout   = 5 * time.Second
)

// ApplicationName is the application_name of every session the store opens.
const ApplicationName = "ptd-proactive"

// Options tunes the connection pool. The zero value uses the defaults.
type Options struct {
	// MaxConns is the size of the connection pool; 0 means DefaultMaxConns.
	// A scan reads the four checks at once, so 4 or more is best.
	MaxConns int32
	// StatementTimeout cancels any statement that runs longer (the
	// statement_timeout of every session); 0 means DefaultStatementTimeout.
	StatementTimeout time.Duration
	// ConnectTimeout bounds opening one connection, so that a database that
	// is down is reported quickly; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
}

// validate checks the options and fills in the defaults.
func (o Options) validate() (Options, error) {
	if o.MaxConns < 0 {
		return o, proactive.Errorf(proactive.EINVALID, "postgres options: MaxConns is %d: use a positive pool size (0 for the default %d)", o.MaxConns, DefaultMaxConns)
	}
	if o.StatementTimeout < 0 {
		return o, proactive.Errorf(proactive.EINVALID, "postgres options: StatementTimeout is %s: use a positive duration (0 for the default %s)", o.StatementTimeout, DefaultStatementTimeout)
	}
	if o.ConnectTimeout < 0 {
		return o, proactive.Errorf(proactive.EINVALID, "postgres options: ConnectTimeout is %s: use a positive duration (0 for the default %s)", o.ConnectTimeout, DefaultConnectTimeout)
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.StatementTimeout == 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	return o, nil
}

// DB is the PostgreSQL store. It implements proactive.Store. Create it with
// Open; it is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	// where is the redacted location of the database (host:port/dbname),
	// the only form in which the URL appears in messages.
	where string
	opts  Options
	// major is the server's major version (15, 16, …).
	major int
	// lz4 says the pool's sessions write large values with lz4: the
	// answer of chooseLZ4SQL on its first session (Open).
	lz4 atomic.Bool
	// halveRows is the size of client_health_scores from which the health
	// trends are read in two halves at once (halveRows, the constant;
	// tests lower it).
	halveRows float64
	// halved counts the health trend reads made in two halves.
	halved atomic.Int64

	mu sync.Mutex
	// ids caches what the alert statements need to know about the id
	// column of proactive_insights; Migrate clears it.
	ids *idColumn
	// cat caches the optional columns and tables the readers look up.
	cat catalog
}

var _ proactive.Store = (*DB)(nil)

// IsURL reports whether s selects the PostgreSQL store: a postgres:// or
// postgresql:// URL.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// raiseWorkMemSQL raises a new session's work_mem to 16 MB when it is
// lower (Open): the deals and leads a check reads come sorted by their case
// keys (stalledDealsSQL), at 100,000 leads and deals 5–8 MB each, which
// PostgreSQL's default 4 MB sorts on disk. A larger setting (the
// server's, the role's, the URL's) is kept.
const raiseWorkMemSQL = `SELECT set_config('work_mem', '16MB', false)
	WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('16MB')`

// useLZ4SQL is the select list item that sets lz4 on the sessions of a
// pool whose first session chose it (chooseLZ4SQL).
const useLZ4SQL = `, set_config('default_toast_compression', 'lz4', false)`

// chooseLZ4SQL sets default_toast_compression to lz4, and returns true,
// where the server was built with lz4 and nobody set the method (its
// source is still the built-in default): a large group's alert holds
// every case id in source_data (1.2 MB at 30,000 cases), which pglz spends
// ~30 ms failing to compress on every write; lz4 takes under 1 ms (and
// saves 10 %). It applies to the values the pool's sessions write only;
// every server from 14 on that has lz4 reads them. A server, role or URL
// setting is kept. Open asks it once, on the pool's first session (reading
// pg_settings costs a new session 2–4 ms), and the sessions after take
// the answer (DB.lz4): they share the server, the role and the URL.
const chooseLZ4SQL = `SELECT coalesce((
	SELECT set_config('default_toast_compression', 'lz4', false)
	FROM pg_settings
	WHERE name = 'default_toast_compression' AND source = 'default' AND 'lz4' = ANY(enumvals)), '') = 'lz4'`

// sessionSettingsSQL sets a new session's statement_timeout, and turns JIT
// compilation off (the checks are a few heavy statements: compiling costs
// more than it saves on them) and custom plans on (they see the real time
// bounds, so that a partitioned table's plan reads only the window's
// partitions). They are set once the session is open, not sent as startup
// parameters: a connection pooler in front of the server may take only
// the few it tracks (PgBouncer: application_name, TimeZone, DateStyle,
// client_encoding, standard_conforming_strings) and refuse the connection
// for any other ("unsupported startup parameter: statement_timeout").
// Open's sessions append useLZ4SQL and raiseWorkMemSQL to the statement.
func sessionSettingsSQL(timeout time.Duration) string {
	return "SELECT set_config('statement_timeout', '" + strconv.FormatInt(timeout.Milliseconds(), 10) + "', false)" +
		", set_config('jit', 'off', false), set_config('plan_cache_mode', 'force_custom_plan', false)"
}

// Open creates the connection pool for the database at url (postgres:// or
// postgresql://) and checks that the database answers within
// opts.ConnectTimeout. It does not create tables: call Migrate. Errors never
// contain the password: an unreachable database is EUNAVAILABLE, a bad URL
// or bad options EINVALID.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	opts, err := opts.validate()
	if err != nil {
		return nil, err
	}
	if !IsURL(url) {
		return nil, proactive.Errorf(proactive.EINVALID, "open postgres database: %q is not a postgres:// or postgresql:// URL", Redact(url))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, &proactive.Error{Code: proactive.EINVALID,
			Message: "open postgres database: cannot parse the URL " + Redact(url) + ": check " + urlSource + " (postgres://user:password@host:5432/dbname)",
			Err:     scrubbed(err, redact.Secrets(url)...)}
	}
	if err := refuseTransactionPooler(cfg.ConnConfig.Host, cfg.ConnConfig.Port); err != nil {
		return nil, err
	}
	cfg.MaxConns = opts.MaxConns
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = ApplicationName
	}
	rp["timezone"] = "UTC"
	d := &DB{where: location(cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database), opts: opts, halveRows: halveRows}
	// Each session gets its settings (sessionSettingsSQL), room to sort
	// (raiseWorkMemSQL) and, when the pool's first session chose it, lz4 for
	// large values (chooseLZ4SQL), in one statement.
	settings := sessionSettingsSQL(opts.StatementTimeout)
	workMem := ", (" + raiseWorkMemSQL + ")"
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		q := settings + workMem
		if d.lz4.Load() {
			q = settings + useLZ4SQL + workMem
		}
		if _, err := c.Exec(ctx, q); err != nil {
			return fmt.Errorf("set up the session: %w", err)
		}
		return nil
	}
	// A connection is checked before each use, so that the first call after
	// the database came back (or a backend was terminated) never gets a
	// dead connection from the pool.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }

	d.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, d.fail("open postgres database", scrubbed(err, append(redact.Secrets(url), cfg.ConnConfig.Password)...))
	}
	pctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout+time.Second)
	defer cancel()
	conn, err := d.pool.Acquire(pctx)
	if err != nil {
		d.pool.Close()
		return nil, d.fail("open postgres database", scrubbed(err, append(redact.Secrets(url), cfg.ConnConfig.Password)...))
	}
	d.major = serverMajor(conn.Conn().PgConn().ParameterStatus("server_version"))
	var lz4 bool
	err = conn.QueryRow(pctx, chooseLZ4SQL).Scan(&lz4)
	conn.Release()
	if err != nil {
		d.pool.Close()
		return nil, d.fail("open postgres database: choose the compression of large values", err)
	}
	d.lz4.Store(lz4)
	return d, nil
}

// serverMajor parses the major version of a server_version such as
// "15.20 (Debian 15.20-0+deb12u1)" or "17.4"; 0 when unreadable.
func serverMajor(v string) int {
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(v)
	}
	n, _ := strconv.Atoi(v[:end])
	return n
}

// location renders host, port and database name for messages.
func location(host string, port uint16, dbname string) string {
	if strings.HasPrefix(host, "/") {
		return host + "/" + dbname // a Unix socket directory
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port))) + "/" + dbname
}

// Where returns the location of the database, host:port/dbname, without
// user or password.
func (d *DB) Where() string { return d.where }

// Kind returns "postgres".
func (d *DB) Kind() string { return "postgres" }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return d.fail("ping postgres database", err)
	}
	return nil
}

// Close closes every connection of the pool.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// ExecForTest runs one or more SQL statements (the simple protocol, one
// implicit transaction). It is for tests only (package storetest drops
// tables and plants odd rows with it); the product never calls it.
func (d *DB) ExecForTest(ctx context.Context, sql string) error {
	defer d.cat.forget() // it may add or drop columns and tables
	if _, err := d.pool.Exec(ctx, sql); err != nil {
		return d.fail("exec for test", err)
	}
	return nil
}

// Redact returns a connection string with every password replaced by
// "xxxxx", for messages: the user information's, a password= query
// parameter's and a key=value string's (see package internal/redact; a URL
// that does not parse loses everything from the user's ":" to the last
// "@").
func Redact(url string) string { return redact.URL(url) }

// scrubbedError is an error whose text has had a secret removed; it keeps
// the original in its chain for errors.As (never for printing).
type scrubbedError struct {
	msg string
	err error
}

// Error returns the scrubbed text.
func (e *scrubbedError) Error() string { return e.msg }

// Unwrap returns the original error, for errors.As only.
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubbed returns err with every occurrence of each secret in its text
// replaced by "xxxxx".
func scrubbed(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := redact.Text(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// isNoRows reports whether err says a query returned no row.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// contains reports whether list holds s.
func contains(list []string, s string) bool { return slices.Contains(list, s) }
