package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// TestEveryCaseRefreshIsHOT refreshes or touches every case of the desk in
// each of three transactions, as scans 15 minutes apart do, each after a
// VACUUM (autovacuum's work between such scans; pruning on the way is
// opportunistic): each new row version must find room on its page (a HOT
// update, no index entry). The scan's own transaction cannot prune the
// versions it replaces, so a page must hold each of its rows twice; at
// the fillfactor of 60 a migration once set, a third of the updates went
// to another page, each with an entry in all seven indexes of ptd_cases.
func TestEveryCaseRefreshIsHOT(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// An autovacuum worker's snapshot would keep the VACUUM below from
	// removing the old versions (a server with autovacuum, unlike CI's).
	db := mustMigrateUnvacuumed(t)
	now := time.Date(2025, 12, 10, 9, 0, 0, 0, time.UTC)
	details := func(i int, hours float64) []byte { // the size of a waiting lead's, the largest a scan refreshes
		return fmt.Appendf(nil, `{"email":"lead%d@example.org","hours_waiting":%.14f,"lead_id":"%s","name":"Jordan Walsh","revenue_at_risk":0,"source":"website"}`,
			i, hours, uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%d", i)))
	}
	cases := make([]proactive.Case, 600)
	for i := range cases {
		cases[i] = storetest.SampleCase(fmt.Sprintf("response_delay:lead-%s", uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%d", i))), now)
		cases[i].Label, cases[i].Urgency, cases[i].Details, cases[i].Metric = "Jordan Walsh", 70, details(i, 24), 24
	}
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, cases) }))

	for scan := 1; scan <= 3; scan++ {
		mustExec(t, db, `VACUUM ptd_cases`)
		at := now.Add(time.Duration(scan) * 15 * time.Minute)
		var refreshed []proactive.Case
		var touched []string
		for i, c := range cases {
			if i%2 == 0 { // a waiting lead: its hours change at every scan
				c.LastSeenAt, c.Urgency, c.Details, c.Metric = at, 71, details(i, 24+at.Sub(now).Hours()), 24+at.Sub(now).Hours()
				refreshed = append(refreshed, c)
			} else {
				touched = append(touched, c.ID)
			}
		}
		var updates, hot int64
		require.NoError(t, db.Update(ctx, func(dtx proactive.DeskTx) error {
			// The view's counts may include earlier transactions of the
			// connection not yet reported: count this one's as a difference.
			stats := func() (upd, hot int64, err error) {
				err = dtx.(*deskTx).tx.QueryRow(ctx, `
					SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relid = 'ptd_cases'::regclass`).Scan(&upd, &hot)
				return upd, hot, err
			}
			upd0, hot0, err := stats()
			if err != nil {
				return err
			}
			if err := dtx.RefreshCases(ctx, refreshed); err != nil {
				return err
			}
			if err := dtx.TouchCases(ctx, touched, at); err != nil {
				return err
			}
			upd1, hot1, err := stats()
			updates, hot = upd1-upd0, hot1-hot0
			return err
		}))
		require.EqualValues(t, len(cases), updates, "scan %d: every case written once", scan)
		require.Equal(t, updates, hot, "scan %d: %d of %d case writes were not HOT updates", scan, updates-hot, updates)
	}
}
