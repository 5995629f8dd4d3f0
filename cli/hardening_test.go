package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// requireTerminalSafe fails when out holds a byte a terminal would obey: a
// C0 control other than newline and tab, DEL, a C1 control, or bytes that
// are not UTF-8.
func requireTerminalSafe(t *testing.T, out string) {
	t.Helper()
	require.True(t, utf8.ValidString(out), "output is not UTF-8: %q", out)
	for _, r := range out {
		if r == '\n' || r == '\t' {
			continue
		}
		require.False(t, r < 0x20 || (r >= 0x7f && r <= 0x9f), "output holds control character %U: %q", r, out)
	}
}

// sgr matches the escape sequences termtext.Style writes.
var sgr = regexp.MustCompile(`\x1b\[(?:[01];\d\d)?m|\x1b\[0m`)

// alertIDOf returns the id of the active alert of type typ.
func alertIDOf(t *testing.T, dir, db, now, typ string) string {
	t.Helper()
	r := mustRun(t, dir, nil, "alerts", "--json", "--type", typ, "--now", now, "--db", db)
	var alerts []struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts), r.stdout)
	require.Len(t, alerts, 1, r.stdout)
	return alerts[0].ID
}

// TestTextOutputEscapesControlCharacters: names in the data that hold
// terminal control sequences are printed escaped by every text output, so
// that a lead named "ESC[2J…" cannot clear the operator's screen; JSON
// output keeps the data as it is.
func TestTextOutputEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd.db")
	files := map[string]string{
		"leads": `{"id": "1", "name": "\u001b[2J\u001b[HAll clear\u0007", "email": "x@example.com", "status": "new", "created_at": "2025-12-09T10:00:00Z"}` + "\n" +
			`{"id": "2", "name": "Ana\u009b31m Red", "email": "ana@example.com", "status": "new", "created_at": "2025-12-10T02:00:00Z"}` + "\n",
		"deals": `{"id": "7", "name": "Deal\r\u001b]0;pwned\u0007", "stage": "Proposal", "amount": 100, "updated_at": "2025-11-01T00:00:00Z"}` + "\n",
	}
	for table, body := range files {
		path := filepath.Join(dir, table+".ndjson")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		mustRun(t, dir, nil, "import", table, path, "--db", db)
	}
	const now = "2025-12-10T12:00:00Z"
	for _, args := range [][]string{
		{"scan", "--now", now},
		{"alerts", "--now", now},
		{"scan", "--now", now}, // the duplicates' report
		{"cases", "--now", now},
		{"case", "deal_stall:deal-7", "--now", now},
		{"client", "x@example.com", "--now", now},
		{"comment", "deal_stall:deal-7", "called \x1b[2J", "--now", now},
		{"assign", "deal_stall:deal-7", "Ann\x1b[2J", "--now", now},
		{"case", "deal_stall:deal-7", "--now", now}, // the note and owner
	} {
		r := mustRun(t, dir, nil, append(args, "--db", db, "--log-level", "error")...)
		requireTerminalSafe(t, r.stdout)
		requireTerminalSafe(t, r.stderr)
		switch args[0] {
		case "client":
			require.Contains(t, r.stdout, `\x1b[2J\x1b[HAll clear\a`)
			continue
		case "comment":
			continue
		case "assign":
			require.Contains(t, r.stdout, `Ann\x1b[2J`)
			continue
		}
		require.Contains(t, r.stdout, `Deal\r\x1b]0;pwned\a`, "%v: the name is shown, escaped", args)
		if args[0] == "scan" {
			require.Contains(t, r.stdout, `\x1b[2J\x1b[HAll clear\a`)
			require.Contains(t, r.stdout, `Ana\u009b31m Red`)
		}
	}

	// In colour, the data is escaped the same way: the only escapes left
	// are the style's own.
	alertID := alertIDOf(t, dir, db, now, "deal_stall")
	for _, args := range [][]string{
		{"scan", "--dry-run", "--now", now},
		{"alerts", "--now", now},
		{"alerts", "show", alertID, "--now", now},
		{"cases", "--now", now},
		{"case", "deal_stall:deal-7", "--now", now},
		{"client", "x@example.com", "--now", now},
		{"doctor", "--now", now},
	} {
		r := mustRun(t, dir, nil, append(args, "--db", db, "--color", "always")...)
		require.Contains(t, r.stdout, "\x1b[", "%v: in colour", args)
		plain := sgr.ReplaceAllString(r.stdout, "")
		requireTerminalSafe(t, plain)
		switch args[0] {
		case "doctor":
		case "client":
			require.Contains(t, plain, `\x1b[2J\x1b[HAll clear\a`)
		default:
			require.Contains(t, plain, `Deal\r\x1b]0;pwned\a`, "%v: the name is shown, escaped", args)
		}
	}

	// JSON output stays as it is: the names decode to what was imported.
	r := mustRun(t, dir, nil, "alerts", "--json", "--now", now, "--db", db)
	var alerts []struct {
		Title string `json:"title"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts))
	var titles []string
	for _, a := range alerts {
		titles = append(titles, a.Title)
	}
	require.Contains(t, strings.Join(titles, "\n"), "Deal Stalled: Deal\r\x1b]0;pwned\x07")

	// Errors quote what they name safely too.
	r = run(t, dir, nil, "scan", "--db", filepath.Join(dir, "no\x1b[2Jdir", "x.db"))
	require.Equal(t, 1, r.code, r.stderr)
	requireTerminalSafe(t, r.stderr)
	require.Contains(t, r.stderr, `no\x1b[2Jdir`)
}

// TestNoPasswordInAnyOutput: a PostgreSQL password never shows in what a
// command prints (errors, logs in either format, doctor), wherever it sits
// in --db: the user information, a password= query parameter, the
// key=value form, in a URL that parses or not, given as a flag or in the
// environment.
func TestNoPasswordInAnyOutput(t *testing.T) {
	t.Parallel()
	const pw = "Pw9hunter2Q"
	dir := t.TempDir()
	urls := []string{
		"postgres://u@127.0.0.1:1/x?password=" + pw + "&sslmode=bogus",
		"postgres://u@127.0.0.1:1/x?sslmode=disable&password=" + pw + "&connect_timeout=bogus",
		"postgres://u@127.0.0.1:1/x?sslpassword=" + pw + "&sslmode=bogus",
		"postgres://u:" + pw + "@127.0.0.1:1/x?sslmode=bogus",
		"postgres://u:" + pw + "@127.0.0.1:1/x?sslmode=disable",
		"postgres://u@127.0.0.1:1/x?sslmode=disable&password=" + pw,
		"postgres://u:" + pw[:4] + "/" + pw[4:] + "@127.0.0.1:1/x",
		"postgresql://u:" + pw + "@[::1:1/x",
		"host=127.0.0.1 port=1 user=u password=" + pw + " dbname=x",
		"host=127.0.0.1 password = '" + pw + "' dbname=x",
	}
	for _, u := range urls {
		for _, args := range [][]string{
			{"alerts"}, {"doctor"}, {"scan", "--log-format", "json"}, {"notifications", "--log-level", "debug"},
		} {
			t.Run(args[0]+" "+u, func(t *testing.T) {
				r := run(t, dir, nil, append(args, "--db", u)...)
				require.NotEqual(t, 0, r.code, "the database cannot be used")
				require.NotEmpty(t, r.stderr, "an error says why")
				require.NotContains(t, r.stdout+r.stderr, pw)
				require.NotContains(t, r.stdout+r.stderr, pw[4:], "not even the part after an unescaped /")
				r = run(t, dir, []string{"PTD_DATABASE_URL=" + u}, args...)
				require.NotEqual(t, 0, r.code)
				require.NotContains(t, r.stdout+r.stderr, pw)
			})
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "no SQLite file named after a connection string")
}

// TestReadCommandsNeedAnExistingDatabase: a mistyped SQLite path is an
// error for the commands that read (exit 1, naming the file and the way
// out), never a new empty database reporting an all-clear; the commands
// that set up or fill a database still create it.
func TestReadCommandsNeedAnExistingDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	typo := filepath.Join(dir, "ptd-proactiv.db")
	for _, args := range [][]string{
		{"alerts"},
		{"alerts", "--json"},
		{"doctor"},
		{"dismiss", "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10"},
		{"notifications"},
		{"notifications", "retry", "--all"},
		{"cases"},
		{"cases", "--csv"},
		{"case", "health_drop:jane@example.com"},
		{"ack", "jane@example.com"},
		{"snooze", "health_drop:jane@example.com", "--for", "1d"},
		{"assign", "health_drop:jane@example.com", "Ann"},
		{"comment", "health_drop:jane@example.com", "called"},
		{"resolve", "health_drop:jane@example.com"},
		{"silence", "add", "--match", "x", "--for", "1d", "--reason", "r"},
		{"silence", "list"},
		{"silence", "expire", "0123456789"},
		{"client", "jane@example.com"},
	} {
		for _, db := range []string{typo, "sqlite:" + typo} {
			r := run(t, dir, nil, append(args, "--db", db)...)
			require.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
			require.Contains(t, r.stderr, "the SQLite database "+typo+" does not exist", args)
			require.Contains(t, r.stderr, "check the path given to --db", args)
			require.Contains(t, r.stderr, "ptd-proactive migrate", args)
			require.NotContains(t, r.stdout, "No active alerts")
			require.NoFileExists(t, typo, "%v created the database", args)
		}
	}
	// The default database, missing in the working directory, too.
	r := run(t, dir, nil, "alerts")
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "ptd-proactive.db does not exist")
	require.NoFileExists(t, filepath.Join(dir, "ptd-proactive.db"))

	// The commands that set up or fill one create it; then reads work.
	for i, args := range [][]string{
		{"migrate"},
		{"scan", "--log-level", "error"},
		{"import", "leads", filepath.Join(dir, "leads.csv")},
		{"demo", "--clients", "40", "--log-level", "error"},
	} {
		db := filepath.Join(dir, fmt.Sprintf("new%d.db", i))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "leads.csv"), []byte("name\nA\n"), 0o600))
		mustRun(t, dir, nil, append(args, "--db", db)...)
		require.FileExists(t, db, "%v creates the database", args)
		r := mustRun(t, dir, nil, "alerts", "--db", db)
		require.NotEmpty(t, r.stdout)
	}
}

// TestScanInTheFutureStillNotifies: a scan evaluated at a --now after the
// wall clock stores its alerts at that now, yet queues their notifications
// due now, so they are delivered before the scan exits (they used to wait,
// silently, until that future moment).
func TestScanInTheFutureStillNotifies(t *testing.T) {
	t.Parallel()
	hook := &receiver{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	env := []string{"PTD_WEBHOOK_URL=" + srv.URL + "/ptd"}
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd.db")
	future := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
	leads := fmt.Sprintf("id,name,email,created_at,status\n1,Ola Berg,ola@example.com,%s,new\n", future.Add(-30*time.Hour).Format(time.RFC3339))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "leads.csv"), []byte(leads), 0o600))
	mustRun(t, dir, env, "import", "leads", filepath.Join(dir, "leads.csv"), "--db", db)

	r := mustRun(t, dir, env, "scan", "--now", future.Format(time.RFC3339), "--db", db, "--json", "--notify-timeout", "10s")
	var res scanResponse
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.Equal(t, 1, res.AlertsSaved)
	require.Equal(t, 1, hook.count(), "delivered before the scan exits: %s", r.stderr)

	r = mustRun(t, dir, env, "alerts", "--json", "--now", future.Format(time.RFC3339), "--db", db)
	var alerts []struct {
		CreatedAt time.Time `json:"created_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts))
	require.Len(t, alerts, 1)
	require.True(t, alerts[0].CreatedAt.Equal(future), "the alert keeps the scan's now (CONTRACT §1): %s", alerts[0].CreatedAt)
}
