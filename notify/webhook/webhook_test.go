package webhook_test

import (
	"context"
	"encoding/json"
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
	ctx := notify.WithDelivery(context.Background(), notify.Delivery{
		Channel:         proactive.ChannelWebhook,
		IdempotencyKeys: []string{"7d1c:webhook:high"},
		Events:          []string{notify.EventEscalated},
		Attempt:         2,
	})
	retry, err := n.Notify(ctx, []proactive.Alert{a})
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

	// The body is the alert as `alerts --json` prints a row.
	var got proactive.Alert
	require.NoError(t, json.Unmarshal(r.Body, &got))
	require.Equal(t, a.ID, got.ID)
	require.Equal(t, a.Title, got.Title)
	require.Equal(t, a.AffectedEntities, got.AffectedEntities)
	require.Equal(t, a.ActionItems, got.ActionItems)
	var row map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &row))
	for _, col := range []string{"id", "insight_type", "priority", "title", "content", "summary", "action_items",
		"affected_entities", "source_agent", "source_data", "dedup_key", "expires_at", "is_dismissed", "created_at"} {
		require.Contains(t, row, col)
	}
	require.Contains(t, string(r.Body), `"title":"Deal Stalled: <Acme & Sons>"`)
}

func TestNoSecretNoSignature(t *testing.T) {
	t.Parallel()
	rc := notifytest.NewReceiver(t)
	n, err := webhook.New(webhook.Options{URL: rc.URL()})
	require.NoError(t, err)
	_, err = n.Notify(context.Background(), []proactive.Alert{notifytest.Alert("a", proactive.SeverityLow, proactive.SyncFail)})
	require.NoError(t, err)
	reqs := rc.Requests()
	require.Len(t, reqs, 1)
	require.Empty(t, reqs[0].Header.Get(webhook.HeaderSignature))
	require.Equal(t, notify.EventCreated, reqs[0].Header.Get(webhook.HeaderEvent))
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
