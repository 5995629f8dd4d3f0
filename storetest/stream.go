package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// testStreaming holds the four readers to their streaming promises: fn
// gets one record at a time, an fn error stops the read and is what it
// returns, and the health trends of one client (emails differing only in
// case) come one after the other.
func testStreaming(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	errStop := errors.New("stop")
	cases := []struct {
		name  string
		table string
		rows  []proactive.Row
		// read reads with fn answering errStop on its first call and
		// returns how many calls fn got.
		read func(t *testing.T, s proactive.Store, fn func() error) (int, error)
	}{
		{
			name: "health trends", table: proactive.TableHealthScores,
			rows: []proactive.Row{
				reading("a@example.com", 90.0, "GREEN", now.Add(-2*day)), reading("a@example.com", 50.0, "RED", now.Add(-h)),
				reading("b@example.com", 90.0, "GREEN", now.Add(-2*day)), reading("b@example.com", 50.0, "RED", now.Add(-h)),
			},
			read: func(t *testing.T, s proactive.Store, fn func() error) (int, error) {
				n := 0
				_, err := s.HealthTrends(t.Context(), proactive.HealthQuery{Now: now}, func(proactive.HealthTrend) error { n++; return fn() })
				return n, err
			},
		},
		{
			name: "stalled deals", table: proactive.TableDeals,
			rows: []proactive.Row{
				deal("A", "Proposal", 5.0, now.Add(-40*day), nil, nil), deal("B", "Proposal", 5.0, now.Add(-40*day), nil, nil),
			},
			read: func(t *testing.T, s proactive.Store, fn func() error) (int, error) {
				n := 0
				_, err := s.StalledDeals(t.Context(), proactive.DealQuery{Now: now, Stages: proactive.DefaultStallStages()},
					func(proactive.Deal) error { n++; return fn() })
				return n, err
			},
		},
		{
			name: "sync failures", table: proactive.TableSyncErrors,
			rows: []proactive.Row{
				syncErr("hubspot", "rate_limit", "contact", "m", now.Add(-h), nil), syncErr("stripe", "timeout", "invoice", "m", now.Add(-h), nil),
			},
			read: func(t *testing.T, s proactive.Store, fn func() error) (int, error) {
				n := 0
				_, err := s.SyncFailures(t.Context(), proactive.SyncQuery{Now: now, Since: now.Add(-day)},
					func(proactive.SyncFailureGroup) error { n++; return fn() })
				return n, err
			},
		},
		{
			name: "waiting leads", table: proactive.TableLeads,
			rows: []proactive.Row{
				lead("A", "a@example.com", now.Add(-10*h), "new", nil), lead("B", "b@example.com", now.Add(-10*h), "new", nil),
			},
			read: func(t *testing.T, s proactive.Store, fn func() error) (int, error) {
				n := 0
				_, err := s.WaitingLeads(t.Context(), proactive.LeadQuery{Now: now}, func(proactive.Lead) error { n++; return fn() })
				return n, err
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name+": an fn error stops the read", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, tc.table, tc.rows...)
			n, err := tc.read(t, s, func() error { return nil })
			require.NoError(t, err)
			require.Equal(t, 2, n, "both records")
			n, err = tc.read(t, s, func() error { return errStop })
			require.ErrorIs(t, err, errStop)
			require.Equal(t, 1, n, "no record after the error")
		})
	}

	// The deals and the leads come in their ids' byte order, the order of
	// their case keys ("deal-"/"lead-" and the id), so that a scan reads
	// their cases as ranges of the key index (DeskTx.SeenCasesBetween).
	t.Run("deals and leads: in the byte order of their ids", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var deals, leads []proactive.Row
		for i := range 30 {
			name := fmt.Sprintf("N%02d", i)
			deals = append(deals, deal(name, "Proposal", 5.0, now.Add(-40*day), nil, nil))
			leads = append(leads, lead(name, "x@example.com", now.Add(-10*h), "new", nil))
		}
		MustInsert(t, s, proactive.TableDeals, deals...)
		MustInsert(t, s, proactive.TableLeads, leads...)
		var dealIDs, leadIDs []string
		_, err := s.StalledDeals(t.Context(), proactive.DealQuery{Now: now, Stages: proactive.DefaultStallStages()}, func(d proactive.Deal) error {
			dealIDs = append(dealIDs, d.ID)
			return nil
		})
		require.NoError(t, err)
		_, err = s.WaitingLeads(t.Context(), proactive.LeadQuery{Now: now}, func(l proactive.Lead) error {
			leadIDs = append(leadIDs, l.ID)
			return nil
		})
		require.NoError(t, err)
		require.Len(t, dealIDs, 30)
		require.Len(t, leadIDs, 30)
		require.True(t, slices.IsSorted(dealIDs), "deal ids out of byte order: %q", dealIDs)
		require.True(t, slices.IsSorted(leadIDs), "lead ids out of byte order: %q", leadIDs)
	})

	t.Run("health trends: one client's emails one after the other", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var rows []proactive.Row
		for _, e := range []string{"b@example.com", "a@example.com", "B@example.com", "c@example.com"} {
			rows = append(rows, reading(e, 90.0, "GREEN", now.Add(-2*day)), reading(e, 50.0, "RED", now.Add(-h)))
		}
		MustInsert(t, s, proactive.TableHealthScores, rows...)
		var got []string
		_, err := s.HealthTrends(t.Context(), proactive.HealthQuery{Now: now, MinDrop: 10}, func(tr proactive.HealthTrend) error {
			got = append(got, tr.Email)
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, []string{"a@example.com", "B@example.com", "b@example.com", "c@example.com"}, got)
	})
}
