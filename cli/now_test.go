package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// nowArgs are the arguments each command with --now runs with below (the
// case, alert and silence they name need not exist: a missing one is exit
// 1, never the usage error a bad --now is).
var nowArgs = map[string][]string{
	"dismiss":        {"3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10"},
	"alerts show":    {"3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10"},
	"case":           {"health_drop:nobody@example.com"},
	"ack":            {"health_drop:nobody@example.com"},
	"snooze":         {"health_drop:nobody@example.com", "--for", "3d"},
	"assign":         {"health_drop:nobody@example.com", "Ann"},
	"comment":        {"health_drop:nobody@example.com", "called"},
	"resolve":        {"health_drop:nobody@example.com"},
	"silence add":    {"--match", "*@example.com", "--for", "1d", "--reason", "test"},
	"silence expire": {"3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10"},
	"client":         {"nobody@example.com"},
}

// TestEveryNowTakesImportsTimestampForms: every command that has --now
// reads it in import's forms, and refuses anything else as a usage error
// naming --now.
func TestEveryNowTakesImportsTimestampForms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd-proactive.db")
	mustRun(t, dir, nil, "migrate", "--db", db)

	var withNow []string
	for _, c := range commands {
		if _, ok := helpFlags(t, c)["now"]; ok {
			withNow = append(withNow, c)
		}
	}
	require.Subset(t, withNow, []string{"scan", "alerts", "alerts show", "dismiss", "demo", "doctor", "cases", "case", "ack", "snooze",
		"assign", "comment", "resolve", "silence add", "silence list", "silence expire", "client", "bench"})

	for _, c := range withNow {
		args := append(strings.Fields(c), nowArgs[c]...)
		args = append(args, "--db", db)
		for _, form := range []string{"2025-12-10T09:30:00Z", "2025-12-10T11:30:00+02:00", "2025-12-10 09:30:00", "2025-12-10"} {
			r := run(t, dir, nil, append(args, "--now", form)...)
			require.NotContains(t, r.stderr, "is not a time", "%s --now %q", c, form)
			if c != "bench" { // bench then says it needs PostgreSQL
				require.NotEqual(t, 2, r.code, "%s --now %q: %s", c, form, r.stderr)
			}
		}
		r := run(t, dir, nil, append(args, "--now", "10/12/2025")...)
		require.Equal(t, 2, r.code, "%s: %s", c, r.stderr)
		require.Contains(t, r.stderr, `--now "10/12/2025" is not a time: write it as RFC 3339`, c)
		r = run(t, dir, []string{"PTD_NOW=10/12/2025"}, args...)
		require.Equal(t, 2, r.code, "%s: %s", c, r.stderr)
	}

	// The time read is the one used: a date is midnight UTC.
	r := mustRun(t, dir, nil, "silence", "add", "--match", "x*", "--for", "1d", "--reason", "r", "--now", "2025-12-10", "--json", "--db", db)
	var sil struct {
		StartsAt string `json:"starts_at"`
		EndsAt   string `json:"ends_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sil), r.stdout)
	require.Equal(t, "2025-12-10T00:00:00Z", sil.StartsAt)
	require.Equal(t, "2025-12-11T00:00:00Z", sil.EndsAt)
	resp := scanJSONAt(t, dir, db, "2025-12-10 09:30:00")
	require.Equal(t, "2025-12-10T09:30:00Z", resp)
}

// scanJSONAt runs a dry-run scan at now and returns the time it says it
// ran at.
func scanJSONAt(t *testing.T, dir, db, now string) string {
	t.Helper()
	r := mustRun(t, dir, nil, "scan", "--dry-run", "--json", "--now", now, "--db", db)
	var res struct {
		Now string `json:"now"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	return res.Now
}
