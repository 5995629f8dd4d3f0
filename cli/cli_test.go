package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/cli"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/rules"
)

func TestNoCommandIsAUsageError(t *testing.T) {
	t.Parallel()
	r := run(t, t.TempDir(), nil)
	require.Equal(t, 2, r.code)
	require.Empty(t, r.stdout, "the help goes to stderr")
	require.Contains(t, r.stderr, "Available Commands:")
	require.Contains(t, r.stderr, "no command given")

	for _, args := range [][]string{{"--help"}, {"help"}, {"scan", "--help"}} {
		r = run(t, t.TempDir(), nil, args...)
		require.Equal(t, 0, r.code, "%v asks for help: %s", args, r.stderr)
		require.Contains(t, r.stdout, "Usage:")
	}
}

// A usage error shows where the input belongs: the command's usage line
// (an argument to a command that takes flags only, an unknown flag), the
// command of that name when the argument is one, and which --help to read.
func TestUnexpectedArgumentShowsTheUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"silence", "add", "deal_stall:*"}, []string{`unexpected argument "deal_stall:*"`, "ptd-proactive silence add --match GLOB"}},
		{[]string{"cases", "ack"}, []string{`unexpected argument "ack"`, "ptd-proactive cases takes flags only", "did you mean 'ptd-proactive ack'?"}},
		{[]string{"scan", "now"}, []string{`unexpected argument "now"`, "ptd-proactive scan takes flags only\nUsage: ptd-proactive scan [flags]\nRun 'ptd-proactive scan --help' for more."}},
		{[]string{"assign", "a225a2bb", "--owner", "Ines"}, []string{"unknown flag: --owner\nUsage: ptd-proactive assign ID|KEY OWNER [flags]\n"}},
		{[]string{"bogus"}, []string{"unknown command \"bogus\" for \"ptd-proactive\"\nRun 'ptd-proactive --help' for more."}},
		{[]string{"scna"}, []string{"did you mean scan?"}},
		{[]string{"doctr"}, []string{"did you mean doctor?"}},
	} {
		r := run(t, t.TempDir(), nil, tc.args...)
		require.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
		for _, w := range tc.want {
			require.Contains(t, r.stderr, w, "%v", tc.args)
		}
		if tc.args[0] == "scan" {
			require.NotContains(t, r.stderr, "did you mean", "no command is named now")
		}
	}
}

// A flag (or its environment variable) with a value of the wrong kind is
// a usage error that says what the flag takes, not the parser's words.
func TestEnvValueErrorsSayWhatToUse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"PTD_JSON=maybe", []string{"scan"}, `environment variable PTD_JSON="maybe" is not a valid value for --json: use true or false`},
		{"PTD_LIMIT=ten", []string{"alerts"}, `environment variable PTD_LIMIT="ten" is not a valid value for --limit: use a whole number`},
		{"PTD_NOTIFY_TIMEOUT=soon", []string{"scan"}, `PTD_NOTIFY_TIMEOUT="soon" is not a valid value for --notify-timeout: use a duration such as 90s, 15m or 2h`},
		// The same on the command line.
		{"", []string{"alerts", "--limit", "ten"}, `--limit "ten": use a whole number`},
		{"", []string{"scan", "--json=maybe"}, `--json "maybe": use true or false`},
	} {
		var env []string // "": the value is on the command line
		if tc.env != "" {
			env = []string{tc.env}
		}
		r := run(t, t.TempDir(), env, tc.args...)
		require.Equal(t, 2, r.code, "%s %v: %s", tc.env, tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want)
		require.NotContains(t, r.stderr, "strconv")
	}
}

// The alerts' --type help names every registered check, not the first four.
func TestAlertsTypeHelpNamesEveryCheck(t *testing.T) {
	t.Parallel()
	r := mustRun(t, t.TempDir(), nil, "alerts", "--help")
	for _, typ := range rules.Registry().Types() {
		require.Contains(t, r.stdout, string(typ), "alerts --help")
	}
}

func TestDatabaseThatIsNotOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("my notes\n"), 0o600))
	sub := filepath.Join(dir, "data")
	require.NoError(t, os.Mkdir(sub, 0o700))

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"directory", []string{"scan", "--db", sub}, 1, "is a directory: give the path of a database file, such as " + filepath.Join(sub, "ptd-proactive.db")},
		{"directory as sqlite: URL", []string{"alerts", "--db", "sqlite:" + sub}, 1, "is a directory"},
		{"a text file", []string{"scan", "--db", notes}, 1, "not a SQLite database"},
		{"a text file, doctor", []string{"doctor", "--db", notes}, 1, "not a SQLite database"},
		{"another kind of database", []string{"scan", "--db", "mysql://root:hunter2@db.example.com/shop"}, 2, `unsupported database "mysql://"`},
		{"reset refuses to delete a text file", []string{"demo", "--reset", "--db", notes}, 1, "not a SQLite database, so it is not deleted"},
		{"reset refuses to delete a directory", []string{"demo", "--reset", "--db", sub}, 1, "is a directory"},
		{"too few demo clients", []string{"demo", "--clients", "5", "--db", filepath.Join(dir, "d.db")}, 2, "use 40 to 1000000"},
		{"too short a demo history", []string{"demo", "--days", "7", "--db", filepath.Join(dir, "d.db")}, 2, "--days 7: use 14 to 3660"},
		{"config is a directory", []string{"scan", "--config", sub, "--db", filepath.Join(dir, "x.db")}, 1, "config file " + sub + " cannot be read (is a directory)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, dir, nil, tc.args...)
			require.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.NotContains(t, r.stderr, "panic")
			require.NotContains(t, r.stderr, "hunter2", "a password in --db is never printed")
		})
	}
	data, err := os.ReadFile(notes)
	require.NoError(t, err)
	require.Equal(t, "my notes\n", string(data), "the text file is left as it was")
	require.DirExists(t, sub)
	entries, err := os.ReadDir(sub)
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestImportOddInput(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			write := func(name, body string) string {
				p := filepath.Join(s.dir, name)
				require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
				return p
			}
			// Usage errors: the format cannot be told.
			r := run(t, s.dir, nil, "import", "leads", write("leads.txt", "name\nA\n"), "--db", s.url)
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, "pass --format csv or --format ndjson")
			r = run(t, s.dir, nil, "import", "leads", "-", "--db", s.url)
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, "standard input has no file name to tell its format from")
			r = run(t, s.dir, nil, "import", "leads", write("l.csv", "name\nA\n"), "--format", "xml", "--db", s.url)
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, `unknown format "xml"`)

			r = run(t, s.dir, nil, "import", "leads", "", "--db", s.url)
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, "FILE is empty")

			// A directory is not a file.
			dir := filepath.Join(s.dir, "export.csv")
			require.NoError(t, os.Mkdir(dir, 0o700))
			r = run(t, s.dir, nil, "import", "leads", dir, "--db", s.url)
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, "is a directory: give the path of a CSV or NDJSON file")

			// Empty files import nothing and succeed.
			for _, name := range []string{"empty.csv", "empty.ndjson"} {
				r = mustRun(t, s.dir, nil, "import", "leads", write(name, ""), "--db", s.url)
				require.Contains(t, r.stdout, "Imported 0 rows into leads.")
			}

			// NDJSON: the physical line (blank lines count), the column and the value.
			nd := write("leads.ndjson", "{\"id\": \"1\", \"name\": \"A\", \"created_at\": \"2025-12-10 04:00\"}\n\n"+
				"{\"id\": \"2\", \"created_at\": \"soon\"}\n{\"id\": \"3\", \"name\": \"\xff\"}\n{\"id\": \"4\", \"status\": \"new\"}\n")
			r = run(t, s.dir, nil, "import", "leads", nd, "--db", s.url)
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, `line 3, column created_at, value "\"soon\"": not a timestamp`)
			require.Equal(t, 0, tableRows(t, s, "leads"))

			r = mustRun(t, s.dir, nil, "import", "leads", nd, "--db", s.url, "--skip-invalid", "--json")
			res := decodeImport(t, r.stdout)
			require.Equal(t, 2, res.Imported)
			require.Len(t, res.Skipped, 2)
			require.Equal(t, 3, res.Skipped[0].Line)
			require.Equal(t, "created_at", res.Skipped[0].Column)
			require.Equal(t, 4, res.Skipped[1].Line)
			require.Contains(t, res.Skipped[1].Reason, "not UTF-8")
			require.Equal(t, 2, tableRows(t, s, "leads"))

			// The same ids again: nothing is written, and the message says why and what to do.
			r = run(t, s.dir, nil, "import", "leads", nd, "--db", s.url, "--skip-invalid")
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, "nothing was imported")
			require.Contains(t, r.stderr, "an id in the file is already stored")
			require.Equal(t, 2, tableRows(t, s, "leads"))

			// Standard input, with --format; a huge value is fine.
			huge := strings.Repeat("x", 1<<20)
			r = runStdin(t, s.dir, "id,name,email,status\n10,"+huge+",b@example.com,new\n", "import", "leads", "-", "--format", "csv", "--db", s.url)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "Imported 1 row into leads.")
			require.Equal(t, 3, tableRows(t, s, "leads"))

			// Rows dated in the future go in, and the import says the
			// checks will skip them and why that happens.
			ahead := time.Now().UTC().Add(150 * time.Minute).Format("2006-01-02 15:04:05")
			r = mustRun(t, s.dir, nil, "import", "leads", write("ahead.csv", "name,created_at\nA,"+ahead+"\nB,2025-01-01\n"), "--db", s.url)
			require.Contains(t, r.stdout, "Imported 2 rows into leads.\n1 row is dated in the future, up to 2 hours ahead: the checks skip it until then.")
			require.Contains(t, r.stdout, "A timestamp without an offset is read as UTC")
			require.Equal(t, 5, tableRows(t, s, "leads"))
		})
	}
}

