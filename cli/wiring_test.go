package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifiers"
)

// TestNotifyWiring: the configuration reaches the router and the notifiers
// as it did when notify read config itself — the channels with a
// destination, their default and configured priorities and types.
func TestNotifyWiring(t *testing.T) {
	t.Parallel()
	all := config.Default()
	all.Notify.Slack.WebhookURL = "https://hooks.slack.example/services/x"
	all.Notify.Email.SMTPURL, all.Notify.Email.From, all.Notify.Email.To = "smtp://u:p@mail.example:587", "a@x.y", []string{"b@x.y"}
	all.Notify.Webhook.URL, all.Notify.Webhook.Secret = "https://receiver.example/hook", "s"
	typed := all
	typed.Notify.Slack.Priorities = []proactive.Severity{proactive.SeverityCritical, proactive.SeverityHigh, proactive.SeverityMedium}
	typed.Notify.Webhook.Types = []proactive.AnomalyType{proactive.SyncFail}
	emailOnly := config.Default()
	emailOnly.Notify.Email = all.Notify.Email

	a := func(p proactive.Severity, typ proactive.AnomalyType) proactive.Alert {
		return proactive.Alert{Priority: p, AffectedEntities: proactive.AffectedEntities{Type: typ}}
	}
	for _, tc := range []struct {
		name  string
		cfg   config.Config
		alert proactive.Alert
		want  []string
	}{
		{"defaults: critical goes everywhere", all, a("critical", proactive.HealthDrop), []string{"slack", "email", "webhook"}},
		{"defaults: high skips email", all, a("high", proactive.DealStall), []string{"slack", "webhook"}},
		{"defaults: medium only the webhook", all, a("medium", proactive.SyncFail), []string{"webhook"}},
		{"configured priorities", typed, a("medium", proactive.SyncFail), []string{"slack", "webhook"}},
		{"configured types filter", typed, a("critical", proactive.HealthDrop), []string{"slack", "email"}},
		{"nothing configured", config.Default(), a("critical", proactive.HealthDrop), nil},
		{"one channel", emailOnly, a("critical", proactive.HealthDrop), []string{"email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := notify.NewRouter(notifyRoutes(tc.cfg.Notify))
			require.Equal(t, tc.want, r.Channels(tc.alert))
		})
	}
	d := notifyDestinations(all.Notify)
	require.Equal(t, all.Notify.Slack.WebhookURL, d.SlackWebhookURL)
	require.Equal(t, all.Notify.Email.SMTPURL, d.SMTPURL)
	require.Equal(t, all.Notify.Email.From, d.EmailFrom)
	require.Equal(t, all.Notify.Email.To, d.EmailTo)
	require.Equal(t, all.Notify.Webhook.URL, d.WebhookURL)
	require.Equal(t, all.Notify.Webhook.Secret, d.WebhookSecret)

	// The two tables of default priorities (the file's and the router's) agree.
	for _, ch := range []string{proactive.ChannelSlack, proactive.ChannelEmail, proactive.ChannelWebhook} {
		require.Equal(t, config.DefaultPriorities(ch), notify.DefaultPriorities(ch), ch)
	}
}

// TestNotifyWiringResolvedAndOwners: send_resolved reaches the router's
// resolved routes; owners reach the routes of the channels they have a
// destination on (a channel with owners only sends no resolved message)
// and the notifiers' destinations.
func TestNotifyWiringResolvedAndOwners(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.Notify.Email.SMTPURL, cfg.Notify.Email.From, cfg.Notify.Email.To = "smtp://u:p@mail.example:587", "a@x.y", []string{"b@x.y"}
	cfg.Notify.Email.SendResolved = true
	cfg.Notify.Webhook.URL = "https://receiver.example/hook"
	cfg.Notify.Owners = map[string]config.Owner{
		"Coach Ann": {SlackWebhookURL: "https://hooks.slack.example/services/ann", Email: "ann@x.y"},
		"Bob":       {Email: "bob@x.y"},
	}
	r := notify.NewRouter(notifyRoutes(cfg.Notify))
	require.Equal(t, []string{"slack", "email", "webhook"}, r.Enabled())
	require.Equal(t, []proactive.ResolvedRoute{
		{Channel: "email", Priorities: []proactive.Severity{"critical"}},
		{Channel: "webhook", Priorities: proactive.Severities()},
	}, r.ResolvedRoutes())

	a := proactive.Alert{AffectedEntities: proactive.AffectedEntities{Type: proactive.HealthDrop}}
	require.Equal(t, []proactive.Destination{
		{Channel: "slack", Recipient: "Coach Ann"},
		{Channel: "email"}, {Channel: "email", Recipient: "Bob"}, {Channel: "email", Recipient: "Coach Ann"},
		{Channel: "webhook"},
	}, r.AlertDestinations(a, proactive.SeverityCritical, []string{"coach ann", "BOB"}))
	require.Equal(t, []proactive.Destination{{Channel: "slack", Recipient: "Coach Ann"}, {Channel: "webhook"}},
		r.AlertDestinations(a, proactive.SeverityHigh, []string{"coach ann", "BOB"}), "each channel's priorities apply to its owners")

	d := notifyDestinations(cfg.Notify)
	require.Equal(t, []notifiers.Owner{
		{Name: "Bob", Email: "bob@x.y"},
		{Name: "Coach Ann", SlackWebhookURL: "https://hooks.slack.example/services/ann", Email: "ann@x.y"},
	}, d.Owners)

	off := config.Default()
	off.Notify.Webhook.URL, off.Notify.Webhook.SendResolved = "https://receiver.example/hook", false
	require.Empty(t, notify.NewRouter(notifyRoutes(off.Notify)).ResolvedRoutes())
}
