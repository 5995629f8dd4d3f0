package cli_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAlertsShow: one alert in full, active or not, its action items
// naming the entity each is about, the cases it holds; --json is the row.
func TestAlertsShow(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			loadFixture(t, s)
			mustRun(t, s.dir, nil, "scan", "--now", fixtureNow, "--db", s.url)
			id := alertIDOf(t, s.dir, s.url, fixtureNow, "health_drop")

			r := mustRun(t, s.dir, nil, "alerts", "show", id, "--now", "2025-12-10T15:00:00Z", "--db", s.url)
			out := r.stdout
			require.True(t, strings.HasPrefix(out, "2 Clients: Health Scores Dropping\n\n"), out)
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^Alert +` + id + `$`),
				regexp.MustCompile(`(?m)^Priority +critical, urgency 85/100$`),
				regexp.MustCompile(`(?m)^Affected +2 entities \(health_drop\)$`),
				regexp.MustCompile(`(?m)^Status +active$`),
				regexp.MustCompile(`(?m)^Created +2025-12-10 12:00 UTC \(3 hours ago\)$`),
				regexp.MustCompile(`(?m)^Expires +2025-12-12 12:00 UTC \(in 45 hours\)$`),
				regexp.MustCompile(`(?m)^Resolved +-$`),
				regexp.MustCompile(`(?m)^Dedup key +health_drop_john@example.com_2025-12-10$`),
				// The content's Markdown is rendered: no asterisks, bullets.
				regexp.MustCompile(`(?m)^  Primary Alert:$`),
				// Each action item names its entity, most urgent first.
				regexp.MustCompile(`(?m)^Action items \(2 items, most urgent first\)\n  1\. John Smith \(john@example.com\)  \(critical, 100/100\)\n     URGENT: .+\n  2\. Amy Lee \(amy@example.com\)  \(medium, 61/100\)\n     .+$`),
				regexp.MustCompile(`(?m)^Cases held \(2 cases\)$`),
				regexp.MustCompile(`(?m)^  [0-9a-f-]{36}  open   critical  health_drop:john@example.com  John Smith \(john@example.com\)$`),
				regexp.MustCompile(`(?m)^  [0-9a-f-]{36}  open   medium    health_drop:amy@example.com   Amy Lee \(amy@example.com\)$`),
			} {
				require.Regexp(t, want, out)
			}
			require.NotContains(t, out, "**")

			// --json is the row, as alerts --json and the API print it.
			r = mustRun(t, s.dir, nil, "alerts", "show", id, "--json", "--db", s.url)
			var row map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &row), r.stdout)
			list := mustRun(t, s.dir, nil, "alerts", "--json", "--type", "health_drop", "--now", fixtureNow, "--db", s.url)
			var rows []map[string]any
			require.NoError(t, json.Unmarshal([]byte(list.stdout), &rows))
			require.Equal(t, rows[0], row)
			require.Equal(t, []any{
				map[string]any{"action": row["action_items"].([]any)[0].(map[string]any)["action"], "priority": "critical", "urgency_score": float64(100)},
				map[string]any{"action": row["action_items"].([]any)[1].(map[string]any)["action"], "priority": "medium", "urgency_score": float64(61)},
			}, row["action_items"], "the action items keep the contract's keys")

			// Not active: expired after 48 h, dismissed.
			r = mustRun(t, s.dir, nil, "alerts", "show", id, "--now", "2025-12-13T00:00:00Z", "--db", s.url)
			require.Regexp(t, `(?m)^Status +expired$`, r.stdout)
			mustRun(t, s.dir, nil, "dismiss", id, "--now", fixtureNow, "--db", s.url)
			r = mustRun(t, s.dir, nil, "alerts", "show", id, "--now", fixtureNow, "--db", s.url)
			require.Regexp(t, `(?m)^Status +dismissed$`, r.stdout)
			require.Regexp(t, `(?m)^  [0-9a-f-]{36}  acknowledged  critical  health_drop:john@example.com`, r.stdout)

			// Errors: unknown and malformed ids exit 1, a missing id 2.
			r = run(t, s.dir, nil, "alerts", "show", "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10", "--db", s.url)
			require.Equal(t, 1, r.code)
			require.Contains(t, r.stderr, "not found")
			r = run(t, s.dir, nil, "alerts", "show", "nope", "--db", s.url)
			require.Equal(t, 1, r.code)
			require.Contains(t, r.stderr, "malformed alert id")
			r = run(t, s.dir, nil, "alerts", "show", "--db", s.url)
			require.Equal(t, 2, r.code)
			require.Contains(t, r.stderr, "alerts show takes one alert id")
		})
	}
}
