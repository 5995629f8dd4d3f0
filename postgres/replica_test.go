package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// mustReader opens a Reader on url, closed when the test ends.
func mustReader(t *testing.T, url string) *Reader {
	t.Helper()
	r, err := OpenReader(context.Background(), url, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

// waitFor polls cond every 50 ms until it holds, failing after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicaLag measures a real streaming standby, which the test starts
// (initdb, pg_basebackup -R): the checks read it, rows written on the
// primary appear after replay, an idle standby that has replayed all it
// received has no lag however old its last replay, a standby whose replay
// is paused while the primary writes falls behind, and a primary has no
// lag at all.
func TestReplicaLag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary := testdb.StartPrimary(t)
	standby := primary.StartStandby(t)

	db := mustOpenURL(t, primary.URL, Options{})
	_, err := db.Migrate(ctx)
	require.NoError(t, err)
	onPrimary := mustReader(t, primary.URL)
	lag, ok, err := onPrimary.ReplicaLag(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Zero(t, lag, "a primary lags behind nothing")

	r := mustReader(t, standby.URL)
	now := time.Now().UTC()
	insert := func(email string) {
		mustExec(t, db, `INSERT INTO client_health_scores (email, health_score, health_zone, calculated_at)
			VALUES ($1, 90, 'GREEN', $2), ($1, 50, 'RED', $3)`, email, now.Add(-2*time.Hour), now.Add(-time.Hour))
	}
	emails := func() []string {
		trends, _, err := storetest.Trends(ctx, r, proactive.HealthQuery{Now: now, MinDrop: 10})
		require.NoError(t, err)
		var out []string
		for _, tr := range trends {
			out = append(out, tr.Email)
		}
		return out
	}
	insert("first@example.com")
	waitFor(t, "the standby to replay the first insert", func() bool { return len(emails()) == 1 })

	// Idle and caught up: no lag, however long ago the last replay was.
	time.Sleep(1500 * time.Millisecond)
	lag, ok, err = r.ReplicaLag(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Zero(t, lag, "an idle standby that replayed all it received is caught up")

	// Replay paused, the primary writes: the standby falls behind.
	mustExec(t, mustOpenURL(t, standby.URL, Options{}), "SELECT pg_wal_replay_pause()")
	time.Sleep(1100 * time.Millisecond)
	insert("second@example.com")
	waitFor(t, "the standby to receive the WAL it does not replay", func() bool {
		lag, ok, err = r.ReplicaLag(ctx)
		require.NoError(t, err)
		return ok && lag > 0
	})
	require.Greater(t, lag, time.Second, "at least the time since the last replayed commit")
	require.Equal(t, []string{"first@example.com"}, emails(), "the standby does not have the second row yet")

	mustExec(t, mustOpenURL(t, standby.URL, Options{}), "SELECT pg_wal_replay_resume()")
	waitFor(t, "the standby to catch up", func() bool { return len(emails()) == 2 })
	lag, ok, err = r.ReplicaLag(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.Zero(t, lag)
}

// TestOpenReaderNamesTheReplicaURL: the replica's errors ask to check the
// replica's URL, not the primary's.
func TestOpenReaderNamesTheReplicaURL(t *testing.T) {
	t.Parallel()
	_, err := OpenReader(t.Context(), "postgres://u:s3cretpw@127.0.0.1:1/x?sslmode=disable", Options{ConnectTimeout: 500 * time.Millisecond})
	requireCode(t, proactive.EUNAVAILABLE, err)
	msg := proactive.ErrorMessage(err)
	require.True(t, strings.HasPrefix(msg, "read replica: "), msg)
	require.Contains(t, msg, "check PTD_READ_DATABASE_URL (or --read-db) and that PostgreSQL is running")
	require.NotContains(t, msg, "PTD_DATABASE_URL (or --db)")
	require.NotContains(t, msg, "s3cretpw")
}
