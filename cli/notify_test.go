package cli_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// receiver is a webhook or Slack endpoint that records what it is sent.
type receiver struct {
	mu      sync.Mutex
	bodies  []map[string]any
	keys    []string
	badSigs int
	fail    atomic.Bool // answer 500 while set
	secret  string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if rc.fail.Load() {
		http.Error(w, "upstream down", http.StatusInternalServerError)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.secret != "" {
		mac := hmac.New(sha256.New, []byte(rc.secret))
		mac.Write(body)
		if r.Header.Get("X-PTD-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			rc.badSigs++
		}
	}
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	rc.bodies = append(rc.bodies, v)
	rc.keys = append(rc.keys, r.Header.Get("X-PTD-Idempotency-Key"))
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

func TestScanDeliversNotificationsBeforeItExits(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			hook := &receiver{secret: "s3cret-webhook-key"}
			slack := &receiver{}
			hookSrv := httptest.NewServer(hook)
			defer hookSrv.Close()
			slackSrv := httptest.NewServer(slack)
			defer slackSrv.Close()
			env := []string{"PTD_WEBHOOK_URL=" + hookSrv.URL + "/ptd", "PTD_WEBHOOK_SECRET=" + hook.secret,
				"PTD_SLACK_WEBHOOK_URL=" + slackSrv.URL + "/services/T000/B000/XXXX"}
			loadFixture(t, s)

			r := mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", fixtureNow)
			require.NotContains(t, r.stderr, "s3cret-webhook-key", "secrets are never logged")
			require.NotContains(t, r.stderr, "XXXX")
			require.Equal(t, 4, hook.count(), "the webhook receives every new alert")
			require.Zero(t, hook.badSigs, "every body is signed with the secret")
			require.Equal(t, 4, slack.count(), "Slack receives critical and high alerts (all four are critical)")
			require.Len(t, hook.keys, 4)
			for _, b := range hook.bodies {
				require.Equal(t, "alert", b["event"], "CONTRACT §10.10's body: the event and the alert row")
				row, ok := b["alert"].(map[string]any)
				require.True(t, ok, "%v", b)
				require.Equal(t, "ptd-proactive", row["source_agent"])
				require.NotEmpty(t, row["dedup_key"])
			}

			// A duplicate never notifies again.
			mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", "2025-12-10T13:00:00Z")
			require.Equal(t, 4, hook.count())
			require.Equal(t, 4, slack.count())

			// The receiver fails: the scan still succeeds within its bound and
			// the notifications stay queued with their last error.
			hook.fail.Store(true)
			mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", "2025-12-11T12:30:00Z", "--notify-timeout", "2s")
			r = mustRun(t, s.dir, env, "notifications", "--json", "--db", s.url, "--status", "pending")
			var pending []map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &pending), r.stdout)
			require.NotEmpty(t, pending)
			for _, n := range pending {
				require.Equal(t, "webhook", n["channel"])
				require.Contains(t, n["last_error"], "500")
				require.NotContains(t, n["last_error"], hookSrv.URL)
			}

			// Back up: once the retry is due, the next scan delivers what was queued.
			hook.fail.Store(false)
			before := hook.count()
			var due time.Time
			for _, n := range pending {
				at, err := time.Parse(time.RFC3339Nano, n["next_attempt_at"].(string))
				require.NoError(t, err)
				if at.After(due) {
					due = at
				}
			}
			wait := time.Until(due)
			require.Less(t, wait, 20*time.Second, "the first retry comes within seconds")
			time.Sleep(wait + 100*time.Millisecond)
			mustRun(t, s.dir, env, "scan", "--db", s.url, "--now", "2025-12-11T12:30:00Z")
			require.Equal(t, before+len(pending), hook.count(), "every queued notification is delivered once")
			r = mustRun(t, s.dir, env, "notifications", "--json", "--db", s.url, "--status", "pending")
			require.Equal(t, "[]", strings.TrimSpace(r.stdout))
		})
	}
}
