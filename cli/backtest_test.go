package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// backtestMonth writes and imports January 2026, as the backtest
// package's replay test works it out by hand: steady@ never drops; drop@
// falls 80 → 50 on Jan 11 (a case from Jan 12 to 18); twice@ dips to 65
// on Jan 5 and Jan 20 (two one-day cases); deal 7 idle since Dec 1 (a
// case from Jan 2 on); lead 3 waiting since Jan 10 10:00 (a case from Jan
// 11 on). It returns the path of an outcomes file.
func backtestMonth(t *testing.T, s store) string {
	t.Helper()
	var health strings.Builder
	health.WriteString("email,firstname,lastname,health_score,health_zone,calculated_at\n")
	for day := 1; day <= 30; day++ {
		drop, twice := 80, 80
		if day >= 11 {
			drop = 50
		}
		if day == 5 || day == 20 {
			twice = 65
		}
		for _, r := range []struct {
			email string
			score int
		}{{"steady@x.com", 80}, {"drop@x.com", drop}, {"twice@x.com", twice}} {
			fmt.Fprintf(&health, "%s,F,L,%d,GREEN,2026-01-%02d 06:00:00\n", r.email, r.score, day)
		}
	}
	files := map[string]string{
		"client_health_scores": health.String(),
		"deals":                "id,name,stage,amount,created_at,updated_at,last_activity_date\n7,Team Bootcamp - Acme,Proposal,1000,2025-11-01,2025-12-01,2025-12-01\n",
		"leads":                "id,name,email,created_at,status,source\n3,Sara Khan,sara@x.net,2026-01-10 10:00:00,new,Website\n",
	}
	for table, body := range files {
		path := filepath.Join(s.dir, table+".csv")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		mustRun(t, s.dir, nil, "import", table, path, "--db", s.url)
	}
	outcomes := filepath.Join(s.dir, "outcomes.csv")
	require.NoError(t, os.WriteFile(outcomes, []byte("key,at\nDrop@X.com,2026-01-20\nsteady@x.com,2026-01-25\ndeal-7,2026-01-15\nlead-3,2026-02-01\n"), 0o600))
	return outcomes
}

func TestBacktestGolden(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			outcomes := backtestMonth(t, s)
			r := mustRun(t, s.dir, nil, "backtest", "--db", s.url, "--from", "2026-01-02", "--to", "2026-01-25", "--outcomes", outcomes)
			golden := filepath.Join("testdata", "backtest.golden")
			if *update && s.name == "sqlite" {
				require.NoError(t, os.WriteFile(golden, []byte(r.stdout), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./cli -update to create it")
			require.Equal(t, string(want), r.stdout)
			require.Empty(t, r.stderr)

			// Without outcomes: the outcome figures are nulls, and the
			// coarser step misses twice@'s second dip.
			j := mustRun(t, s.dir, nil, "backtest", "--db", s.url, "--from", "2026-01-02", "--to", "2026-01-25", "--step", "48h",
				"--checks", " health_drop ,health_drop", "--json")
			var got struct {
				From, To, Step string
				Steps          int
				Checks         map[string]map[string]any
			}
			require.NoError(t, json.Unmarshal([]byte(j.stdout), &got), j.stdout)
			require.Equal(t, "2026-01-02T00:00:00Z", got.From)
			require.Equal(t, "2d", got.Step)
			require.Equal(t, 12, got.Steps)
			require.Equal(t, map[string]map[string]any{"health_drop": {
				"alerts": 4.0, "cases_opened": 2.0, "entities": 2.0, "still_open": 0.0, "median_open_hours": 96.0,
				"precision": nil, "recall": nil, "median_lead_days": nil, "hits": nil, "outcomes_considered": nil,
			}}, got.Checks)

			// Nothing was written: the desk is empty, no alert was stored.
			cases := mustRun(t, s.dir, nil, "cases", "--state", "all", "--json", "--db", s.url)
			require.JSONEq(t, "[]", strings.TrimSpace(cases.stdout))
			alerts := mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", "2026-01-25T00:00:00Z")
			require.JSONEq(t, "[]", strings.TrimSpace(alerts.stdout))
		})
	}
}

func TestBacktestRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd.db")
	mustRun(t, dir, nil, "migrate", "--db", db)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	badHeader := write("header.csv", "email,date\na@x.com,2026-01-01\n")
	badDate := write("date.csv", "key,at\na@x.com,2026-01-01\nb@x.com,01/02/2026\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no from", []string{"--to", "2026-01-02"}, 2, "--from is required"},
		{"bad from", []string{"--from", "Jan 1", "--to", "2026-01-02"}, 2, `--from "Jan 1" is not a date: write it as 2025-12-10`},
		{"to before from", []string{"--from", "2026-01-02", "--to", "2026-01-01"}, 2, "--to 2026-01-01 is before --from 2026-01-02: give an end on or after the start"},
		{"zero step", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--step", "0"}, 2, "--step: duration \"0\": use a positive number of days such as 14d"},
		{"negative step", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--step", "-1h"}, 2, "--step"},
		{"unknown check", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--checks", "health_drop,churn"}, 2,
			`--checks: unknown alert type "churn": use health_drop, deal_stall`},
		{"no check", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--checks", " , "}, 2, "--checks names no check"},
		{"coach without owner", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--checks", "health_drop,coach_workload"}, 2,
			"--checks lists coach_workload but columns.client_owner is not set: name the column of client_health_scores"},
		{"missing outcomes", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--outcomes", filepath.Join(dir, "nope.csv")}, 1, "nope.csv does not exist: check the path"},
		{"outcomes header", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--outcomes", badHeader}, 1, "line 1: the header is \"email,date\": it must be key,at"},
		{"outcomes date", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--outcomes", badDate}, 1, `line 3: at "01/02/2026" is not a date`},
		{"outcomes directory", []string{"--from", "2026-01-01", "--to", "2026-01-02", "--outcomes", dir}, 1, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, dir, nil, append([]string{"backtest", "--db", db}, tc.args...)...)
			require.Equal(t, tc.code, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Empty(t, r.stdout)
		})
	}
	// A database that does not exist is not created.
	r := run(t, dir, nil, "backtest", "--db", filepath.Join(dir, "missing.db"), "--from", "2026-01-01", "--to", "2026-01-02")
	require.Equal(t, 1, r.code, r.stderr)
	require.NoFileExists(t, filepath.Join(dir, "missing.db"))
}

func TestBacktestCheckErrorOnce(t *testing.T) {
	t.Parallel()
	s := stores(t)[0]
	backtestMonth(t, s)
	// The owner column is configured but not in the table: coach_workload
	// fails at every step (CONTRACT §11.1) and says so once.
	cfg := filepath.Join(s.dir, "coach.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("columns: {client_owner: coach}\n"), 0o600))
	r := mustRun(t, s.dir, nil, "backtest", "--db", s.url, "--config", cfg, "--from", "2026-01-02", "--to", "2026-01-25", "--checks", "health_drop,coach_workload")
	require.Equal(t, 1, strings.Count(r.stderr, "could not run"), r.stderr)
	require.Contains(t, r.stderr, "could not run at 24 of 24 scans (first at 2026-01-02T00:00:00Z)")
	require.Contains(t, r.stdout, "Coach workload (coach_workload)")
}
