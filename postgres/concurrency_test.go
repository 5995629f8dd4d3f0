package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// TestConcurrentScansStoreEachKeyOnce runs 8 savers, each with a pool of its
// own (as 8 processes would), over the same keys at once: one row and one
// notification per key.
func TestConcurrentScansStoreEachKeyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	const savers, keys, rounds = 8, 20, 3
	stores := make([]*DB, savers)
	for i := range stores {
		stores[i] = mustOpenURL(t, url, Options{MaxConns: 2})
	}
	var mu sync.Mutex
	outcomes := map[proactive.SaveOutcome]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		wg.Go(func() {
			<-start
			for r := range rounds {
				for k := range keys {
					key := fmt.Sprintf("health_drop_c%d@example.com_2025-12-10", (k+i+r)%keys)
					res, err := save(ctx, s, key, proactive.SeverityHigh, proactive.ChannelSlack, proactive.ChannelEmail)
					if !assertNoError(t, err) {
						return
					}
					mu.Lock()
					outcomes[res.Outcome]++
					mu.Unlock()
				}
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, map[proactive.SaveOutcome]int{proactive.Inserted: keys, proactive.Duplicate: savers*keys*rounds - keys}, outcomes)
	require.Equal(t, keys, mustCount(t, db, "SELECT count(*) FROM proactive_insights"))
	require.Equal(t, keys, mustCount(t, db, "SELECT count(DISTINCT dedup_key) FROM proactive_insights"))
	require.Equal(t, 2*keys, mustCount(t, db, "SELECT count(*) FROM ptd_notifications"))
}

// TestEscalationRace races an escalation with a second scan's save of the
// lower severity, over separate pools: one row per key, critical.
func TestEscalationRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	a, b := mustOpenURL(t, url, Options{}), mustOpenURL(t, url, Options{})
	const keys = 30
	for k := range keys {
		key := fmt.Sprintf("deal_stall_Deal_%d_2025-12-10", k)
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]proactive.SaveResult, 2)
		for i, s := range []*DB{a, b} {
			prio := proactive.SeverityHigh
			if (i+k)%2 == 0 {
				prio = proactive.SeverityCritical
			}
			wg.Go(func() {
				<-start
				res, err := save(ctx, s, key, prio, proactive.ChannelWebhook)
				if assertNoError(t, err) {
					results[i] = res
				}
			})
		}
		close(start)
		wg.Wait()
		require.Equal(t, results[0].ID, results[1].ID, "both saves name the one row")
		// Critical first: the high one is a duplicate. High first: the
		// critical one escalates it.
		outs := []string{string(results[0].Outcome), string(results[1].Outcome)}
		slices.Sort(outs)
		require.Contains(t, [][]string{{"duplicate", "inserted"}, {"escalated", "inserted"}}, outs)
	}
	require.Equal(t, keys, mustCount(t, db, "SELECT count(*) FROM proactive_insights"))
	require.Equal(t, keys, mustCount(t, db, "SELECT count(*) FROM proactive_insights WHERE priority = 'critical'"))
	require.Equal(t, 0, mustCount(t, db, `
		SELECT count(*) FROM proactive_insights i
		WHERE NOT EXISTS (SELECT 1 FROM ptd_notifications n WHERE n.alert_id = i.id::text AND n.priority = 'critical')`),
		"every key notified at its final severity")
}

// assertNoError reports an error from a goroutine without stopping it.
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

// TestClaimAcrossProcesses claims the outbox from 4 pools at once: every
// notification is claimed exactly once.
func TestClaimAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	const alerts = 50
	for k := range alerts {
		_, err := save(ctx, db, fmt.Sprintf("k%d", k), proactive.SeverityCritical, proactive.ChannelSlack, proactive.ChannelEmail)
		require.NoError(t, err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		s := mustOpenURL(t, url, Options{MaxConns: 2})
		wg.Go(func() {
			for {
				got, err := s.ClaimNotifications(ctx, proactive.ClaimParams{Now: testNow, Limit: 7, Lease: time.Minute})
				if !assertNoError(t, err) || len(got) == 0 {
					return
				}
				mu.Lock()
				for _, n := range got {
					seen[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, 2*alerts)
	for id, n := range seen {
		require.Equal(t, 1, n, "notification %s claimed %d times", id, n)
	}
}

// TestClaimTickAcrossProcesses claims the same tick from 8 pools: one wins.
func TestClaimTickAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := mustMigrate(t)
	var mu sync.Mutex
	wins := 0
	var wg sync.WaitGroup
	for range 8 {
		s := mustOpenURL(t, url, Options{MaxConns: 1})
		wg.Go(func() {
			ok, err := s.ClaimTick(ctx, "scan", testNow)
			if assertNoError(t, err) && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, wins)
}

// TestConcurrentMigrate runs Migrate from 4 pools at once (as 4 scans
// starting together do): all succeed, and the schema is whole.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustOpen(t)
	var wg sync.WaitGroup
	created := make([][]string, 4)
	for i := range 4 {
		s := mustOpenURL(t, url, Options{MaxConns: 1})
		wg.Go(func() {
			rep, err := s.Migrate(ctx)
			if assertNoError(t, err) {
				created[i] = rep.Created
			}
		})
	}
	wg.Wait()
	total := 0
	for _, c := range created {
		total += len(c)
	}
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Created)
	var names []string
	for _, ix := range indexes() {
		names = append(names, ix.name)
	}
	require.Equal(t, len(indexes()), mustCount(t, db, "SELECT count(*) FROM pg_indexes WHERE indexname = ANY($1)", names))
	require.Equal(t, len(deskTables()), mustCount(t, db, "SELECT count(*) FROM pg_tables WHERE tablename = ANY($1)", deskTables()))
	require.NotZero(t, total)
}

// TestDeskAcrossProcesses runs desk transactions from 6 pools at once (as 6
// processes would): the desk lock makes them take turns.
func TestDeskAcrossProcesses(t *testing.T) {
	t.Parallel()
	_, url := mustMigrate(t)
	var desks []proactive.Desk
	for range 6 {
		desks = append(desks, mustOpenURL(t, url, Options{MaxConns: 2}))
	}
	storetest.RaceDesks(t, desks...)
}
