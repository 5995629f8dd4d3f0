// Package notifiers builds the notifiers of the enabled channels from their
// destinations: the one place that knows every channel package, so that
// package notify and the channels stay independent of each other. It knows
// nothing of the configuration file: the caller (cli) fills Destinations.
package notifiers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

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

// Destinations say where each channel delivers; a channel whose
// destination is empty is off.
type Destinations struct {
	// SlackWebhookURL is the Slack incoming-webhook URL (a secret).
	SlackWebhookURL string
	// SMTPURL is smtp://user:pass@host:port or smtps://… (a secret).
	SMTPURL string
	// EmailFrom is the sender address of the emails.
	EmailFrom string
	// EmailTo are the recipients of the emails.
	EmailTo []string
	// WebhookURL receives the alerts as JSON (a secret).
	WebhookURL string
	// WebhookSecret keys the webhook's HMAC-SHA256 signature; empty sends none.
	WebhookSecret string
	// Owners are the owners' own destinations (notify.owners).
	Owners []Owner
}

// Owner is one owner's own destinations; either may be empty.
type Owner struct {
	// Name is the owner's name as configured (matched ignoring case).
	Name string
	// SlackWebhookURL is the owner's Slack incoming-webhook URL (a secret).
	SlackWebhookURL string
	// Email is the owner's address, sent through SMTPURL.
	Email string
}

// New returns a notifier per enabled channel, keyed by channel name: Slack
// when its webhook URL or an owner's is set, email when its SMTP URL is
// set, the webhook when its URL is set. Owners' destinations go to the
// Slack and email notifiers, which deliver an owner's messages there. An
// error names the setting at fault and never quotes a secret.
func New(d Destinations, o Options) (map[string]notify.Notifier, error) {
	out := map[string]notify.Notifier{}
	slackOwners, emailOwners := map[string]string{}, map[string]string{}
	for _, ow := range d.Owners {
		if ow.SlackWebhookURL != "" {
			slackOwners[ow.Name] = ow.SlackWebhookURL
		}
		if ow.Email != "" {
			emailOwners[ow.Name] = ow.Email
		}
	}
	if d.SlackWebhookURL != "" || len(slackOwners) > 0 {
		n, err := slack.New(slack.Options{WebhookURL: d.SlackWebhookURL, Owners: slackOwners, Timeout: o.HTTPTimeout})
		if err != nil {
			return nil, fmt.Errorf("notify.slack.webhook_url (PTD_SLACK_WEBHOOK_URL) or notify.owners: %w", err)
		}
		out[n.Name()] = n
	}
	if d.SMTPURL != "" {
		n, err := email.New(email.Options{
			URL: d.SMTPURL, From: d.EmailFrom, To: d.EmailTo, Owners: emailOwners,
			Timeout: o.SMTPTimeout, TLSConfig: o.SMTPTLSConfig,
		})
		if err != nil {
			return nil, fmt.Errorf("notify.email (PTD_SMTP_URL, PTD_EMAIL_FROM, PTD_EMAIL_TO): %w", err)
		}
		out[n.Name()] = n
	} else if len(emailOwners) > 0 {
		return nil, errors.New("notify.owners: owners have an email but notify.email.smtp_url (PTD_SMTP_URL) is not set: owners' email goes through the team's SMTP server")
	}
	if d.WebhookURL != "" {
		n, err := webhook.New(webhook.Options{URL: d.WebhookURL, Secret: d.WebhookSecret, Timeout: o.HTTPTimeout})
		if err != nil {
			return nil, fmt.Errorf("notify.webhook.url (PTD_WEBHOOK_URL): %w", err)
		}
		out[n.Name()] = n
	}
	return out, nil
}
