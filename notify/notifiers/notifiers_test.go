package notifiers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifiers"
)

func TestFromConfig(t *testing.T) {
	t.Parallel()
	cfg := config.Notify{
		Slack:   config.Slack{WebhookURL: "https://hooks.slack.example/services/T/B/s3cr3t"},
		Email:   config.Email{SMTPURL: "smtp://u:s3cr3t@mail.example:587", From: "a@x.y", To: []string{"b@x.y"}},
		Webhook: config.Webhook{URL: "https://receiver.example/hook", Secret: "s3cr3t"},
	}
	ns, err := notifiers.FromConfig(cfg, notifiers.Options{})
	require.NoError(t, err)
	require.Len(t, ns, 3)
	for name, n := range ns {
		require.Equal(t, name, n.Name())
	}
	require.ElementsMatch(t, notify.NewRouter(cfg).Enabled(), []string{"slack", "email", "webhook"})

	none, err := notifiers.FromConfig(config.Notify{}, notifiers.Options{})
	require.NoError(t, err)
	require.Empty(t, none)

	for _, bad := range []config.Notify{
		{Slack: config.Slack{WebhookURL: "hooks.slack.example/s3cr3t"}},
		{Email: config.Email{SMTPURL: "smtp://u:s3cr3t@mail.example:587", From: "a@x.y"}},
		{Email: config.Email{SMTPURL: "imap://u:s3cr3t@mail.example", From: "a@x.y", To: []string{"b@x.y"}}},
		{Webhook: config.Webhook{URL: "ftp://x/s3cr3t"}},
	} {
		_, err := notifiers.FromConfig(bad, notifiers.Options{})
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cr3t")
		require.Contains(t, err.Error(), "notify.")
	}
}
