package proactive

import "time"

// The four source tables the checks read (CONTRACT §2).
const (
	TableHealthScores = "client_health_scores"
	TableDeals        = "deals"
	TableSyncErrors   = "sync_errors"
	TableLeads        = "leads"
	TableInsights     = "proactive_insights"
	// TableContacts is the optional contacts(id, email) table: a deal's
	// contact email is looked up there by deals.contact_id (CONTRACT
	// §11.4). A user's database may lack it.
	TableContacts = "contacts"
)

// ColumnContactEmail is the optional column of deals holding the deal's
// contact email, read where contacts has none (CONTRACT §11.4).
const ColumnContactEmail = "contact_email"

// SourceTables lists the four source tables in check order.
func SourceTables() []string {
	return []string{TableHealthScores, TableDeals, TableSyncErrors, TableLeads}
}

// SourceCheck names, for messages, the check that reads a source table
// ("health check", "deal stall check", …), or returns the table's name.
func SourceCheck(table string) string {
	switch table {
	case TableHealthScores:
		return "health check"
	case TableDeals:
		return "deal stall check"
	case TableSyncErrors:
		return "sync failure check"
	case TableLeads:
		return "lead response check"
	}
	return table
}

// SourceColumns returns the columns the product reads from a source table
// (CONTRACT §2), or nil for an unknown table.
func SourceColumns(table string) []string {
	switch table {
	case TableHealthScores:
		return []string{"email", "firstname", "lastname", "health_score", "health_zone", "calculated_at"}
	case TableDeals:
		return []string{"id", "name", "stage", "amount", "contact_id", "created_at", "updated_at", "last_activity_date"}
	case TableSyncErrors:
		return []string{"id", "error_type", "source", "object_type", "error_message", "created_at", "retry_count", "resolved_at"}
	case TableLeads:
		return []string{"id", "name", "email", "created_at", "status", "source", "last_contact_date"}
	}
	return nil
}

// ImportTables lists the tables import writes: the four source tables,
// then contacts (CONTRACT §11.1).
func ImportTables() []string { return append(SourceTables(), TableContacts) }

// ImportColumns returns the columns import accepts for a table of
// ImportTables: the contract's (SourceColumns), the optional ones the
// product reads where they exist (deals.contact_email; contacts' id and
// email) and the configured columns of that table (cols); nil for any
// other table.
func ImportColumns(table string, cols Columns) []string {
	var out []string
	switch table {
	case TableContacts:
		return []string{"id", "email"}
	case TableDeals:
		out = append(SourceColumns(table), ColumnContactEmail)
	default:
		out = SourceColumns(table)
	}
	if out == nil {
		return nil
	}
	for _, c := range cols.Configured() {
		if c.Table == table && !containsString(out, c.Column) {
			out = append(out, c.Column)
		}
	}
	return out
}

// Reasons a source row is skipped as making no sense (CONTRACT §2).
const (
	SkipNullEmail       = "null email"
	SkipScoreOutOfRange = "score outside 0-100"
	SkipNullTimestamp   = "null timestamp"
	SkipBadTimestamp    = "unreadable timestamp"
	SkipFutureTimestamp = "timestamp in the future"
	SkipNegativeAmount  = "negative amount"
	SkipNullKey         = "null source or error_type"
)

// As of a past moment (CONTRACT §12). A read's Now is the moment T the
// checks evaluate at; its Wall is the real time, later than T when a scan
// looks at the past (a backtest's step, scan --now with a past time). Such
// a read sees the source tables as they stood at T:
//   - a row created after T (created_at, calculated_at) but not after
//     Wall is not there: neither read nor counted as skipped;
//   - in the rows it sees, resolved_at, last_contact_date,
//     last_activity_date and updated_at later than T but not after Wall
//     read as NULL, and a lead whose last_contact_date is so read reads
//     as status new;
//   - a timestamp after Wall is in the future, as in a live scan: such a
//     row of a check's concern is skipped and counted
//     (SkipFutureTimestamp): a reading or error created, a deal active, an
//     error of the window resolved, a new lead contacted after Wall.
//
// A live scan (Wall zero or not after Now) is the same rule with an empty
// interval (T, Wall].

// AsOf returns the end of the interval (now, wall] whose timestamps a read
// treats as not yet written: wall when it is after now, else now (a live
// read: the interval is empty).
func AsOf(now, wall time.Time) time.Time {
	if wall.After(now) {
		return wall
	}
	return now
}

// Skipped counts skipped rows by reason. A nil Skipped counts nothing.
type Skipped map[string]int

// Add counts n rows skipped for reason, creating the map entry as needed.
// It must be called on a non-nil map.
func (s Skipped) Add(reason string, n int) {
	if n > 0 {
		s[reason] += n
	}
}

// Total is the number of skipped rows over all reasons.
func (s Skipped) Total() int {
	t := 0
	for _, n := range s {
		t += n
	}
	return t
}

// HealthReading is one row of client_health_scores as the rule engine sees it.
// Rows that make no sense are skipped before they become readings.
type HealthReading struct {
	Email        string
	Firstname    string
	Lastname     string
	Score        float64
	Zone         string // upper-cased; "" when null or unknown
	CalculatedAt time.Time
}

