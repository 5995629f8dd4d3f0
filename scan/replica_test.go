package scan_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// fakeReplica is a read replica answering from memory, with a lag.
type fakeReplica struct {
	*fakeStore
	lag    time.Duration
	lagOK  bool
	lagErr error
}

func (f *fakeReplica) ReplicaLag(context.Context) (time.Duration, bool, error) {
	return f.lag, f.lagOK, f.lagErr
}

// onlyLead is a store whose one anomaly is a lead waiting 7 hours.
func onlyLead() *fakeStore {
	return &fakeStore{leads: []proactive.Lead{{ID: "9", Name: "Replica Lead", CreatedAt: storetest.Now().Add(-7 * time.Hour)}}}
}

func TestScanReadsTheReplica(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		replica   *fakeReplica
		readFrom  string
		anomalies int // the primary has 4, the replica 1
		warnings  []string
	}{
		{"caught up", &fakeReplica{fakeStore: onlyLead(), lagOK: true}, "replica", 1, nil},
		{"behind within the limit", &fakeReplica{fakeStore: onlyLead(), lag: 30 * time.Second, lagOK: true}, "replica", 1, nil},
		{"too far behind", &fakeReplica{fakeStore: onlyLead(), lag: 90 * time.Second, lagOK: true}, "primary", 4,
			[]string{"the read replica is 1m30s behind the primary, more than postgres.max_replica_lag (1m0s): the checks read the primary"}},
		{"does not answer", &fakeReplica{fakeStore: onlyLead(), lagErr: errors.New("connection refused")}, "primary", 4,
			[]string{"the read replica did not answer (connection refused): the checks read the primary"}},
		{"one check fails on the replica", func() *fakeReplica {
			r := &fakeReplica{fakeStore: onlyLead(), lagOK: true}
			r.healthErr = proactive.Errorf(proactive.EUNAVAILABLE, "canceling statement due to conflict with recovery")
			return r
		}(), "replica", 2, // the health drop from the primary, the lead from the replica
			[]string{"the health drop check could not read the read replica (canceling statement due to conflict with recovery): it read the primary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, logs, err := runFake(t, fullFake(), scan.Options{Replica: tc.replica, MaxReplicaLag: time.Minute})
			require.NoError(t, err)
			require.Equal(t, tc.readFrom, res.ReadFrom)
			require.Equal(t, tc.anomalies, res.AnomaliesDetected)
			require.Equal(t, tc.warnings, res.Warnings)
			require.Empty(t, res.Errors)
			for _, w := range tc.warnings {
				require.Contains(t, logs, w)
			}
			out, err := json.Marshal(res)
			require.NoError(t, err)
			require.Contains(t, string(out), `"read_from":"`+tc.readFrom+`"`)
		})
	}
	t.Run("without a replica, no read_from and no warnings", func(t *testing.T) {
		t.Parallel()
		res, _, err := runFake(t, fullFake(), scan.Options{})
		require.NoError(t, err)
		out, err := json.Marshal(res)
		require.NoError(t, err)
		require.NotContains(t, string(out), "read_from")
		require.NotContains(t, string(out), "warnings")
	})
	t.Run("a replica that cannot report its lag is read as it is", func(t *testing.T) {
		t.Parallel()
		res, _, err := runFake(t, fullFake(), scan.Options{Replica: onlyLead()})
		require.NoError(t, err)
		require.Equal(t, "replica", res.ReadFrom)
		require.Equal(t, 1, res.AnomaliesDetected)
	})
}

// TestScanOnAStandby scans with a real streaming standby as the read
// replica, both started by the test: the scan reads the standby (rows
// written on the primary count once replayed); with replay paused and the
// primary written, the standby falls behind; past postgres.max_replica_lag
// the scan reads the primary and says so, within it it reads the stale
// standby; once replay resumes it reads the standby again.
func TestScanOnAStandby(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary := testdb.StartPrimary(t)
	standby := primary.StartStandby(t)
	db, err := postgres.Open(ctx, primary.URL, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(t, err)
	standby.CaughtUp(t, primary)
	reader, err := postgres.OpenReader(ctx, standby.URL, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { reader.Close() })
	control, err := postgres.Open(ctx, standby.URL, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { control.Close() })

	now := time.Now().UTC()
	lead := func(name string) {
		storetest.MustInsert(t, db, proactive.TableLeads, proactive.Row{"name": name, "status": "new", "created_at": now.Add(-7 * time.Hour)})
	}
	scanWith := func(maxLag time.Duration) proactive.ScanResult {
		t.Helper()
		sc, err := scan.New(scan.Options{Store: db, Replica: reader, MaxReplicaLag: maxLag, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		res, err := sc.Run(ctx, scan.Params{Now: time.Now(), Trigger: "test", DryRun: true})
		require.NoError(t, err)
		require.Empty(t, res.Errors)
		return res
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			require.False(t, time.Now().After(deadline), "waited 30 s for %s", what)
			time.Sleep(50 * time.Millisecond)
		}
	}

	lead("First")
	waitFor("the standby to replay the first lead", func() bool { return scanWith(time.Second).AnomaliesDetected == 1 })
	res := scanWith(time.Second)
	require.Equal(t, "replica", res.ReadFrom)
	require.Empty(t, res.Warnings)

	require.NoError(t, control.ExecForTest(ctx, "SELECT pg_wal_replay_pause()"))
	time.Sleep(1100 * time.Millisecond)
	lead("Second")
	waitFor("the standby to fall behind", func() bool {
		lag, ok, err := reader.ReplicaLag(ctx)
		require.NoError(t, err)
		return ok && lag > time.Second
	})

	res = scanWith(time.Second)
	require.Equal(t, "primary", res.ReadFrom)
	require.Equal(t, 2, res.AnomaliesDetected, "the primary has both leads")
	require.Len(t, res.Warnings, 1)
	require.Contains(t, res.Warnings[0], "behind the primary, more than postgres.max_replica_lag (1s): the checks read the primary")

	res = scanWith(time.Hour)
	require.Equal(t, "replica", res.ReadFrom, "within the limit the stale standby is read")
	require.Equal(t, 1, res.AnomaliesDetected, "the standby has not replayed the second lead")

	require.NoError(t, control.ExecForTest(ctx, "SELECT pg_wal_replay_resume()"))
	waitFor("the standby to catch up", func() bool {
		res = scanWith(time.Second)
		return res.ReadFrom == "replica" && res.AnomaliesDetected == 2
	})
	require.Empty(t, res.Warnings)
	require.False(t, strings.Contains(strings.Join(res.Warnings, ""), "behind"))
}
