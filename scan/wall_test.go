package scan_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

// TestTheChecksReadLiveAtTheScansStart: a scan without a Now (the CLI's
// scan and serve's without --now) evaluates at its Clock's start and its
// checks read the tables live (Wall is Now); a Now before the start reads
// them as they stood then (Wall is the start, after Now); a Now after it
// is evaluated at that Now, read live.
func TestTheChecksReadLiveAtTheScansStart(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wall.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(t, err)

	const probe proactive.AnomalyType = "probe"
	var env proactive.CheckEnv
	reg, err := proactive.NewRegistry(proactive.Check{
		Type: probe, Monitor: "checkProbe", BreakdownKey: "probes", Label: "Probe", Noun: "probe",
		New: func(e proactive.CheckEnv) proactive.Detector {
			env = e
			return proactive.SourceDetector(func(context.Context, any, proactive.Emitter) (proactive.Skipped, error) { return nil, nil })
		},
		Text: proactive.CheckText{
			Title:    func(int, *proactive.Anomaly) string { return "" },
			Many:     func(int) string { return "" },
			Describe: func(*proactive.Anomaly) string { return "" },
			Figure:   func(*proactive.Anomaly) string { return "" },
		},
	})
	require.NoError(t, err)
	start := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	sc, err := scan.New(scan.Options{Store: db, Registry: reg, Checks: []proactive.AnomalyType{probe},
		Clock: func() time.Time { return start }})
	require.NoError(t, err)

	for _, tc := range []struct {
		name      string
		now       time.Time
		wantNow   time.Time
		wantAsOf  time.Time // proactive.AsOf(Now, Wall): the newest time the reads see
		wantAfter bool      // Wall after Now: a read as of a past moment
	}{
		{"no Now: the start, live", time.Time{}, start, start, false},
		{"a second before the start: as of then", start.Add(-time.Second), start.Add(-time.Second), start, true},
		{"two days back", start.Add(-48 * time.Hour), start.Add(-48 * time.Hour), start, true},
		{"after the start: live at that Now", start.Add(time.Hour), start.Add(time.Hour), start.Add(time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sc.Run(ctx, scan.Params{Now: tc.now, Trigger: "test", DryRun: true})
			require.NoError(t, err)
			require.Equal(t, tc.wantNow, env.Now)
			require.Equal(t, start, env.Wall, "the wall clock is the Clock's time at the start")
			require.Equal(t, tc.wantAfter, env.Wall.After(env.Now))
			require.Equal(t, tc.wantAsOf, proactive.AsOf(env.Now, env.Wall))
		})
	}
}
