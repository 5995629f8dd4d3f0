package proactive

import (
	"context"
	"time"
)

// The anomaly types of Part two's early warning (CONTRACT §11), after the
// four of Part one in report order.
const (
	HealthForecast AnomalyType = "health_forecast"
	HealthAnomaly  AnomalyType = "health_anomaly"
	RenewalRisk    AnomalyType = "renewal_risk"
	CoachWorkload  AnomalyType = "coach_workload"
)

// SeriesPoint is one valid health reading of a client.
type SeriesPoint struct {
	Score float64
	At    time.Time
}

// ClientSeries is one client's valid health readings in the window: the
// readings of one email as written (the checks normalise it for case
// keys), oldest first, equal timestamps the higher score first (so that,
// as for the health drop check, the lower score of a tie is the newer).
// Names and zone are those of the newest reading.
type ClientSeries struct {
	Email     string
	Firstname string
	Lastname  string
	// Zone is the newest reading's zone, upper-cased; "" when null or
	// unknown.
	Zone     string
	Readings []SeriesPoint
	// Owner and Value are the newest reading's SeriesQuery.OwnerColumn
	// (trimmed) and ValueColumn; "" and 0 when not asked for, missing or
	// null.
	Owner string
	Value float64
}

// Newest is the newest reading; the zero SeriesPoint when there is none.
func (s *ClientSeries) Newest() SeriesPoint {
	if len(s.Readings) == 0 {
		return SeriesPoint{}
	}
	return s.Readings[len(s.Readings)-1]
}

// SeriesQuery asks a store for per-client health series.
//
// A check reads in two passes: a first one over every client, without
// names and with the prefilter its rules allow, to find the few clients
// it flags; then a second one restricted to those emails, with names and
// zone, to judge them again and name them. The prefilter only lets a
// store leave out series that cannot be anomalies: a store may ignore
// it, and the check judges every series it gets.
type SeriesQuery struct {
	Now time.Time
	// Wall is the real time of the read: a reading calculated after Now
	// but not after Wall is not there (AsOf).
	Wall time.Time
	// WindowDays selects readings with calculated_at in [Now − WindowDays,
	// Now]; 0 means HealthWindowDays.
	WindowDays int
	// MinReadings leaves out clients with fewer valid readings in the
	// window (they are still read to count skipped rows).
	MinReadings int
	// Emails, when not nil, restricts the series to these emails as
	// written; skipped rows are then not counted (nil).
	Emails []string
	// NoNames lets the store leave Firstname, Lastname and Zone empty.
	NoNames bool
	// OwnerColumn and ValueColumn, as in HealthQuery, fill the series'
	// Owner and Value from the newest reading; a store may leave them
	// unread with NoNames.
	OwnerColumn, ValueColumn string
	// MinNewestDrop, when > 0, lets the store leave out series whose
	// newest change (newest score less the one before) is not a drop of
	// at least MinNewestDrop. A store that filters compares with
	// MinNewestDropBound (floating point, as for HealthQuery.MinDrop).
	MinNewestDrop float64
}

// MinNewestDropBound is the bound a store's newest-drop filter compares
// with: MinNewestDrop less DropTolerance, or 0 (no filter).
func (q SeriesQuery) MinNewestDropBound() float64 {
	if q.MinNewestDrop <= 0 {
		return 0
	}
	return q.MinNewestDrop - DropTolerance
}

// HealthSeriesReader streams per-client health series (health_forecast,
// health_anomaly). A store implements it besides SourceReader; checks
// assert it from CheckEnv.Source.
type HealthSeriesReader interface {
	// HealthSeries calls fn once per client with at least q.MinReadings
	// valid readings in the window, one client at a time, so that memory
	// does not grow with the number of clients: fn must not keep the
	// series' Readings after it returns (the store may reuse them). Rows
	// that make no sense are skipped and counted by reason, as
	// HealthTrends counts them. An fn error stops the stream and is
	// returned; a missing table is ENOTFOUND, an unreachable database
	// EUNAVAILABLE.
	HealthSeries(ctx context.Context, q SeriesQuery, fn func(*ClientSeries) error) (Skipped, error)
}

// ClientOwner is one client's owner: the trimmed owner column of the
// newest valid reading of one email as written (CONTRACT §11.5, §11.6).
type ClientOwner struct {
	Email string
	// Owner is trimmed; "" when the column is null or blank.
	Owner string
	// At is the newest valid reading's calculated_at, so that a caller
	// merging emails that differ in case can keep the newest.
	At time.Time
	// Value is the newest valid reading's OwnerQuery.ValueColumn; 0 when
	// none is asked for, the column is missing or the value null.
	Value float64
}

// OwnerQuery asks a store for the owner of every client.
type OwnerQuery struct {
	Now time.Time
	// Wall as in SeriesQuery (AsOf).
	Wall time.Time
	// WindowDays as in SeriesQuery; 0 means HealthWindowDays.
	WindowDays int
	// Column is the owner column of client_health_scores
	// (columns.client_owner); it must be an Identifier.
	Column string
	// ValueColumn, when set, is the value column (columns.client_value,
	// an Identifier) filling ClientOwner.Value; a column the table lacks
	// reads as unset (unlike Column, which must exist).
	ValueColumn string
}

// ClientOwnerReader streams the owner of every client with a valid
// reading in the health window (coach_workload).
type ClientOwnerReader interface {
	// ClientOwners calls fn once per email (as written) with a valid
	// reading in the window, one at a time; rows that make no sense are
	// skipped and counted as HealthTrends counts them. A missing table or
	// column is ENOTFOUND naming it; a Column that is no identifier is
	// EINVALID. An fn error stops the stream and is returned.
	ClientOwners(ctx context.Context, q OwnerQuery, fn func(ClientOwner) error) (Skipped, error)
}