// HealthTrend is one client's readings reduced to what the health check
// needs: the newest reading, the one before it and the mean of the readings
// in the trend window before the newest.
type HealthTrend struct {
	Email      string
	Firstname  string
	Lastname   string
	Current    float64
	Zone       string // zone of the newest reading, upper-cased; "" when unknown
	CurrentAt  time.Time
	Previous   float64
	PreviousAt time.Time
	// WeekAvg is the mean of the readings (the newest excluded) whose
	// calculated_at lies in [CurrentAt − trend days, CurrentAt]; nil when none.
	WeekAvg  *float64
	Readings int
	// Owner is the newest reading's HealthQuery.OwnerColumn, trimmed; ""
	// when none is asked for, the column is missing, null or blank.
	Owner string
	// Value is the newest reading's HealthQuery.ValueColumn (ClientValue);
	// 0 when none is asked for, the column is missing or the value null.
	Value float64
}

// HealthQuery asks a store for health trends.
type HealthQuery struct {
	Now time.Time
	// Wall is the real time of the read (CONTRACT §12); zero, or not
	// after Now, in a live scan. See AsOf.
	Wall       time.Time
	WindowDays int // readings with calculated_at in [Now − WindowDays, Now]; 14
	TrendDays  int // the week_avg window; thresholds.health_trend_days
	// OwnerColumn and ValueColumn, when set, name the owner and value
	// columns of client_health_scores (columns.client_owner and
	// columns.client_value, Identifiers) whose values of the newest
	// reading fill HealthTrend.Owner and Value. A column the table lacks
	// reads as unset (CONTRACT §11.1); "" costs nothing.
	OwnerColumn, ValueColumn string
	// MinDrop, when > 0, lets the store return only trends whose drop
	// (max of Previous−Current and WeekAvg−Current) is at least MinDrop.
	// The rule engine judges again, so a store may ignore it. A store that
	// filters compares against MinDropBound, not MinDrop: drops computed in
	// floating point fall just short of a threshold they sit exactly on.
	MinDrop float64
}

// DropTolerance is how far below MinDrop a drop computed in floating point
// may fall and still count as reaching it (65.1 − 55.1 is
// 9.999999999999993, a drop of exactly 10).
const DropTolerance = 1e-6

// MinDropBound is the bound a store's drop filter compares with: MinDrop
// less DropTolerance, or 0 (no filter) when MinDrop is not positive.
func (q HealthQuery) MinDropBound() float64 {
	if q.MinDrop <= 0 {
		return 0
	}
	return q.MinDrop - DropTolerance
}

// Deal is one deal in a stall stage, reduced to what the deal check needs.
type Deal struct {
	ID     string
	Name   string
	Stage  string // as written in the data
	Amount *float64
	// LastActivity is coalesce(last_activity_date, updated_at, created_at).
	LastActivity time.Time
	// ContactEmail is the deal's contact email, trimmed and lower-cased
	// (CONTRACT §11.4): contacts.email of the contact whose id is
	// deals.contact_id when it is not blank, else deals.contact_email
	// where that column exists and is not blank; "" when none. Either
	// table or column may be missing.
	ContactEmail string
	// Owner is the deal's DealQuery.OwnerColumn, trimmed; "" when none is
	// asked for, the column is missing, null or blank.
	Owner string
}

// DealQuery asks a store for deals in stall stages.
type DealQuery struct {
	Now time.Time
	// Wall is the real time of the read (CONTRACT §12); zero, or not
	// after Now, in a live scan. See AsOf.
	Wall   time.Time
	Stages []string // compared case-insensitively
	// MinDays, when > 0, lets the store return only deals whose last
	// activity is at least MinDays whole days before Now.
	MinDays int
	// OwnerColumn, when set, names the owner column of deals
	// (columns.deal_owner, an Identifier) that fills Deal.Owner; a column
	// the table lacks reads as unset.
	OwnerColumn string
}

// SyncFailureGroup is the unresolved sync errors of one (source, error_type)
// created in the 24 h before the scan's now.
type SyncFailureGroup struct {
	Source        string // as written in the data
	ErrorType     string // kept whole: rate_limit stays rate_limit
	Count         int
	LatestAt      time.Time
	LatestMessage string
	ObjectTypes   []string // distinct object types, sorted
}

// SyncQuery asks a store for sync failure groups.
type SyncQuery struct {
	Now   time.Time
	Since time.Time // Now − 24 h
	// Wall is the real time of the read (CONTRACT §12); zero, or not
	// after Now, in a live scan. See AsOf.
	Wall time.Time
}

// Lead is one lead with status new and no last_contact_date.
type Lead struct {
	ID        string
	Name      string
	Email     string
	Source    string
	CreatedAt time.Time
}

// LeadQuery asks a store for leads waiting for a first response.
type LeadQuery struct {
	Now time.Time
	// Wall is the real time of the read (CONTRACT §12); zero, or not
	// after Now, in a live scan. See AsOf.
	Wall time.Time
	// MinHours, when > 0, lets the store return only leads created at
	// least MinHours before Now.
	MinHours float64
}
