package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// TestTextOutputEscapesControlCharacters: names in the data that hold
// terminal control sequences are printed escaped by every text output, so
// that a lead named "ESC[2J…" cannot clear the operator's screen; JSON
// output keeps the data as it is.
func TestTextOutputEscapesControlCharacters(t *testing.T) {
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
	} {
		r := mustRun(t, dir, nil, append(args, "--db", db, "--log-level", "error")...)
		requireTerminalSafe(t, r.stdout)
		requireTerminalSafe(t, r.stderr)
		require.Contains(t, r.stdout, `Deal\r\x1b]0;pwned\a`, "%v: the name is shown, escaped", args)
		if args[0] == "scan" {
			require.Contains(t, r.stdout, `\x1b[2J\x1b[HAll clear\a`)
			require.Contains(t, r.stdout, `Ana\u009b31m Red`)
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
