package notifiers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/notify/notifiers"
)

func TestNew(t *testing.T) {
	t.Parallel()
	all := notifiers.Destinations{
		SlackWebhookURL: "https://hooks.slack.example/services/T/B/s3cr3t",
		SMTPURL:         "smtp://u:s3cr3t@mail.example:587", EmailFrom: "a@x.y", EmailTo: []string{"b@x.y"},
		WebhookURL: "https://receiver.example/hook", WebhookSecret: "s3cr3t",
		Owners: []notifiers.Owner{{Name: "Coach Ann", SlackWebhookURL: "https://hooks.slack.example/services/T/B/ann-s3cr3t", Email: "ann@x.y"}},
	}
	ns, err := notifiers.New(all, notifiers.Options{})
	require.NoError(t, err)
	require.Len(t, ns, 3)
	for name, n := range ns {
		require.Equal(t, name, n.Name())
	}
	require.ElementsMatch(t, []string{"slack", "email", "webhook"}, keys(ns))

	none, err := notifiers.New(notifiers.Destinations{}, notifiers.Options{})
	require.NoError(t, err)
	require.Empty(t, none)

	// Owners' Slack URLs alone enable Slack (for the owners only).
	owners, err := notifiers.New(notifiers.Destinations{Owners: []notifiers.Owner{{Name: "Ann", SlackWebhookURL: "https://hooks.slack.example/a"}}}, notifiers.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"slack"}, keys(owners))

	for _, bad := range []notifiers.Destinations{
		{SlackWebhookURL: "hooks.slack.example/s3cr3t"},
		{SMTPURL: "smtp://u:s3cr3t@mail.example:587", EmailFrom: "a@x.y"},
		{SMTPURL: "imap://u:s3cr3t@mail.example", EmailFrom: "a@x.y", EmailTo: []string{"b@x.y"}},
		{WebhookURL: "ftp://x/s3cr3t"},
		{SlackWebhookURL: "https://hooks.slack.example/services/T/B/s3cr3t", Owners: []notifiers.Owner{{Name: "Ann", SlackWebhookURL: "hooks.slack.example/ann-s3cr3t"}}},
		{SMTPURL: "smtp://u:s3cr3t@mail.example:587", EmailFrom: "a@x.y", EmailTo: []string{"b@x.y"}, Owners: []notifiers.Owner{{Name: "Ann", Email: "not an address"}}},
		{Owners: []notifiers.Owner{{Name: "Ann", Email: "ann@x.y"}}},
	} {
		_, err := notifiers.New(bad, notifiers.Options{})
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cr3t")
		require.Contains(t, err.Error(), "notify.")
	}
}

// keys lists the channel names of ns.
func keys[V any](ns map[string]V) []string {
	out := make([]string, 0, len(ns))
	for k := range ns {
		out = append(out, k)
	}
	return out
}
