package proactive

import "time"

// The four source tables the checks read (CONTRACT §2).
const (
	TableHealthScores = "client_health_scores"
	TableDeals        = "deals"
	TableSyncErrors   = "sync_errors"
	TableLeads        = "leads"
	TableInsights     = "proactive_insights"
)

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
}

// HealthQuery asks a store for health trends.
type HealthQuery struct {
	Now        time.Time
	WindowDays int // readings with calculated_at in [Now − WindowDays, Now]; 14
	TrendDays  int // the week_avg window; thresholds.health_trend_days
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
	// ContactEmail is the deal's contact email as the store found it
	// (CONTRACT §11.4: contacts.email by contact_id, else
	// deals.contact_email); "" when none.
	ContactEmail string
}

// DealQuery asks a store for deals in stall stages.
type DealQuery struct {
	Now    time.Time
	Stages []string // compared case-insensitively
	// MinDays, when > 0, lets the store return only deals whose last
	// activity is at least MinDays whole days before Now.
	MinDays int
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
	// MinHours, when > 0, lets the store return only leads created at
	// least MinHours before Now.
	MinHours float64
}
