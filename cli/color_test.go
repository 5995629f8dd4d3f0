package cli_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/cli"
)

// mainIn runs cli.Main in this process with stdout a terminal or not and
// the given environment, and returns its exit status and output.
func mainIn(t *testing.T, terminal bool, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := cli.Main(context.Background(), cli.IO{
		Args:       args,
		Stdout:     &stdout,
		Stderr:     &stderr,
		Getenv:     func(k string) string { return env[k] },
		IsTerminal: func(io.Writer) bool { return terminal },
	})
	return code, stdout.String(), stderr.String()
}

// TestColourOnATerminalOnly: severities and headings are coloured on a
// terminal, not in a pipe, not with NO_COLOR (whatever its value), and as
// --color / PTD_COLOR say; never in JSON or CSV.
func TestColourOnATerminalOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "ptd-proactive.db")
	const now = "2026-11-27T10:00:00Z"
	mustRun(t, dir, nil, "demo", "--now", now, "--db", db)
	critical, bold := "\x1b[1;31mcritical\x1b[0m", "\x1b[1;39mPRIORITY\x1b[0m"

	for _, tc := range []struct {
		name     string
		terminal bool
		env      map[string]string
		flags    []string
		colour   bool
	}{
		{"terminal", true, nil, nil, true},
		{"pipe", false, nil, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"NO_COLOR=0 is set too", true, map[string]string{"NO_COLOR": "0"}, nil, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"--color never", true, nil, []string{"--color", "never"}, false},
		{"--color always in a pipe", false, nil, []string{"--color", "always"}, true},
		{"--color always beats NO_COLOR", false, map[string]string{"NO_COLOR": "1"}, []string{"--color", "always"}, true},
		{"PTD_COLOR=never", true, map[string]string{"PTD_COLOR": "never"}, nil, false},
		{"PTD_COLOR=always", false, map[string]string{"PTD_COLOR": "always"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := mainIn(t, tc.terminal, tc.env, append([]string{"alerts", "--db", db, "--now", now}, tc.flags...)...)
			require.Equal(t, 0, code, errOut)
			if tc.colour {
				require.Contains(t, out, critical)
				require.Contains(t, out, bold)
			} else {
				require.NotContains(t, out, "\x1b")
				require.Contains(t, out, "critical")
			}
		})
	}

	// Machine-readable output is never coloured, whatever --color says.
	for _, args := range [][]string{
		{"alerts", "--json", "--now", now}, {"alerts", "--csv", "--now", now}, {"cases", "--json"}, {"cases", "--csv"},
		{"scan", "--json", "--dry-run", "--now", now}, {"doctor", "--json", "--now", now}, {"silence", "list", "--json"},
		{"notifications", "--json"}, {"client", "ava.taylor271@example.com", "--json"}, {"version", "--json"},
	} {
		code, out, errOut := mainIn(t, true, nil, append(args, "--db", db, "--color", "always")...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		require.NotContains(t, out, "\x1b", "%v", args)
	}

	code, _, errOut := mainIn(t, true, nil, "alerts", "--db", db, "--color", "sometimes")
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, errOut, `--color "sometimes": use auto, always or never`)
}
