// Package notifiers builds the notifiers of the enabled channels from the
// notify configuration: the one place that knows every channel package, so
// that package notify and the channels stay independent of each other.
package notifiers

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/email"
	"github.com/ptd-agents/ptd-proactive/notify/slack"
	"github.com/ptd-agents/ptd-proactive/notify/webhook"
)

// Options tunes the notifiers; the zero value is right for production.
type Options struct {
	// HTTPTimeout bounds each Slack and webhook post. Default 10 s.
	HTTPTimeout time.Duration
	// SMTPTimeout bounds each email delivery. Default 30 s.
	SMTPTimeout time.Duration
	// SMTPTLSConfig verifies the SMTP server; nil for the system's roots.
	SMTPTLSConfig *tls.Config
}

// FromConfig returns a notifier per enabled channel (the same channels as
// notify.NewRouter(cfg).Enabled()), keyed by channel name: Slack when its
// webhook URL is set, email when its SMTP URL is set, the webhook when its
// URL is set. An error names the setting at fault and never quotes a secret.
func FromConfig(cfg config.Notify, o Options) (map[string]notify.Notifier, error) {
	out := map[string]notify.Notifier{}
	if cfg.Slack.WebhookURL != "" {
		n, err := slack.New(slack.Options{WebhookURL: cfg.Slack.WebhookURL, Timeout: o.HTTPTimeout})
		if err != nil {
			return nil, fmt.Errorf("notify.slack.webhook_url (PTD_SLACK_WEBHOOK_URL): %w", err)
		}
		out[n.Name()] = n
	}
	if cfg.Email.SMTPURL != "" {
		n, err := email.New(email.Options{
			URL: cfg.Email.SMTPURL, From: cfg.Email.From, To: cfg.Email.To,
			Timeout: o.SMTPTimeout, TLSConfig: o.SMTPTLSConfig,
		})
		if err != nil {
			return nil, fmt.Errorf("notify.email (PTD_SMTP_URL, PTD_EMAIL_FROM, PTD_EMAIL_TO): %w", err)
		}
		out[n.Name()] = n
	}
	if cfg.Webhook.URL != "" {
		n, err := webhook.New(webhook.Options{URL: cfg.Webhook.URL, Secret: cfg.Webhook.Secret, Timeout: o.HTTPTimeout})
		if err != nil {
			return nil, fmt.Errorf("notify.webhook.url (PTD_WEBHOOK_URL): %w", err)
		}
		out[n.Name()] = n
	}
	return out, nil
}
