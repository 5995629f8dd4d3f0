package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifytest"
	"github.com/ptd-agents/ptd-proactive/notify/webhook"
)

const secret = "whsec-7f3a9c-very-secret"

func TestNotifyPostsTheSignedAlert(t *testing.T) {
	t.Parallel()
	rc := notifytest.NewReceiver(t)
	n, err := webhook.New(webhook.Options{URL: rc.URL(), Secret: secret})
	require.NoError(t, err)
	require.Equal(t, proactive.ChannelWebhook, n.Name())

	a := notifytest.Alert("7d1c", proactive.SeverityHigh, proactive.DealStall)
	a.Title = "Deal Stalled: <Acme & Sons>"
	ctx := notify.WithDelivery(context.Background(), notify.Delivery{Channel: proactive.ChannelWebhook, Attempt: 2})
	retry, err := n.Notify(ctx, []notify.Message{{Event: proactive.EventEscalation, Alert: &a, IdempotencyKey: "7d1c:webhook:high", Priority: a.Priority}})
	require.NoError(t, err)
	require.False(t, retry)

	reqs := rc.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	// The receiver's side: verify the signature on the raw body first.
	require.True(t, webhook.Verify(secret, r.Body, r.Header.Get(webhook.HeaderSignature)))
	require.False(t, webhook.Verify("another secret", r.Body, r.Header.Get(webhook.HeaderSignature)))
	require.Equal(t, webhook.Sign(secret, r.Body), r.Header.Get("X-PTD-Signature"))
	require.Regexp(t, `^sha256=[0-9a-f]{64}$`, r.Header.Get("X-PTD-Signature"))
	require.Equal(t, "7d1c:webhook:high", r.Header.Get("X-PTD-Idempotency-Key"))
	require.Equal(t, "alert.escalated", r.Header.Get("X-PTD-Event"))
	require.Equal(t, "2", r.Header.Get("X-PTD-Attempt"))
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))

	// The body is §10.10's: the event and the alert as `alerts --json`
	// prints a row.
	var got webhook.Body
	require.NoError(t, json.Unmarshal(r.Body, &got))
	require.Equal(t, proactive.EventEscalation, got.Event)
	require.NotNil(t, got.Alert)
	require.Equal(t, a.ID, got.Alert.ID)
	require.Equal(t, a.Title, got.Alert.Title)
	require.Equal(t, a.AffectedEntities, got.Alert.AffectedEntities)
	require.Equal(t, a.ActionItems, got.Alert.ActionItems)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &raw))
	require.ElementsMatch(t, []string{"event", "alert"}, keys(raw), "an escalation carries neither new_entities nor cases")
	var row map[string]any
	require.NoError(t, json.Unmarshal(raw["alert"], &row))
	for _, col := range []string{"id", "insight_type", "priority", "title", "content", "summary", "action_items",
		"affected_entities", "source_agent", "source_data", "dedup_key", "expires_at", "is_dismissed", "created_at"} {
		require.Contains(t, row, col)
	}
	require.Contains(t, string(r.Body), `"title":"Deal Stalled: <Acme & Sons>"`)
}

// keys lists a JSON object's keys.
func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestNoSecretNoSignature(t *testing.T) {
	t.Parallel()
	rc := notifytest.NewReceiver(t)
	n, err := webhook.New(webhook.Options{URL: rc.URL()})
	require.NoError(t, err)
	_, err = n.Notify(context.Background(), notify.AlertMessages(proactive.ChannelWebhook, notifytest.Alert("a", proactive.SeverityLow, proactive.SyncFail)))
	require.NoError(t, err)
	reqs := rc.Requests()
	require.Len(t, reqs, 1)
	require.Empty(t, reqs[0].Header.Get(webhook.HeaderSignature))
	require.Equal(t, webhook.HeaderEventCreated, reqs[0].Header.Get(webhook.HeaderEvent))
}

