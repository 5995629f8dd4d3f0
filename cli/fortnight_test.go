package cli_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFortnight walks the risk desk through the binary on both stores, as
// a customer-success team lives it (issue 9): a group alert opens two
// cases → a second scan the same day stores nothing → a new client at noon
// updates the alert, and the webhook names only her → dismissing the alert
// acknowledges its cases → the next day they do not alert → one escalates
// and is back → a recovery resolves its case after the delay, with a
// resolved webhook → the problem recurs: a new case pointing to the old.
func TestFortnight(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			hook := &receiver{}
			srv := httptest.NewServer(hook)
			t.Cleanup(srv.Close)
			env := []string{"PTD_WEBHOOK_URL=" + srv.URL}
			at := func(day, hour, minute int) string {
				return fmt.Sprintf("2025-12-%02dT%02d:%02d:00Z", day, hour, minute)
			}
			readings := func(rows ...string) {
				t.Helper()
				path := filepath.Join(t.TempDir(), "readings.csv")
				body := "email,firstname,lastname,health_score,health_zone,calculated_at\n" + strings.Join(rows, "\n") + "\n"
				require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
				mustRun(t, s.dir, env, "import", "client_health_scores", path, "--db", s.url)
			}
			scan := func(now string) scanResponse {
				t.Helper()
				r := mustRun(t, s.dir, env, "scan", "--json", "--db", s.url, "--now", now, "--log-level", "warn")
				return decode[scanResponse](t, r.stdout)
			}
			desk := func(now string, args ...string) string {
				t.Helper()
				return mustRun(t, s.dir, env, append(args, "--db", s.url, "--now", now)...).stdout
			}
			events := func() []string {
				hook.mu.Lock()
				defer hook.mu.Unlock()
				var out []string
				for _, b := range hook.bodies {
					out = append(out, fmt.Sprint(b["event"]))
				}
				return out
			}
			saved := func(r scanResponse) []string {
				var out []string
				for _, g := range r.AlertGroups {
					out = append(out, g.Saved)
				}
				return out
			}

			// Day 1, 09:00: Jane drops 30 points, Bob 18.
			readings(
				"jane@x.com,Jane,Doe,80,GREEN,2025-11-29 08:00:00", "jane@x.com,Jane,Doe,80,GREEN,2025-11-30 08:00:00",
				"jane@x.com,Jane,Doe,50,YELLOW,2025-12-01 08:00:00",
				"bob@x.com,Bob,Roe,80,GREEN,2025-11-30 08:00:00", "bob@x.com,Bob,Roe,62,YELLOW,2025-12-01 08:00:00",
			)
			r := scan(at(1, 9, 0))
			require.Equal(t, []string{"inserted"}, saved(r))
			alertID := r.AlertGroups[0].AlertID
			require.Equal(t, []string{"alert"}, events())
			cs := decode[[]caseJSON](t, desk(at(1, 9, 0), "cases", "--json"))
			require.Len(t, cs, 2)

			// 10:00: nothing new: no new alert, the cases still open.
			r = scan(at(1, 10, 0))
			require.Equal(t, []string{"duplicate"}, saved(r))
			require.Len(t, events(), 1, "a duplicate notifies nobody")

			// Noon: Carol drops: the day's alert is updated; the webhook
			// names only her.
			readings("carol@x.com,Carol,Poe,85,GREEN,2025-11-30 08:00:00", "carol@x.com,Carol,Poe,45,RED,2025-12-01 11:30:00")
			r = scan(at(1, 12, 0))
			require.Equal(t, []string{"updated"}, saved(r))
			require.Equal(t, alertID, r.AlertGroups[0].AlertID, "one alert per type and day")
			require.Equal(t, []string{"alert", "update"}, events())
			hook.mu.Lock()
			require.Equal(t, []any{"Carol Poe (carol@x.com)"}, hook.bodies[1]["new_entities"])
			hook.mu.Unlock()

			// 13:00: Ann dismisses the alert: its three cases are acknowledged.
			desk(at(1, 13, 0), "dismiss", alertID, "--by", "ann")
			acked := decode[[]caseJSON](t, desk(at(1, 13, 0), "cases", "--state", "acknowledged", "--json"))
			require.Len(t, acked, 3)
			for _, c := range acked {
				require.Equal(t, "ann", *c.AckBy)
			}

			// Day 2, 09:00: the same drops, but nobody is alerted again.
			r = scan(at(2, 9, 0))
			require.Empty(t, r.AlertGroups)
			require.Equal(t, 3, r.Suppressed.Acknowledged)
			require.Len(t, events(), 2)

			// 10:00: Bob falls to 45 (critical): he wakes and is back.
			readings("bob@x.com,Bob,Roe,45,RED,2025-12-02 09:30:00")
			r = scan(at(2, 10, 0))
			require.Equal(t, []string{"inserted"}, saved(r), "a new day's alert, with Bob alone")
			require.Equal(t, 1, r.AlertGroups[0].AffectedCount)
			require.Equal(t, []string{"alert", "update", "alert"}, events())
			bob := decode[caseJSON](t, desk(at(2, 10, 0), "case", "health_drop:bob@x.com", "--json"))
			require.Equal(t, "open", bob.State)
			require.Equal(t, []string{"opened", "acknowledged", "escalated", "woke"}, kinds(bob))

			// Day 3: Jane recovers. Seen at 08:00, gone at 08:30: still
			// open (30 minutes); resolved at 09:05 (over the 60-minute delay).
			scan(at(3, 8, 0))
			readings("jane@x.com,Jane,Doe,76,GREEN,2025-12-03 08:10:00")
			scan(at(3, 8, 30))
			jane := decode[caseJSON](t, desk(at(3, 8, 30), "case", "health_drop:jane@x.com", "--json"))
			require.Equal(t, "acknowledged", jane.State, "not yet resolved: 30 minutes unseen")
			r = scan(at(3, 9, 5))
			require.Equal(t, 1, r.Cases.Resolved)
			jane = decode[caseJSON](t, desk(at(3, 9, 5), "case", "health_drop:jane@x.com", "--json"))
			require.Equal(t, "resolved", jane.State)
			require.Equal(t, "cleared", *jane.Reason)
			require.Equal(t, []string{"opened", "acknowledged", "resolved"}, kinds(jane), "an acknowledged case that resolves records only resolved")
			got := events()
			require.Equal(t, "resolved", got[len(got)-1])
			hook.mu.Lock()
			resolved := hook.bodies[len(hook.bodies)-1]["cases"].([]any)
			hook.mu.Unlock()
			require.Len(t, resolved, 1)
			require.Equal(t, "health_drop:jane@x.com", resolved[0].(map[string]any)["key"])

			// Day 5: she drops again: a new case, pointing to the old one.
			readings("jane@x.com,Jane,Doe,40,RED,2025-12-05 08:00:00")
			r = scan(at(5, 9, 0))
			require.GreaterOrEqual(t, r.Cases.Opened, 1)
			again := decode[map[string]any](t, desk(at(5, 9, 0), "case", "health_drop:jane@x.com", "--json"))
			require.Equal(t, "open", again["state"])
			require.Equal(t, jane.ID, again["previous_case_id"])
			require.NotEqual(t, jane.ID, again["id"])

			// Every transition is in the history, with actor and time.
			hist := desk(at(5, 9, 0), "case", jane.ID)
			for _, want := range []string{"opened", "acknowledged", "ann", "resolved", "ptd-proactive"} {
				require.Contains(t, hist, want)
			}
		})
	}
}
