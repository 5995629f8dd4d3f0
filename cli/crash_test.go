package cli_test

import (
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestScanKilledMidwayLeavesNoHalf kills `scan` (SIGKILL: no deferred
// clean-up, no rollback by the process) at points spread over its run, on
// both stores. A scan's writes are one transaction, so after each kill the
// cases and alerts are those of the last whole scan or those of the killed
// one whole (killed after its commit), never a mix; and the next scan runs
// and leaves what an uninterrupted one would.
func TestScanKilledMidwayLeavesNoHalf(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			// Enough data for a scan to take a while: each kill below
			// lands somewhere inside it.
			mustRun(t, s.dir, nil, "demo", "--clients", "3000", "--db", s.url)
			base := time.Now().UTC().Truncate(time.Second)
			at := func(k int) string { return base.Add(time.Duration(k) * time.Hour).Format(time.RFC3339) }
			// snapshot is every case (state, severity, last seen, owner,
			// details…) and every active alert, as the CLI prints them.
			snapshot := func(now string) string {
				cases := mustRun(t, s.dir, nil, "cases", "--json", "--state", "all", "--now", now, "--db", s.url)
				alerts := mustRun(t, s.dir, nil, "alerts", "--json", "--limit", "0", "--now", now, "--db", s.url)
				return cases.stdout + alerts.stdout
			}

			start := time.Now()
			mustRun(t, s.dir, nil, "scan", "--json", "--now", at(1), "--db", s.url)
			took := time.Since(start)
			whole := snapshot(at(1))

			rolledBack := 0
			for k, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.9} {
				now := at(k + 2) // a later now: every seen case is refreshed
				cmd := exec.Command(binary, "scan", "--json", "--now", now, "--db", s.url)
				cmd.Dir = s.dir
				cmd.Env = binaryEnv(s.dir)
				require.NoError(t, cmd.Start())
				time.Sleep(time.Duration(frac * float64(took)))
				_ = cmd.Process.Kill()
				_ = cmd.Wait()

				after := snapshot(now)
				r := mustRun(t, s.dir, nil, "scan", "--json", "--now", now, "--db", s.url)
				next := snapshot(now)
				if after == whole {
					rolledBack++
				} else {
					require.Equal(t, next, after, "killed after %.1f of a %s scan (%s): the store holds part of a scan", frac, took, now)
				}
				require.NotEqual(t, whole, next, "a scan at a later now refreshes the cases: %s", r.stdout)
				whole = next
			}
			t.Logf("%s: a whole scan took %s; %d of 5 kills came before the scan's commit", s.name, took, rolledBack)
		})
	}
}
