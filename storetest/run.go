package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

func testRuns(t *testing.T, open opener) {
	now := Now()
	cases := []struct {
		name string
		run  func(t *testing.T, s proactive.Store)
	}{
		{"no scan recorded: ENOTFOUND", func(t *testing.T, s proactive.Store) {
			_, err := s.LastScan(t.Context())
			requireCode(t, proactive.ENOTFOUND, err)
		}},
		{"the last scan is the one that started last", func(t *testing.T, s proactive.Store) {
			last := proactive.ScanRun{StartedAt: now, DurationMS: 1234, Success: false, Trigger: "schedule",
				Anomalies: 7, AlertsSaved: 3, Errors: 1, Message: "deals: table missing"}
			require.NoError(t, s.RecordScan(t.Context(), last))
			require.NoError(t, s.RecordScan(t.Context(), proactive.ScanRun{StartedAt: now.Add(-time.Hour), DurationMS: 5,
				Success: true, Trigger: "cli"}))
			got, err := s.LastScan(t.Context())
			require.NoError(t, err)
			require.Equal(t, ts(last.StartedAt), ts(got.StartedAt))
			got.StartedAt = last.StartedAt
			require.Equal(t, last, got)
		}},
		{"list scans: the newest first, at most limit", func(t *testing.T, s proactive.Store) {
			got, err := s.ListScans(t.Context(), 50)
			require.NoError(t, err)
			require.Empty(t, got, "none recorded")
			for i := range 5 {
				require.NoError(t, s.RecordScan(t.Context(), proactive.ScanRun{StartedAt: now.Add(time.Duration(i) * time.Minute),
					DurationMS: int64(100 + i), Success: i != 2, Trigger: "schedule", Anomalies: i, Message: map[bool]string{true: "failed"}[i == 2]}))
			}
			got, err = s.ListScans(t.Context(), 3)
			require.NoError(t, err)
			require.Len(t, got, 3)
			for i, r := range got {
				n := 4 - i
				require.Equal(t, ts(now.Add(time.Duration(n)*time.Minute)), ts(r.StartedAt))
				require.Equal(t, int64(100+n), r.DurationMS)
				require.Equal(t, n, r.Anomalies)
				require.Equal(t, n != 2, r.Success)
			}
			require.Equal(t, "failed", got[2].Message)
			_, err = s.ListScans(t.Context(), 0)
			requireCode(t, proactive.EINVALID, err)
		}},
		{"a tick is claimed once per (name, tick)", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			claim := func(name string, tick time.Time) bool {
				ok, err := s.ClaimTick(ctx, name, tick)
				require.NoError(t, err)
				return ok
			}
			require.True(t, claim("scan", now))
			require.False(t, claim("scan", now), "claimed already")
			require.False(t, claim("scan", now.In(time.FixedZone("UTC+2", 2*3600))), "the same instant in another zone")
			require.True(t, claim("scan", now.Add(15*time.Minute)), "the next tick")
			require.True(t, claim("digest", now), "another schedule")
		}},
		{"concurrent claimers: exactly one wins a tick", func(t *testing.T, s proactive.Store) {
			var wins atomic.Int32
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.ClaimTick(t.Context(), "scan", now)
					errs[i] = err
					if ok {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			require.Equal(t, int32(1), wins.Load())
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}
