package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
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
			retry, err := n.Notify(context.Background(), notify.AlertMessages(proactive.ChannelSlack, tc.alerts...))
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
	m := slack.NewMessage(notify.AlertMessages(proactive.ChannelSlack, a))
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

// TestNewFormsPostTheExactPayload: an escalation, an update (naming only
// its new entities), a resolved message and a new alert with revenue at
// risk, each as its golden file.
func TestNewFormsPostTheExactPayload(t *testing.T) {
	t.Parallel()
	critical := notifytest.Alert("a1", proactive.SeverityCritical, proactive.HealthDrop)
	withRevenue := notifytest.Alert("a3", proactive.SeverityHigh, proactive.DealStall)
	withRevenue.SourceData["revenue_at_risk"] = 1234567.891
	updated := notifytest.Alert("a4", proactive.SeverityHigh, proactive.HealthDrop)
	updated.Title = "3 Clients: Health Scores Dropping"
	updated.AffectedEntities.Count = 3
	updated.SourceData["revenue_at_risk"] = 4500.0
	resolvedAt := notifytest.Created().Add(3 * time.Hour)
	for _, tc := range []struct {
		name string
		msg  notify.Message
	}{
		{"escalation.golden", notify.Message{Event: proactive.EventEscalation, Alert: &critical}},
		{"revenue.golden", notify.Message{Event: proactive.EventAlert, Alert: &withRevenue}},
		{"update.golden", notify.Message{Event: proactive.EventUpdate, Alert: &updated,
			NewEntities: []string{"Sam Lee (sam@example.com)", "<!here> Ana (ana@example.com)"}}},
		{"resolved.golden", notify.Message{Event: proactive.EventResolve, Cases: []proactive.ResolvedCase{
			{ID: "c-1", Key: "health_drop:jane@example.com", Label: "Jane Doe (jane@example.com)", Severity: proactive.SeverityCritical,
				ResolvedAt: resolvedAt, ResolveReason: proactive.ResolveCleared},
			{ID: "c-2", Key: "deal_stall:deal-42", Label: "ACME & Sons <renewal>", Severity: proactive.SeverityHigh,
				ResolvedAt: resolvedAt.Add(-time.Hour), ResolveReason: proactive.ResolveManual},
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := notifytest.NewReceiver(t)
			n, err := slack.New(slack.Options{WebhookURL: rc.URL()})
			require.NoError(t, err)
			_, err = n.Notify(context.Background(), []notify.Message{tc.msg})
			require.NoError(t, err)
			reqs := rc.Requests()
			require.Len(t, reqs, 1)
			var out bytes.Buffer
			require.NoError(t, json.Indent(&out, reqs[0].Body, "", "  "))
			out.WriteByte('\n')
			requireGolden(t, tc.name, out.Bytes())
		})
	}
}

// TestUpdateNamesOnlyTheNewEntities: the summary and first action (which
// may name a member that is not new) stay out of an update.
func TestUpdateNamesOnlyTheNewEntities(t *testing.T) {
	t.Parallel()
	a := notifytest.Alert("a1", proactive.SeverityHigh, proactive.HealthDrop)
	a.Title = "2 Clients: Health Scores Dropping"
	m := slack.NewMessage([]notify.Message{{Event: proactive.EventUpdate, Alert: &a, NewEntities: []string{"Sam Lee (sam@example.com)"}}})
	body, err := json.Marshal(m)
	require.NoError(t, err)
	require.Contains(t, string(body), "Sam Lee (sam@example.com)")
	require.NotContains(t, string(body), "jane.a1@example.com", "an update names only its new entities")
	require.Equal(t, "Updated: 2 Clients: Health Scores Dropping", m.Text)
}

// TestOwners: an owner's message goes to the owner's URL (matched
// ignoring case), the team's to the team's; an owner no longer configured
// fails for good; no URL shows in an error.
func TestOwners(t *testing.T) {
	t.Parallel()
	team, ann := notifytest.NewReceiver(t), notifytest.NewReceiver(t)
	ann.Path = "/services/T1/B1/ann-s3cr3t-token"
	n, err := slack.New(slack.Options{WebhookURL: team.URL(), Owners: map[string]string{"Coach Ann": ann.URL()}})
	require.NoError(t, err)
	a := notifytest.Alert("a1", proactive.SeverityCritical, proactive.HealthDrop)
	_, err = n.Notify(context.Background(), []notify.Message{{Event: proactive.EventAlert, Alert: &a, Recipient: "coach ann"}})
	require.NoError(t, err)
	require.Len(t, ann.Accepted(), 1)
	require.Empty(t, team.Requests())
	_, err = n.Notify(context.Background(), []notify.Message{{Event: proactive.EventAlert, Alert: &a}})
	require.NoError(t, err)
	require.Len(t, team.Accepted(), 1)

	retry, err := n.Notify(context.Background(), []notify.Message{{Event: proactive.EventAlert, Alert: &a, Recipient: "Bob"}})
	require.Error(t, err)
	require.False(t, retry)
	require.Contains(t, err.Error(), `owner "Bob"`)

	ann.Respond(func(int, *http.Request) (int, time.Duration) { return http.StatusNotFound, 0 })
	_, err = n.Notify(context.Background(), []notify.Message{{Event: proactive.EventAlert, Alert: &a, Recipient: "Coach Ann"}})
	require.ErrorContains(t, err, "404")
	notifytest.RequireNoSecret(t, notify.URLSecrets(ann.URL()), err.Error())

	// Owners alone: the team's messages have nowhere to go.
	only, err := slack.New(slack.Options{Owners: map[string]string{"Coach Ann": ann.URL()}})
	require.NoError(t, err)
	retry, err = only.Notify(context.Background(), []notify.Message{{Event: proactive.EventAlert, Alert: &a}})
	require.False(t, retry)
	require.ErrorContains(t, err, "notify.slack.webhook_url")

	_, err = slack.New(slack.Options{Owners: map[string]string{"Coach Ann": "hooks.slack.com/s3cr3t"}})
	require.ErrorContains(t, err, "Coach Ann")
	require.NotContains(t, err.Error(), "s3cr3t")
}