func TestAlertsOrderAndFilters(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			files := map[string]string{
				// One client drops 11 points: medium.
				"client_health_scores": "email,firstname,lastname,health_score,health_zone,calculated_at\n" +
					"kim@example.com,Kim,Ng,80,GREEN,2025-12-09 06:00:00\nkim@example.com,Kim,Ng,69,YELLOW,2025-12-10 06:00:00\n",
				// One deal idle for 22 days: high.
				"deals": "id,name,stage,amount,updated_at\n7,Team Bootcamp - Acme,Proposal,900,2025-11-18 12:00:00\n",
				// Five failures in the last day: critical.
				"sync_errors": "id,error_type,source,created_at\n1,rate_limit,hubspot,2025-12-10 07:00:00\n2,rate_limit,hubspot,2025-12-10 08:00:00\n" +
					"3,rate_limit,hubspot,2025-12-10 09:00:00\n4,rate_limit,hubspot,2025-12-10 10:00:00\n5,rate_limit,hubspot,2025-12-10 11:00:00\n",
			}
			for table, body := range files {
				path := filepath.Join(s.dir, table+".csv")
				require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
				mustRun(t, s.dir, nil, "import", table, path, "--db", s.url)
			}
			require.Equal(t, 3, scanJSON(t, s, "--now", "2025-12-10T12:00:00Z").AlertsSaved)
			// A lead arrives later and waits 7 h: a medium alert, newer than the health one.
			path := filepath.Join(s.dir, "leads.csv")
			require.NoError(t, os.WriteFile(path, []byte("id,name,email,created_at,status\n9,Ola Berg,ola@example.com,2025-12-10 10:00:00,new\n"), 0o600))
			mustRun(t, s.dir, nil, "import", "leads", path, "--db", s.url)
			later := "2025-12-10T17:00:00Z"
			require.Equal(t, 1, scanJSON(t, s, "--now", later).AlertsSaved)

			list := func(args ...string) []map[string]any {
				t.Helper()
				r := mustRun(t, s.dir, nil, append([]string{"alerts", "--json", "--db", s.url, "--now", later}, args...)...)
				var rows []map[string]any
				require.NoError(t, json.Unmarshal([]byte(r.stdout), &rows), r.stdout)
				return rows
			}
			types := func(rows []map[string]any) []string {
				var out []string
				for _, a := range rows {
					out = append(out, a["affected_entities"].(map[string]any)["type"].(string))
				}
				return out
			}
			all := list()
			require.Equal(t, []string{"sync_fail", "deal_stall", "response_delay", "health_drop"}, types(all),
				"critical > high > medium, then newest first")
			var prios []string
			for _, a := range all {
				prios = append(prios, a["priority"].(string))
				// JSON columns are objects, not strings.
				require.IsType(t, map[string]any{}, a["affected_entities"])
				require.IsType(t, map[string]any{}, a["source_data"])
				require.IsType(t, []any{}, a["action_items"])
			}
			require.Equal(t, []string{"critical", "high", "medium", "medium"}, prios)
			require.Equal(t, later, all[2]["created_at"])
			require.Equal(t, "2025-12-10T12:00:00Z", all[3]["created_at"])

			require.Equal(t, []string{"response_delay", "health_drop"}, types(list("--priority", "medium")))
			require.Equal(t, []string{"deal_stall"}, types(list("--type", "deal_stall")))
			require.Equal(t, []string{"sync_fail"}, types(list("--limit", "1")))
			require.Equal(t, []string{"sync_fail", "deal_stall"}, types(list("--limit", "2")))

			// The table lists the same order.
			r := mustRun(t, s.dir, nil, "alerts", "--db", s.url, "--now", later)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			require.Len(t, lines, 5, r.stdout)
			require.Contains(t, lines[0], "PRIORITY")
			for i, want := range []string{"HubSpot - rate_limit: 5 Sync Failures", "Deal Stalled: Team Bootcamp - Acme", "Lead Response Delay: Ola Berg", "Client Health Drop: Kim Ng (kim@example.com)"} {
				require.Contains(t, lines[i+1], want)
			}
			// Two days on, every alert has expired.
			r = mustRun(t, s.dir, nil, "alerts", "--db", s.url, "--now", "2025-12-13T12:00:00Z")
			require.Equal(t, "No active alerts.\n", r.stdout)
		})
	}
}

