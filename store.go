package proactive

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SourceReader reads the four source tables for the checks. Each method
// streams the reduced records to fn, one at a time, so that a scan's
// memory does not grow with them (fn must not keep a record's slices,
// which the store may reuse); an fn error stops the stream and is
// returned. It returns the rows it skipped as making no sense (CONTRACT
// §2) by reason, and an error when the check cannot run (a missing table
// or column: code ENOTFOUND; an unreachable database: EUNAVAILABLE). A
// read that fails may have called fn for some records already.
//
// Order: HealthTrends delivers the emails that differ only in case or
// surrounding spaces (one client, one case key) one after the other,
// ordered by the lower-cased, trimmed email and then as written;
// SyncFailures orders by source, then error_type; StalledDeals and
// WaitingLeads deliver in any order.
type SourceReader interface {
	HealthTrends(ctx context.Context, q HealthQuery, fn func(HealthTrend) error) (Skipped, error)
	StalledDeals(ctx context.Context, q DealQuery, fn func(Deal) error) (Skipped, error)
	SyncFailures(ctx context.Context, q SyncQuery, fn func(SyncFailureGroup) error) (Skipped, error)
	WaitingLeads(ctx context.Context, q LeadQuery, fn func(Lead) error) (Skipped, error)
}

// AlertStore stores and lists alerts in proactive_insights.
type AlertStore interface {
	// ListAlerts lists active alerts, most urgent first.
	ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	// GetAlert returns one alert by id: EINVALID for a malformed id,
	// ENOTFOUND for an unknown one.
	GetAlert(ctx context.Context, id string) (Alert, error)
	// DismissAlert sets is_dismissed: EINVALID for a malformed id,
	// ENOTFOUND for an unknown one.
	DismissAlert(ctx context.Context, id string) error
}

// NotificationStore is the notification outbox.
type NotificationStore interface {
	// ClaimNotifications leases up to Limit due notifications (pending with
	// next_attempt_at <= Now, or sending with an expired lease), counting an
	// attempt on each. Concurrent workers never receive the same one.
	ClaimNotifications(ctx context.Context, p ClaimParams) ([]Notification, error)
	// CompleteNotification marks a notification delivered at now. attempt
	// is the claim's attempt number (the Attempts the claim returned). A
	// completion is recorded whatever the notification's state and whichever
	// claim it comes from, a stale one included: the peer has it. A second
	// completion keeps the first delivered_at. EINVALID for a malformed id
	// or an attempt below 1, ENOTFOUND for an unknown id.
	CompleteNotification(ctx context.Context, id string, attempt int, now time.Time) error
	// FailNotification records the failed attempt of the claim with this
	// attempt number (the Attempts the claim returned): pending again at
	// retryAt, or failed for good when retryAt is nil. It is recorded only
	// while that claim still holds the notification (status sending with
	// that attempt count); otherwise — the lease ran out and another worker
	// re-claimed it, delivered it, gave up on it or put it back — nothing
	// changes and the error is ECONFLICT. EINVALID for a malformed id or an
	// attempt below 1, ENOTFOUND for an unknown id.
	FailNotification(ctx context.Context, id string, attempt int, errMsg string, retryAt *time.Time) error
	// RetryNotifications queues failed notifications again (once the cause,
	// say a revoked webhook URL, is fixed): pending, due at p.Now, attempts
	// back to 0, last_error kept until the next attempt. It returns how many
	// it queued. With p.ID it retries that one: EINVALID for a malformed id,
	// ENOTFOUND for an unknown one, ECONFLICT when it is not failed. Without
	// one it retries every failed notification (of p.Channel when set); none
	// is not an error. EINVALID when both ID and Channel are set.
	RetryNotifications(ctx context.Context, p RetryParams) (int, error)
	// ListNotifications lists notifications, newest first.
	ListNotifications(ctx context.Context, f NotificationFilter) ([]Notification, error)
}

// ScanRun is the record of one finished scan, kept for the dashboard and
// for the schedule.
type ScanRun struct {
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Success    bool      `json:"success"`
	// Trigger says who started it: cli, http, schedule, dashboard.
	Trigger     string `json:"trigger"`
	Anomalies   int    `json:"anomalies_detected"`
	AlertsSaved int    `json:"alerts_saved"`
	Errors      int    `json:"errors"`
	Message     string `json:"message,omitempty"`
}

// RunStore records scans and claims schedule ticks.
type RunStore interface {
	// RecordScan stores the record of a finished scan.
	RecordScan(ctx context.Context, r ScanRun) error
	// LastScan returns the most recent scan record, ENOTFOUND when none.
	LastScan(ctx context.Context) (ScanRun, error)
	// ListScans returns the records of the last limit scans (1 or more),
	// the one that started last first.
	ListScans(ctx context.Context, limit int) ([]ScanRun, error)
	// ClaimTick claims one tick of a named schedule: true for exactly one
	// caller per (name, tick) over all processes sharing the database.
	ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error)
}

