package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBacktestOnTheDemoMatchesTheREADME runs the README's two commands —
// the demo with 90 days of history, then the backtest over its last eleven
// weeks against the demo's outcomes — and compares the backtest's JSON with
// the README's table, row by row: the figures the README shows are the
// ones a user gets.
func TestBacktestOnTheDemoMatchesTheREADME(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	section := string(readme)
	start := strings.Index(section, "### The backtest on the demo")
	require.GreaterOrEqual(t, start, 0, "README has the section")
	section = section[start:]
	section = section[:strings.Index(section, "\n## ")]

	// The commands, as the README gives them.
	cmds := regexp.MustCompile("(?m)^ptd-proactive (demo .*|backtest .*)$").FindAllStringSubmatch(section, -1)
	require.Len(t, cmds, 2, "the section's two commands")
	dir := t.TempDir()
	mustRun(t, dir, nil, append(strings.Fields(cmds[0][1]), "--log-level", "error")...)
	r := mustRun(t, dir, nil, append(strings.Fields(cmds[1][1]), "--json")...)
	var got struct {
		Checks map[string]map[string]*float64 `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)

	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d+) \\| (\\d+) \\| (\\d+) \\| (\\d+) \\| ([\\d.]+) h \\| ([\\d.]+) % \\((\\d+)\\) \\| (—|[\\d.]+ %) \\| (—|[\\d.]+) \\|$")
	rows := row.FindAllStringSubmatch(section, -1)
	require.Len(t, rows, len(got.Checks), "a README row per check the backtest reports")
	for _, m := range rows {
		c, ok := got.Checks[m[1]]
		require.True(t, ok, "the backtest reports %s", m[1])
		show := func(key string, pct bool) string {
			v := c[key]
			switch {
			case v == nil:
				return "—"
			case pct:
				return strconv.FormatFloat(*v*100, 'f', 1, 64) + " %"
			}
			return strconv.FormatFloat(*v, 'f', -1, 64)
		}
		want := []string{m[2], m[3], m[4], m[5], m[6], m[7] + " %", m[8], m[9], m[10]}
		have := []string{show("alerts", false), show("cases_opened", false), show("entities", false), show("still_open", false),
			show("median_open_hours", false), show("precision", true), show("hits", false), show("recall", true), show("median_lead_days", false)}
		require.Equal(t, want, have, fmt.Sprintf("%s: alerts, cases opened, entities, still open, median open hours, precision, hits, recall, median lead days", m[1]))
	}
}
