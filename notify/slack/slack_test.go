package slack_test

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
	"github.com/ptd-agents/ptd-proactive/notify/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// requireGolden compares got with testdata/name, or rewrites it with -update.
func requireGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./notify/slack -update to create it")
	require.Equal(t, string(want), string(got))
}

func TestNotifyPostsTheExactPayload(t *testing.T) {
	t.Parallel()
	critical := notifytest.Alert("a1", proactive.SeverityCritical, proactive.HealthDrop)
	high := notifytest.Alert("a2", proactive.SeverityHigh, proactive.DealStall)
	high.Title = "Deal Stalled: <!channel> & Co <https://evil.example|click>"
	high.Summary = "Stalled 24 days in Proposal."
	high.ActionItems = nil
	high.AffectedEntities.Count = 5

	for _, tc := range []struct {
		name   string
		alerts []proactive.Alert
	}{
		{"critical.golden", []proactive.Alert{critical}},
		{"high_escaped.golden", []proactive.Alert{high}},
		{"two_alerts.golden", []proactive.Alert{critical, high}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := notifytest.NewReceiver(t)
			n, err := slack.New(slack.Options{WebhookURL: rc.URL()})
			require.NoError(t, err)
			retry, err := n.Notify(context.Background(), tc.alerts)
			require.NoError(t, err)
			require.False(t, retry)

			reqs := rc.Requests()
			require.Len(t, reqs, 1)
			require.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
			require.Equal(t, rc.Path, reqs[0].Path)
			// The exact body, indented for reading (json.Indent keeps
			// every token, its order and its escaping).
			var out bytes.Buffer
			require.NoError(t, json.Indent(&out, reqs[0].Body, "", "  "))
			out.WriteByte('\n')
			requireGolden(t, tc.name, out.Bytes())
		})
	}
}

func TestMessageFacts(t *testing.T) {
	t.Parallel()
	a := notifytest.Alert("a1", proactive.SeverityCritical, proactive.HealthDrop)
	m := slack.NewMessage([]proactive.Alert{a})
	require.Equal(t, a.Title, m.Text)
	require.Len(t, m.Attachments, 1)
	att := m.Attachments[0]
	require.Equal(t, "danger", att.Color)
	require.Equal(t, a.Summary, att.Text)
	require.Equal(t, slack.Field{Title: "Urgency", Value: "97/100", Short: true}, att.Fields[0])
	require.Equal(t, slack.Field{Title: "Affected", Value: "1", Short: true}, att.Fields[1])

	require.Equal(t, "warning", slack.Color(proactive.SeverityHigh))
}

func TestRetry(t *testing.T) {
	t.Parallel()
	notifytest.TestRetry(t, func(url string) notify.Notifier {
		n, err := slack.New(slack.Options{WebhookURL: url, Timeout: 300 * time.Millisecond})
		require.NoError(t, err)
		return n
	})
}

func TestNewRefusesABadURLWithoutQuotingIt(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "hooks.slack.com/services/T/B/s3cr3t", "ftp://x/s3cr3t", "https://%zz/s3cr3t", "https:///s3cr3t"} {
		_, err := slack.New(slack.Options{WebhookURL: u})
		require.Error(t, err, u)
		require.NotContains(t, err.Error(), "s3cr3t")
	}
}

func TestNothingToSend(t *testing.T) {
	t.Parallel()
	rc := notifytest.NewReceiver(t)
	n, err := slack.New(slack.Options{WebhookURL: rc.URL()})
	require.NoError(t, err)
	retry, err := n.Notify(context.Background(), nil)
	require.NoError(t, err)
	require.False(t, retry)
	require.Empty(t, rc.Requests())
	require.Equal(t, proactive.ChannelSlack, n.Name())
}