func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	// RFC 4231 test case 2.
	require.Equal(t, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		webhook.Sign("Jefe", []byte("what do ya want for nothing?")))
	require.False(t, webhook.Verify("Jefe", []byte("x"), "sha256=zz"))
	require.False(t, webhook.Verify("Jefe", []byte("x"), "md5=00"))
}

func TestRetry(t *testing.T) {
	t.Parallel()
	notifytest.TestRetry(t, func(url string) notify.Notifier {
		n, err := webhook.New(webhook.Options{URL: url, Secret: secret, Timeout: 300 * time.Millisecond})
		require.NoError(t, err)
		return n
	}, secret)
}

func TestNewRefusesABadURLWithoutQuotingIt(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "example.com/hook?token=s3cr3t", "mailto:s3cr3t@example.com"} {
		_, err := webhook.New(webhook.Options{URL: u})
		require.Error(t, err, u)
		require.NotContains(t, err.Error(), "s3cr3t")
	}
}

var update = flag.Bool("update", false, "rewrite the golden files")

// requireGolden compares got with testdata/name, or rewrites it with -update.
func requireGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./notify/webhook -update to create it")
	require.Equal(t, string(want), string(got))
}

// TestBodies: each event's exact body (CONTRACT §10.10) and header; the
// fields an event does not carry are absent.
func TestBodies(t *testing.T) {
	t.Parallel()
	a := notifytest.Alert("9f2e", proactive.SeverityHigh, proactive.HealthDrop)
	a.SourceData["revenue_at_risk"] = 12500.5
	resolvedAt := notifytest.Created().Add(2 * time.Hour)
	for _, tc := range []struct {
		golden, header string
		msg            notify.Message
		fields         []string
	}{
		{"alert.golden", "alert.created", notify.Message{Event: proactive.EventAlert, Alert: &a, IdempotencyKey: "k1"}, []string{"event", "alert"}},
		{"escalation.golden", "alert.escalated", notify.Message{Event: proactive.EventEscalation, Alert: &a, IdempotencyKey: "k2"}, []string{"event", "alert"}},
		{"update.golden", "alert.updated", notify.Message{Event: proactive.EventUpdate, Alert: &a, IdempotencyKey: "k3",
			NewEntities: []string{"Sam Lee (sam@example.com)", "Ana Ruiz (ana@example.com)"}}, []string{"event", "alert", "new_entities"}},
		{"resolved.golden", "cases.resolved", notify.Message{Event: proactive.EventResolve, IdempotencyKey: "k4", Cases: []proactive.ResolvedCase{
			{ID: "c-1", Key: "health_drop:jane@example.com", Label: "Jane Doe (jane@example.com)", Severity: proactive.SeverityCritical, ResolvedAt: resolvedAt, ResolveReason: proactive.ResolveCleared},
			{ID: "c-2", Key: "deal_stall:deal-42", Label: "Enterprise Package - ACME Corp", Severity: proactive.SeverityHigh, ResolvedAt: resolvedAt, ResolveReason: proactive.ResolveManual},
		}}, []string{"event", "cases"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			rc := notifytest.NewReceiver(t)
			n, err := webhook.New(webhook.Options{URL: rc.URL(), Secret: secret})
			require.NoError(t, err)
			_, err = n.Notify(context.Background(), []notify.Message{tc.msg})
			require.NoError(t, err)
			reqs := rc.Requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			require.True(t, webhook.Verify(secret, r.Body, r.Header.Get(webhook.HeaderSignature)))
			require.Equal(t, tc.header, r.Header.Get(webhook.HeaderEvent))
			require.Equal(t, tc.msg.IdempotencyKey, r.Header.Get(webhook.HeaderIdempotencyKey))
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.Body, &raw))
			require.ElementsMatch(t, tc.fields, keys(raw))
			var out bytes.Buffer
			require.NoError(t, json.Indent(&out, r.Body, "", "  "))
			out.WriteByte('\n')
			requireGolden(t, tc.golden, out.Bytes())
		})
	}
}
