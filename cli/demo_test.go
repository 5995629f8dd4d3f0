package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoSettingsFile: the demo writes its settings where every command
// reads them, never over a file that is there, and not at all when
// --config names one.
func TestDemoSettingsFile(t *testing.T) {
	t.Parallel()
	const now = "2026-03-02T08:30:00Z"
	for _, tc := range []struct {
		name     string
		existing string // ptd-proactive.yaml before the demo; "" for none
		args     []string
		wantFile string // ptd-proactive.yaml after the demo; "" for none
		wantOut  string
	}{
		{"none: written", "", nil, "checks: [health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk, coach_workload]",
			"Wrote ptd-proactive.yaml: 8 checks"},
		{"the user's: read, kept", "thresholds: {forecast_days: 5}\n", nil, "thresholds: {forecast_days: 5}\n",
			"Settings: ptd-proactive.yaml, with 8 checks."},
		{"--config: nothing written", "", []string{"--config", "mine.yaml"}, "", "Settings: mine.yaml, with 8 checks."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("stall_stages: [Proposal]\n"), 0o644))
			if tc.existing != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "ptd-proactive.yaml"), []byte(tc.existing), 0o644))
			}
			r := mustRun(t, dir, nil, append([]string{"demo", "--clients", "40", "--now", now}, tc.args...)...)
			require.Contains(t, r.stdout, tc.wantOut)
			data, err := os.ReadFile(filepath.Join(dir, "ptd-proactive.yaml"))
			if tc.wantFile == "" {
				require.ErrorIs(t, err, os.ErrNotExist)
				return
			}
			require.NoError(t, err)
			require.Contains(t, string(data), tc.wantFile)
		})
	}
}

// TestDemoDays: --days makes a longer history, outcomes included.
func TestDemoDays(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := mustRun(t, dir, nil, "demo", "--clients", "40", "--days", "30", "--now", "2026-03-02T08:30:00Z", "--db", filepath.Join(dir, "sub.db"))
	require.Contains(t, r.stdout, "40 clients (1203 health readings)", "30 a client (the first 40 clients' stories end now), and three that make no sense")
	require.FileExists(t, filepath.Join(dir, "demo-outcomes.csv"), "beside the database")
}