// Row is one source-table row to insert: column name to value (nil, string,
// int64, float64, bool or time.Time). A nil or missing "id" lets the
// database generate one.
type Row map[string]any

// Importer writes source rows.
type Importer interface {
	// InsertRows inserts rows into a source table in one transaction: all
	// or nothing. cols lists the columns present in the rows. Rows the
	// table refuses for what they hold (a value its column's type or
	// constraints do not take) are an EINVALID error carrying
	// *RejectedRows, every such row in it; nothing is written.
	InsertRows(ctx context.Context, table string, cols []string, rows []Row) error
}

// Store is everything ptd-proactive keeps in or reads from a database. The
// sqlite and postgres packages implement it; package storetest is the suite
// both must pass.
type Store interface {
	SourceReader
	AlertStore
	NotificationStore
	RunStore
	Importer
	Desk
	// Migrate creates whatever tables, columns and indexes are missing and
	// reports what it did. It never drops or rewrites user data.
	Migrate(ctx context.Context) (MigrateReport, error)
	// Doctor inspects tables, columns and data recency without changing anything.
	Doctor(ctx context.Context, now time.Time) (DoctorReport, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Kind is "sqlite" or "postgres".
	Kind() string
	// Close releases the connections.
	Close() error
}

// MigrateReport says what Migrate did and what it could not do.
type MigrateReport struct {
	Created  []string `json:"created"`  // tables, columns and indexes created
	Warnings []string `json:"warnings"` // e.g. no right to create an index; duplicate dedup keys found
}

// DoctorReport is the result of Doctor.
type DoctorReport struct {
	Database string        `json:"database"` // kind and a redacted location
	Tables   []TableReport `json:"tables"`
	// User is the database user, where the store has users (PostgreSQL).
	User string `json:"user,omitempty"`
}

// TableReport is what Doctor found about one table.
type TableReport struct {
	Table          string   `json:"table"`
	Exists         bool     `json:"exists"`
	MissingColumns []string `json:"missing_columns"`
	Rows           int64    `json:"rows"`
	// WindowRows is the number of rows in the check's window (health: 14
	// days; sync: unresolved in the last 24 h; deals: in stall stages;
	// leads: new and never contacted).
	WindowRows int64 `json:"window_rows"`
	// Newest is the newest timestamp of the table's time column; nil when empty.
	Newest *time.Time `json:"newest"`
	// NewestPast is the newest timestamp at or before now, what the
	// table's recency is judged on; nil when there is none.
	NewestPast *time.Time `json:"newest_past"`
	// Future counts the rows whose time column is after now: a live scan
	// skips them (a writer's clock or time zone is off).
	Future int64 `json:"future_rows"`
	// RowSecurity says that row-level security filters the rows the
	// database user reads (and may write) in the table: the counts above
	// and the checks see only what its policies let through.
	RowSecurity bool `json:"row_security"`
}

// RowSecurity is what row-level security hides from the store's database
// user (PostgreSQL: tables with RLS enabled that the user neither owns nor
// may bypass). A store without row-level security does not implement it.
type RowSecurity struct {
	// User is the database user the store connects as.
	User string
	// Tables are those of the tables asked about that exist and whose
	// rows row-level security filters for User, in the order asked.
	Tables []string
}

// RowSecurityFix is the way out of row-level security that filters the
// store's database user, for doctor and the scan's warning.
const RowSecurityFix = "connect as the owner of each table or a role with BYPASSRLS (Supabase: the postgres role), or give this role a policy that covers every row"

// RowSecurityAlertsCost is what row-level security on proactive_insights
// costs a scan.
const RowSecurityAlertsCost = "a scan may not find the alerts it stored and store them again, or be refused"

// Warning is what a scan reports when row-level security filters any
// table (rs.Tables not empty): the tables, what it costs, and the way out.
func (rs RowSecurity) Warning() string {
	var sources []string
	insights := false
	for _, t := range rs.Tables {
		if t == TableInsights {
			insights = true
		} else {
			sources = append(sources, t)
		}
	}
	var costs []string
	if len(sources) > 0 {
		costs = append(costs, "the checks see only the rows its policies let through in "+strings.Join(sources, ", ")+" and miss the anomalies in the others")
	}
	if insights {
		costs = append(costs, "in "+TableInsights+" "+RowSecurityAlertsCost)
	}
	return fmt.Sprintf("row-level security filters what database user %q reads and writes in %s: %s: %s",
		rs.User, strings.Join(rs.Tables, ", "), strings.Join(costs, "; "), RowSecurityFix)
}

// RowSecurityInspector tells which tables row-level security filters for
// the store's database user: a Supabase table with RLS on, read by a role
// without a policy that lets it read every row, looks empty or partial to
// the checks, and nothing else would say so.
type RowSecurityInspector interface {
	// RowSecurity inspects the tables (names as the checks use them).
	RowSecurity(ctx context.Context, tables []string) (RowSecurity, error)
}
