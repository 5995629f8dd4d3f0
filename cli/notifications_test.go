package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// revocable answers every request with status while it is set (a revoked
// Slack URL answers 404), and hands it to the receiver otherwise.
type revocable struct {
	*receiver
	status atomic.Int32
}

func (rv *revocable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s := rv.status.Load(); s != 0 {
		http.Error(w, "no_service", int(s))
		return
	}
	rv.receiver.ServeHTTP(w, r)
}

// listNotifications runs `notifications --json` with a status filter.
func listNotifications(t *testing.T, s store, env []string, status string) []map[string]any {
	t.Helper()
	r := mustRun(t, s.dir, env, "notifications", "--json", "--db", s.url, "--status", status, "--limit", "0")
	var ns []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ns), r.stdout)
	return ns
}

func TestNotificationsRetry(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			slack := &revocable{receiver: &receiver{}}
			hook := &revocable{receiver: &receiver{}}
			slack.status.Store(http.StatusNotFound)
			hook.status.Store(http.StatusGone)
			slackSrv := httptest.NewServer(slack)
			defer slackSrv.Close()
			hookSrv := httptest.NewServer(hook)
			defer hookSrv.Close()
			env := []string{"PTD_SLACK_WEBHOOK_URL=" + slackSrv.URL + "/services/T000/B000/XXXX", "PTD_WEBHOOK_URL=" + hookSrv.URL + "/ptd"}
			loadFixture(t, s)

			// Both peers refuse for good: every notification is failed, none retried.
			mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", fixtureNow)
			failed := listNotifications(t, s, env, "failed")
			require.Len(t, failed, 8, "four critical alerts, slack and webhook each")
			require.Empty(t, listNotifications(t, s, env, "pending"))

			// Usage errors: exit 2, nothing changes.
			for _, args := range [][]string{
				{"notifications", "retry"},
				{"notifications", "retry", failed[0]["id"].(string), "--all"},
				{"notifications", "retry", failed[0]["id"].(string), "--channel", "slack"},
				{"notifications", "retry", "--all", "--channel", "sms"},
				{"notifications", "retry", "a", "b"},
			} {
				r := run(t, s.dir, env, append(args, "--db", s.url)...)
				require.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
				require.Contains(t, r.stderr, "ptd-proactive:")
			}
			r := run(t, s.dir, append(env, "PTD_ALL=1"), "notifications", "retry", failed[0]["id"].(string), "--db", s.url)
			require.Equal(t, 2, r.code, "PTD_ALL is --all: an id besides is a usage error\n%s", r.stderr)
			require.Len(t, listNotifications(t, s, env, "failed"), 8)

			// An unknown id: exit 1, named.
			unknown := "7d7b8a4e-3c2f-4e1a-9b5d-2f6e8c0a1b3c"
			r = run(t, s.dir, env, "notifications", "retry", unknown, "--db", s.url)
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, unknown)
			require.Contains(t, r.stderr, "no such notification")

			// Slack's URL is fixed: its notifications only, by channel.
			slack.status.Store(0)
			r = mustRun(t, s.dir, env, "notifications", "retry", "--all", "--channel", "slack", "--json", "--db", s.url)
			var res map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
			require.Equal(t, map[string]any{"retried": float64(4), "channel": "slack"}, res)
			pending := listNotifications(t, s, env, "pending")
			require.Len(t, pending, 4)
			for _, n := range pending {
				require.Equal(t, "slack", n["channel"])
				require.EqualValues(t, 0, n["attempts"], "a fresh set of attempts")
				require.Contains(t, n["last_error"], "404", "kept until the next attempt")
			}
			require.Len(t, listNotifications(t, s, env, "failed"), 4, "the webhook's stay failed")

			// The next scan delivers them (its alerts are duplicates: nothing new is queued).
			mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", "2025-12-10T13:00:00Z")
			require.Equal(t, 4, slack.count())
			require.Len(t, listNotifications(t, s, env, "delivered"), 4)

			// One webhook notification by id, once the webhook is back.
			hook.status.Store(0)
			webhookFailed := listNotifications(t, s, env, "failed")
			require.Len(t, webhookFailed, 4)
			id := webhookFailed[0]["id"].(string)
			r = mustRun(t, s.dir, env, "notifications", "retry", id, "--db", s.url)
			require.Contains(t, r.stdout, "Queued notification "+id+" again")
			r = run(t, s.dir, env, "notifications", "retry", id, "--db", s.url)
			require.Equal(t, 1, r.code, "pending now, not failed")
			require.Contains(t, r.stderr, id)
			require.Contains(t, r.stderr, "not failed")

			// The rest, with the environment's --all.
			r = mustRun(t, s.dir, append(env, "PTD_ALL=true"), "notifications", "retry", "--db", s.url)
			require.Contains(t, r.stdout, "Queued 3 failed notifications again")
			mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", "2025-12-10T14:00:00Z")
			require.Equal(t, 4, hook.count())
			require.Empty(t, listNotifications(t, s, env, "failed"))
			r = mustRun(t, s.dir, env, "notifications", "retry", "--all", "--db", s.url)
			require.Contains(t, r.stdout, "No failed notifications to retry.")
		})
	}
}
