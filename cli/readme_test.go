package cli_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

// commands are every command of the binary.
var commands = []string{"scan", "serve", "alerts", "alerts show", "dismiss", "migrate", "demo", "doctor", "import", "notifications", "notifications retry", "bench",
	"cases", "case", "ack", "snooze", "assign", "comment", "resolve", "silence add", "silence list", "silence expire", "client", "version", "backtest"}

// helpFlags returns the flags a command's --help lists, with their lines.
func helpFlags(t *testing.T, command string) map[string]string {
	t.Helper()
	r := mustRun(t, t.TempDir(), nil, append(strings.Fields(command), "--help")...)
	flags := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if m := regexp.MustCompile(`^\s+(?:-\w, )?--([a-z][a-z-]*)`).FindStringSubmatch(line); m != nil {
			flags[m[1]] = line
		}
	}
	require.NotEmpty(t, flags, command)
	return flags
}

// TestEveryFlagHasAnEnvironmentVariable checks CONTRACT §1's promise on
// every command's help: each flag names its variable.
func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		for name, line := range helpFlags(t, c) {
			if name == "help" {
				continue
			}
			want := "PTD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			switch name {
			case "db":
				want = "PTD_DATABASE_URL"
			case "read-db":
				want = config.EnvReadDatabaseURL
			}
			require.Contains(t, line, want, "%s --%s", c, name)
		}
	}
}

// TestReadmeIsTrue checks what README.md says of the command line: its
// command table lists real commands with their real flags, every flag it
// mentions exists, and every variable it names is read.
func TestReadmeIsTrue(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	readme := string(data)
	// The performance notes the README points to are held to the same
	// flags and variables.
	perf, err := os.ReadFile("../docs/PERFORMANCE.md")
	require.NoError(t, err)
	docs := readme + "\n" + string(perf)

	all := map[string]bool{}
	for _, c := range commands {
		flags := helpFlags(t, c)
		for f := range flags {
			all[f] = true
		}
		// The command table row of c lists only flags c has.
		row := regexp.MustCompile("(?m)^\\| `" + c + "\\b([^`]*)`").FindStringSubmatch(readme)
		require.NotNil(t, row, "README's command table has no row for %s", c)
		for _, m := range regexp.MustCompile(`--([a-z][a-z-]*)`).FindAllStringSubmatch(row[1], -1) {
			require.Contains(t, flags, m[1], "README: %s --%s", c, m[1])
		}
	}
	for f := range helpFlags(t, "") { // the program's own: --version
		all[f] = true
	}
	for _, m := range regexp.MustCompile("`[^`]*?--([a-z][a-z-]*)").FindAllStringSubmatch(docs, -1) {
		require.True(t, all[m[1]], "README or docs/PERFORMANCE.md mentions --%s, which no command has", m[1])
	}

	known := []string{"PTD_DATABASE_URL", "PTD_TEST_DATABASE_URL", "PTD_REQUIRE_POSTGRES", "PTD_REQUIRE_BROWSER", "PTD_BENCH_DATABASE_URL",
		testdb.EnvBinDir, testdb.EnvPgBouncer}
	ci, err := os.ReadFile("../.ci/run")
	require.NoError(t, err)
	if strings.Contains(string(ci), "PTD_FUZZTIME") {
		known = append(known, "PTD_FUZZTIME") // read by .ci/run
	}
	for f := range all {
		known = append(known, "PTD_"+strings.ToUpper(strings.ReplaceAll(f, "-", "_")))
	}
	for _, v := range []string{config.EnvSchedule, config.EnvAddr, config.EnvAPIToken, config.EnvSlackWebhookURL, config.EnvSMTPURL,
		config.EnvEmailFrom, config.EnvEmailTo, config.EnvWebhookURL, config.EnvWebhookSecret, config.EnvPGMaxConns, config.EnvPGStatementTimeout,
		config.EnvReadDatabaseURL, config.EnvPGMaxReplicaLag} {
		known = append(known, v, v+config.FileSuffix)
	}
	for _, v := range regexp.MustCompile(`PTD_[A-Z][A-Z_]*[A-Z]`).FindAllString(docs, -1) {
		require.True(t, slices.Contains(known, v), "README or docs/PERFORMANCE.md names %s, which nothing reads", v)
	}
}

// TestNothingCitesFilesOutsideTheRepository: what users read — every
// command's help, README.md, docs/DESIGN.md and docs/PERFORMANCE.md —
// cites no document that is not in the repository (the project's
// contract, its seed) and no path outside it.
func TestNothingCitesFilesOutsideTheRepository(t *testing.T) {
	t.Parallel()
	outside := regexp.MustCompile(`CONTRACT|(?i:the contract)|seed\.md|/work/|\.\./shared|§`)
	for _, c := range append([]string{""}, commands...) {
		r := mustRun(t, t.TempDir(), nil, append(strings.Fields(c), "--help")...)
		require.Empty(t, outside.FindAllString(r.stdout, -1), "ptd-proactive %s --help", c)
	}
	for _, doc := range []string{"../README.md", "../docs/DESIGN.md", "../docs/PERFORMANCE.md"} {
		data, err := os.ReadFile(doc)
		require.NoError(t, err)
		require.Empty(t, outside.FindAllString(string(data), -1), doc)
	}
}
