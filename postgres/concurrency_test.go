package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

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
