package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestScanNowInThePastSeesTheTablesAsTheyStood: a scan --now two days ago
// sees no row written since (CONTRACT §12's as-of rule): a lead created
// yesterday is not "in the future" then, nor waiting; one created after
// the real clock still is in the future, as in a live scan.
func TestScanNowInThePastSeesTheTablesAsTheyStood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd-proactive.db")
	wall := time.Now().UTC()
	at := wall.Add(-48 * time.Hour).Truncate(time.Second)
	stamp := func(t time.Time) string { return t.Format(time.RFC3339) }
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	mustRun(t, dir, nil, "migrate", "--db", db)
	mustRun(t, dir, nil, "import", "leads", write("leads.csv", "id,name,email,created_at,status,source,last_contact_date\n"+
		"1,Waiting then,a@example.com,"+stamp(at.Add(-30*time.Hour))+",contacted,web,"+stamp(wall.Add(-time.Hour))+"\n"+
		"2,Created since,b@example.com,"+stamp(wall.Add(-24*time.Hour))+",new,web,\n"+
		"3,In the future,c@example.com,"+stamp(wall.Add(6*time.Hour))+",new,web,\n"), "--db", db)
	mustRun(t, dir, nil, "import", "client_health_scores", write("health.csv", "email,health_score,health_zone,calculated_at\n"+
		"d@example.com,90,GREEN,"+stamp(at.Add(-24*time.Hour))+"\n"+
		"d@example.com,50,RED,"+stamp(wall.Add(-time.Hour))+"\n"), "--db", db)

	type scanned struct {
		Breakdown map[string]int `json:"breakdown"`
		Skipped   []struct {
			Monitor, Reason string
			Count           int
		} `json:"skipped_rows"`
	}
	scan := func(args ...string) scanned {
		r := mustRun(t, dir, nil, append([]string{"scan", "--dry-run", "--json", "--db", db}, args...)...)
		var s scanned
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), r.stdout)
		return s
	}
	future := func(s scanned) map[string]int {
		out := map[string]int{}
		for _, k := range s.Skipped {
			if k.Reason == "timestamp in the future" {
				out[k.Monitor] += k.Count
			}
		}
		return out
	}
	past := scan("--now", stamp(at))
	require.Equal(t, map[string]int{"checkLeadResponseTimes": 1}, future(past), "only the lead after the real clock")
	require.Equal(t, 1, past.Breakdown["response_delays"], "the lead contacted since waited then")
	require.Equal(t, 0, past.Breakdown["health_drops"], "the reading since is not there")

	live := scan()
	require.Equal(t, map[string]int{"checkLeadResponseTimes": 1}, future(live))
	require.Equal(t, 1, live.Breakdown["response_delays"], "the lead created since waits now")
	require.Equal(t, 1, live.Breakdown["health_drops"])
}
