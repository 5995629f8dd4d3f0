package storetest

import (
	"fmt"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// testAsOf holds every reader of the checks to the as-of rule
// (proactive.AsOf, CONTRACT §12): read at a past T with the real wall
// clock later, a row created after T but not after the wall clock is not
// there and not skipped, a mutable timestamp (resolved_at,
// last_contact_date, last_activity_date, updated_at) in that interval
// reads as NULL, and only what lies after the wall clock is "in the
// future". Each case reads the same rows live (at the wall clock) too,
// which is what a scan without a past now sees.
func testAsOf(t *testing.T, open opener) {
	wall := Now()
	at := wall.Add(-2 * day) // T
	h := time.Hour
	between := at.Add(day)   // after T, before the wall clock
	future := wall.Add(h)    // after the wall clock
	old := at.Add(-30 * day) // long before T

	// read reads one source at now with the wall clock wall (zero: live)
	// and returns the records as sorted lines.
	type reader func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped)
	healthTrends := func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped) {
		got, skipped, err := Trends(t.Context(), s, proactive.HealthQuery{Now: now, Wall: wall, WindowDays: proactive.HealthWindowDays, TrendDays: 7})
		require.NoError(t, err)
		var out []string
		for _, v := range viewTrends(got) {
			out = append(out, fmt.Sprintf("%s %s@%s %s@%s", v.Email, v.Current, v.CurrentAt, v.Previous, v.PreviousAt))
		}
		return out, skipped
	}
	healthSeries := func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped) {
		var out []string
		skipped, err := seriesReader(t, s).HealthSeries(t.Context(), proactive.SeriesQuery{Now: now, Wall: wall, MinReadings: 1},
			func(c *proactive.ClientSeries) error {
				line := c.Email
				for _, r := range c.Readings {
					line += " " + num(r.Score) + "@" + ts(r.At)
				}
				out = append(out, line)
				return nil
			})
		require.NoError(t, err)
		return sortedBy(out, func(s string) string { return s }), skipped
	}
	clientOwners := func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped) {
		TryExec(t, s, "ALTER TABLE client_health_scores ADD COLUMN coach text")
		MustExec(t, s, "UPDATE client_health_scores SET coach = 'coach' || CAST(CAST(health_score AS INTEGER) AS TEXT)")
		var out []string
		skipped, err := ownerReader(t, s).ClientOwners(t.Context(), proactive.OwnerQuery{Now: now, Wall: wall, Column: "coach"},
			func(c proactive.ClientOwner) error {
				out = append(out, c.Email+" "+c.Owner+"@"+ts(c.At))
				return nil
			})
		require.NoError(t, err)
		return sortedBy(out, func(s string) string { return s }), skipped
	}
	stalledDeals := func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped) {
		got, skipped, err := Deals(t.Context(), s, proactive.DealQuery{Now: now, Wall: wall, Stages: proactive.DefaultStallStages()})
		require.NoError(t, err)
		var out []string
		for _, v := range viewDeals(got) {
			out = append(out, v.Name+" "+v.LastActivity)
		}
		return out, skipped
	}
	syncFailures := func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped) {
		got, skipped, err := SyncGroups(t.Context(), s, proactive.SyncQuery{Now: now, Wall: wall, Since: now.Add(-day)})
		require.NoError(t, err)
		var out []string
		for _, v := range viewSync(got) {
			out = append(out, fmt.Sprintf("%s/%s %d %s %s", v.Source, v.ErrorType, v.Count, v.LatestAt, v.Message))
		}
		return out, skipped
	}
	waitingLeads := func(t *testing.T, s proactive.Store, now, wall time.Time) ([]string, proactive.Skipped) {
		got, skipped, err := Leads(t.Context(), s, proactive.LeadQuery{Now: now, Wall: wall})
		require.NoError(t, err)
		var out []string
		for _, v := range viewLeads(got) {
			out = append(out, v.Name+" "+v.CreatedAt)
		}
		return out, skipped
	}
	future1 := proactive.Skipped{proactive.SkipFutureTimestamp: 1}
	future2 := proactive.Skipped{proactive.SkipFutureTimestamp: 2}

	healthRows := []proactive.Row{
		reading("a@example.com", 80.0, "GREEN", at.Add(-2*day)),
		reading("a@example.com", 60.0, "RED", at.Add(-day)),
		reading("a@example.com", 20.0, "RED", between), // not there at T
		reading("a@example.com", 10.0, "RED", future),  // in the future
		reading("b@example.com", 50.0, "RED", between), // a client not there at T
		reading("b@example.com", 40.0, "RED", between.Add(h)),
	}
	cases := []struct {
		name             string
		table            string
		rows             []proactive.Row
		read             reader
		wantAt, wantLive []string
		skipAt, skipLive proactive.Skipped
	}{
		{
			name: "health trends: readings after T are not there", table: proactive.TableHealthScores, rows: healthRows, read: healthTrends,
			wantAt: []string{"a@example.com 60.000000@" + ts(at.Add(-day)) + " 80.000000@" + ts(at.Add(-2*day))},
			skipAt: future1,
			wantLive: []string{
				"a@example.com 20.000000@" + ts(between) + " 60.000000@" + ts(at.Add(-day)),
				"b@example.com 40.000000@" + ts(between.Add(h)) + " 50.000000@" + ts(between),
			},
			skipLive: future1,
		},
		{
			name: "health series: readings after T are not there", table: proactive.TableHealthScores, rows: healthRows, read: healthSeries,
			wantAt: []string{"a@example.com 80.000000@" + ts(at.Add(-2*day)) + " 60.000000@" + ts(at.Add(-day))},
			skipAt: future1,
			wantLive: []string{
				"a@example.com 80.000000@" + ts(at.Add(-2*day)) + " 60.000000@" + ts(at.Add(-day)) + " 20.000000@" + ts(between),
				"b@example.com 50.000000@" + ts(between) + " 40.000000@" + ts(between.Add(h)),
			},
			skipLive: future1,
		},
		{
			name: "client owners: the newest reading at T", table: proactive.TableHealthScores, rows: healthRows, read: clientOwners,
			wantAt:   []string{"a@example.com coach60@" + ts(at.Add(-day))},
			skipAt:   future1,
			wantLive: []string{"a@example.com coach20@" + ts(between), "b@example.com coach40@" + ts(between.Add(h))},
			skipLive: future1,
		},
		{
			name: "deals: created after T not there, later activity reads as NULL", table: proactive.TableDeals, read: stalledDeals,
			rows: []proactive.Row{
				deal("before", "Proposal", 5.0, old, nil, at.Add(-20*day)),
				deal("created between", "Proposal", 5.0, between, nil, nil),
				deal("created in the future", "Proposal", 5.0, future, nil, nil),
				// last_activity_date after T: updated_at is its last activity at T.
				deal("active between", "Proposal", 5.0, old, at.Add(-10*day), between),
				// … or, without updated_at, created_at (coalesce).
				deal("active between, never updated", "Proposal", 5.0, old, nil, between),
				deal("updated between", "Proposal", 5.0, old, between, nil),
				deal("active in the future", "Proposal", 5.0, old, at.Add(-10*day), future),
				// No time at or before T: not there yet, not a null timestamp.
				deal("no creation, updated between", "Proposal", 5.0, nil, between, nil),
			},
			wantAt: []string{
				"active between " + ts(at.Add(-10*day)),
				"active between, never updated " + ts(old),
				"before " + ts(at.Add(-20*day)),
				"updated between " + ts(old),
			},
			skipAt: future2,
			wantLive: []string{
				"active between " + ts(between),
				"active between, never updated " + ts(between),
				"before " + ts(at.Add(-20*day)),
				"created between " + ts(between),
				"no creation, updated between " + ts(between),
				"updated between " + ts(between),
			},
			skipLive: future2,
		},
		{
			name: "sync errors: created after T not there, resolved after T unresolved", table: proactive.TableSyncErrors, read: syncFailures,
			rows: []proactive.Row{
				syncErr("hubspot", "rate_limit", "contact", "before", at.Add(-h), nil),
				syncErr("hubspot", "rate_limit", "contact", "resolved between", at.Add(-2*h), between),
				syncErr("hubspot", "rate_limit", "contact", "resolved before", at.Add(-3*h), at.Add(-h)),
				syncErr("hubspot", "rate_limit", "contact", "resolved in the future", at.Add(-3*h), future),
				syncErr("stripe", "timeout", "invoice", "created between", at.Add(h), nil),
				syncErr("stripe", "timeout", "invoice", "created in the future", future, nil),
			},
			wantAt: []string{"hubspot/rate_limit 2 " + ts(at.Add(-h)) + " before"},
			// The error created in the future and the one of the window
			// resolved in the future, skipped.
			skipAt: future2,
			// Live, the window is the day before the wall clock: nothing but
			// the error created in the future, skipped (the one resolved in
			// the future was created before the window).
			wantLive: nil,
			skipLive: future1,
		},
		{
			name: "leads: created after T not there, contacted after T new and waiting", table: proactive.TableLeads, read: waitingLeads,
			rows: []proactive.Row{
				lead("waiting", "w@example.com", at.Add(-10*h), "new", nil),
				lead("contacted between", "c@example.com", at.Add(-10*h), "contacted", between),
				lead("new, contacted between", "n@example.com", at.Add(-10*h), "new", between),
				lead("contacted before", "b@example.com", at.Add(-10*h), "contacted", at.Add(-h)),
				lead("contacted in the future", "f@example.com", at.Add(-10*h), "contacted", future),
				lead("new, contacted in the future", "g@example.com", at.Add(-10*h), "NEW", future),
				lead("created between", "x@example.com", between, "new", nil),
				lead("created in the future", "y@example.com", future, "new", nil),
			},
			wantAt: []string{
				"contacted between " + ts(at.Add(-10*h)),
				"new, contacted between " + ts(at.Add(-10*h)),
				"waiting " + ts(at.Add(-10*h)),
			},
			// Created in the future, and new but contacted in the future (a
			// lead whose status is no longer new is not the check's).
			skipAt:   future2,
			wantLive: []string{"created between " + ts(between), "waiting " + ts(at.Add(-10*h))},
			skipLive: future2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, tc.table, tc.rows...)
			got, skipped := tc.read(t, s, at, wall)
			require.Equal(t, tc.wantAt, got, "as of T")
			requireSkipped(t, tc.skipAt, skipped)
			got, skipped = tc.read(t, s, wall, time.Time{})
			require.Equal(t, tc.wantLive, got, "live")
			requireSkipped(t, tc.skipLive, skipped)
			// A wall clock not after now is a live read.
			got, skipped = tc.read(t, s, wall, at)
			require.Equal(t, tc.wantLive, got, "wall clock before now")
			requireSkipped(t, tc.skipLive, skipped)
		})
	}
}