func TestDemoHasEveryAnomalyAtEverySeverity(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			const now = "2026-03-02T08:30:00Z"
			args := []string{"--db", s.url, "--now", now, "--log-level", "error"}
			first := mustRun(t, s.dir, nil, append([]string{"demo", "--clients", "40"}, args...)...)
			require.Contains(t, first.stdout, "40 clients")

			r := mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", now)
			var alerts []struct {
				AffectedEntities struct {
					Type string `json:"type"`
				} `json:"affected_entities"`
				SourceData struct {
					Primary struct {
						Severity string `json:"severity"`
					} `json:"primary_anomaly"`
					Related []struct {
						Severity string `json:"severity"`
					} `json:"related"`
				} `json:"source_data"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts), r.stdout)
			got := map[string]map[string]bool{}
			for _, a := range alerts {
				sev := map[string]bool{a.SourceData.Primary.Severity: true}
				for _, rel := range a.SourceData.Related {
					sev[rel.Severity] = true
				}
				got[a.AffectedEntities.Type] = sev
			}
			every := map[string]bool{"critical": true, "high": true, "medium": true}
			want := map[string]map[string]bool{
				"health_drop": every, "deal_stall": every, "sync_fail": every, "response_delay": every,
				"health_forecast": every, "health_anomaly": {"high": true, "medium": true},
				"renewal_risk": {"critical": true}, "coach_workload": {"high": true, "medium": true},
			}
			groups := 8
			if s.name == "postgres" {
				// migrate adds no column to a PostgreSQL table: the demo says
				// so and leaves coach_workload out.
				require.Contains(t, first.stdout, "columns.client_owner names the column coach, which table client_health_scores lacks")
				delete(want, "coach_workload")
				groups = 7
			}
			require.Contains(t, first.stdout, fmt.Sprintf("%d alert groups: %d alerts saved", groups, groups))
			require.Equal(t, want, got)

			// Again: the data is kept and the second scan stores no duplicates.
			second := mustRun(t, s.dir, nil, append([]string{"demo"}, args...)...)
			require.Contains(t, second.stdout, "source rows already in")
			require.Contains(t, second.stdout, fmt.Sprintf("No duplicates stored: all %d alert groups were already alerted", groups))
			r = mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", now)
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts))
			require.Len(t, alerts, groups)
		})
	}
}

func TestBench(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--db", filepath.Join(dir, "x.db")}, "bench needs a PostgreSQL --db"},
		{[]string{"bench", "--db", "postgres://u:hunter2@127.0.0.1:1/x", "--runs", "0"}, "--runs 0"},
		{[]string{"bench", "--db", "postgres://u:hunter2@127.0.0.1:1/x", "--scales", "1000,0"}, `--scales: scale "0": use small, medium, large, xlarge or a number of clients`},
		{[]string{"bench", "--db", "postgres://u:hunter2@127.0.0.1:1/x", "--variants", "low"}, `--variants "low": use typical or high`},
	} {
		r := run(t, dir, nil, tc.args...)
		require.Equal(t, 2, r.code, "%v: %s", tc.args, r.stderr)
		require.Contains(t, r.stderr, tc.want)
		require.NotContains(t, r.stderr, "hunter2")
	}

	admin := testdb.AdminURL(t)
	r := mustRun(t, dir, nil, "bench", "--db", admin, "--scales", "40", "--variants", "typical,high", "--sqlite-scales", "40", "--runs", "1")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 27, r.stdout)
	require.True(t, strings.HasPrefix(lines[0], "| scale | data | rows in windows | scan (median of 1) | wall |"), lines[0])
	require.Regexp(t, `^\| 40 \| typical \| \d+ \| \d+ ms \| \d+ ms \| [\d.]+ MB \| [\d.]+ M \| \d+ ms \| [\d.]+× \| [1-9]\d* \|$`, lines[2])
	require.Regexp(t, `^\| 40 \| high \| `, lines[3])
	require.True(t, strings.HasPrefix(lines[7], "| scale | data | store | open cases | without cases | dry run | steady scan |"), lines[7])
	require.Regexp(t, `^\| 40 \| typical \| PostgreSQL \| [1-9]\d* \| \d+ ms \| \d+ ms \| \d+ ms \| [\d.]+× \| \d+ ms \| [\d.]+× \|$`, lines[9])
	require.Regexp(t, `^\| 40 \| typical \| SQLite \| [1-9]\d* \| `, lines[10])
	require.Regexp(t, `^\| 40 \| high \| PostgreSQL \| `, lines[11])
	require.Regexp(t, `^\| 40 \| high \| SQLite \| `, lines[12])
	require.True(t, strings.HasPrefix(lines[16], "| scale | data | four checks | six checks | added |"), lines[16])
	require.Regexp(t, `^\| 40 \| typical \| \d+ ms \| \d+ ms \| [+-]\d+ ms \|$`, lines[18])
	require.True(t, strings.HasPrefix(lines[23], "| scale | data | PostgreSQL | SQLite | SQLite ÷ PostgreSQL |"), lines[23])
	require.Regexp(t, `^\| 40 \| typical \| \d+ ms \(\d+ ms\) \| \d+ ms \(\d+ ms\) \| [\d.]+× \| [\d.]+ MB \| yes \|$`, lines[25])
	require.Regexp(t, `^\| 40 \| high \| .* \| yes \|$`, lines[26])
	require.Contains(t, r.stderr, "40 (40 clients, typical data): generating data in database ptd_bench_40_typical_")

	// The generated database is dropped after.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var left int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname LIKE 'ptd\\_bench\\_40\\_%'").Scan(&left))
	require.Zero(t, left)
}

// panicWriter panics on every write.
type panicWriter struct{}

// Write panics.
func (panicWriter) Write([]byte) (int, error) { panic("boom") }

func TestMainReportsAPanicAsABug(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	code := cli.Main(context.Background(), cli.IO{Args: []string{"--help"}, Stdout: panicWriter{}, Stderr: &stderr})
	require.Equal(t, cli.ExitFailure, code, "a panic is not a usage error")
	require.Contains(t, stderr.String(), "internal error (a bug; please report it with what follows): boom")
	require.Contains(t, stderr.String(), "goroutine")
}

func TestImportShowsProgressOnATerminalOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "leads.csv")
	var body strings.Builder
	body.WriteString("name,email,status,created_at\n")
	for i := range 3000 {
		body.WriteString("Lead " + strings.Repeat("x", i%40) + ",lead@example.com,new,2025-12-10 04:00:00\n")
	}
	require.NoError(t, os.WriteFile(path, []byte(body.String()), 0o600))
	for _, terminal := range []bool{true, false} {
		var stdout, stderr strings.Builder
		code := cli.Main(context.Background(), cli.IO{
			Args:       []string{"import", "leads", path, "--db", filepath.Join(dir, "p.db"), "--log-level", "error"},
			Stdout:     &stdout,
			Stderr:     &stderr,
			IsTerminal: func(io.Writer) bool { return terminal },
		})
		require.Equal(t, 0, code, stderr.String())
		require.Equal(t, "Imported 3000 rows into leads.\n", stdout.String())
		if terminal {
			require.Contains(t, stderr.String(), "importing leads")
		} else {
			require.Empty(t, stderr.String(), "no bar when stderr is not a terminal")
		}
	}
}
