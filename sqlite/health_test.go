package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/demo"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

func TestJulianTime(t *testing.T) {
	t.Parallel()
	db, err := Open(context.Background(), ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	// SQLite's own rendering of the same Julian day is the reference.
	for _, s := range []string{
		"2025-12-10T12:00:00Z", "2025-12-10T11:59:59.999Z", "2025-12-10T11:59:59.9996Z",
		"1970-01-01T00:00:00Z", "2038-01-19T03:14:07.123Z", "2025-03-30 01:30:00+02:00",
	} {
		var jd float64
		var iso string
		require.NoError(t, db.read.QueryRow("SELECT julianday(?1), "+isoUTC("julianday(?1)"), s).Scan(&jd, &iso))
		want, err := time.Parse(time.RFC3339Nano, iso)
		require.NoError(t, err)
		require.Equal(t, want.UTC(), julianTime(jd), s)
	}
}

func TestReduceTrend(t *testing.T) {
	t.Parallel()
	day := 1.0
	str := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	at := func(jd float64) time.Time { return julianTime(jd) }
	const now = 2461000.5
	for _, tc := range []struct {
		name string
		in   []healthReading
		want proactive.HealthTrend
	}{
		{
			name: "newest, the one before, the mean of the week before the newest",
			in: []healthReading{
				{score: 80, jd: now - 3*day}, {score: 60, jd: now, zone: str("red "), first: str("Jane")},
				{score: 78, jd: now - 2*day}, {score: 99, jd: now - 8*day},
			},
			want: proactive.HealthTrend{Firstname: "Jane", Zone: "RED", Current: 60, CurrentAt: at(now),
				Previous: 78, PreviousAt: at(now - 2*day), WeekAvg: ptr(79.0), Readings: 4},
		},
		{
			name: "a tie in time puts the lower score first, then zone and names",
			in: []healthReading{
				{score: 70, jd: now}, {score: 50, jd: now, zone: str("YELLOW")}, {score: 50, jd: now, zone: str("GREEN")},
			},
			want: proactive.HealthTrend{Zone: "GREEN", Current: 50, CurrentAt: at(now),
				Previous: 50, PreviousAt: at(now), WeekAvg: ptr(60.0), Readings: 3},
		},
		{
			name: "no reading in the week before the newest: no week average",
			in:   []healthReading{{score: 50, jd: now}, {score: 90, jd: now - 7.5*day}},
			want: proactive.HealthTrend{Current: 50, CurrentAt: at(now), Previous: 90, PreviousAt: at(now - 7.5*day), Readings: 2},
		},
		{
			name: "a reading exactly trend days before the newest counts",
			in:   []healthReading{{score: 50, jd: now}, {score: 90, jd: now - 7*day}},
			want: proactive.HealthTrend{Current: 50, CurrentAt: at(now), Previous: 90, PreviousAt: at(now - 7*day),
				WeekAvg: ptr(90.0), Readings: 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.want.Email = "a@example.com"
			require.Equal(t, tc.want, reduceTrend("a@example.com", tc.in, 7))
		})
	}
}

func ptr(f float64) *float64 { return &f }

// mustDemoDB opens a migrated file database holding the demo data of 400
// clients at now.
func mustDemoDB(t *testing.T, now time.Time) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.NoError(t, demo.Load(ctx, db, demo.Generate(demo.Options{Now: now, Clients: 400, Seed: 3})))
	return db
}

// queryPlan returns the details of EXPLAIN QUERY PLAN of query, one line
// per step.
func queryPlan(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	return plan
}

// TestHealthPlan guards the plan the SQLite health check's speed depends
// on: every part reads an index range (the emails one seek each, then each
// email's window through the covering index whose second column is the
// Julian day; the skipped rows through the Julian day's indexes), never
// the table or an index whole, and no Julian day is parsed per reading.
func TestHealthPlan(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	db := mustDemoDB(t, now)
	args := append(timeArgs(now, time.Time{}), sql.Named("from", formatTime(now.Add(-14*24*time.Hour))), sql.Named("min_drop", 10.0))
	plan := queryPlan(t, db.read, healthQuery(), args...)
	all := strings.Join(plan, "\n")
	for _, line := range plan {
		if strings.Contains(line, "client_health_scores") {
			require.Contains(t, line, "SEARCH client_health_scores USING", all)
			require.Contains(t, line, "INDEX ptd_health_", all)
		}
	}
	require.NotContains(t, all, "SCAN client_health_scores", all)
	require.Contains(t, all, "INDEX ptd_health_email_jd_idx (email=? AND <expr>>? AND <expr><?)", all)
	require.Contains(t, all, "INDEX ptd_health_invalid_idx (<expr>>? AND <expr><?)", all)

	// The bytecode reads the Julian day from the index: julianday() runs
	// only on the bounds (once each), never on a reading's column.
	rows, err := db.read.Query("EXPLAIN "+healthQuery(), args...)
	require.NoError(t, err)
	cols, err := rows.Columns()
	require.NoError(t, err)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	calls := 0
	for rows.Next() {
		require.NoError(t, rows.Scan(ptrs...))
		if op, _ := vals[1].(string); op == "Function" || op == "PureFunc" {
			if p4, _ := vals[6].(string); strings.HasPrefix(p4, "julianday") {
				calls++
			}
		}
	}
	require.NoError(t, rows.Err())
	require.LessOrEqual(t, calls, 8, "julianday() calls in the bytecode: the bounds only")
}

// TestHealthWithoutIndex runs the health check on a view over the same
// data (no index can serve it): the same trends and skip counts.
func TestHealthWithoutIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	db := mustDemoDB(t, now)
	q := proactive.HealthQuery{Now: now, WindowDays: 14, TrendDays: 7, MinDrop: 10}
	want, wantSkipped, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.NotEmpty(t, want)
	require.NoError(t, db.ExecForTest(ctx, `
		ALTER TABLE client_health_scores RENAME TO raw_scores;
		CREATE VIEW client_health_scores AS SELECT * FROM raw_scores`))
	got, skipped, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, wantSkipped, skipped)
}

// newestIndex finds the reading reduceTrend makes current, ties included,
// so that the configured columns kept beside the readings are the newest
// reading's.
func TestNewestIndexIsReduceTrendsCurrent(t *testing.T) {
	t.Parallel()
	str := func(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
	for seed := range 200 {
		n := 2 + seed%7
		rs := make([]healthReading, n)
		for i := range rs {
			rs[i] = healthReading{
				jd:    2461000.5 + float64((seed*7+i*3)%3), // many ties on time
				score: float64((seed + i*5) % 4 * 10),      // and on score
				zone:  str([]string{"", "RED", "GREEN"}[(seed+i)%3]),
				first: str([]string{"", "Ann", "Bo"}[(seed*i)%3]),
			}
		}
		i := newestIndex(rs)
		want := rs[i]
		cp := append([]healthReading(nil), rs...)
		got := reduceTrend("a@x.com", cp, 7)
		require.Equal(t, want.score, got.Current, "seed %d", seed)
		require.Equal(t, julianTime(want.jd), got.CurrentAt, "seed %d", seed)
		require.Equal(t, normalizeZone(want.zone.String), got.Zone, "seed %d", seed)
		require.Equal(t, want.first.String, got.Firstname, "seed %d", seed)
		require.Zero(t, newerFirst(cp[0], want), "seed %d: the same reading", seed)
	}
}
