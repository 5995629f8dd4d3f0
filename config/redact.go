package config

import (
	"net/url"
	"slices"
)

// Mask replaces a secret in the result of Redacted.
const Mask = "***"

// Redacted returns a copy of c safe to print or log: the API tokens, the
// Slack webhook URLs (the team's and the owners') and the webhook secret
// become "***", and the SMTP URL
// and the read replica's URL keep only their scheme, host and port
// ("smtps://***@mail.example.com:465").
// Empty secrets stay empty, so an unconfigured channel still reads as off.
func (c Config) Redacted() Config {
	c.StallStages = slices.Clone(c.StallStages)
	c.Checks = slices.Clone(c.Checks)
	c.Serve.APITokens = slices.Clone(c.Serve.APITokens)
	for i := range c.Serve.APITokens {
		c.Serve.APITokens[i] = Mask
	}
	c.Notify.Slack.WebhookURL = mask(c.Notify.Slack.WebhookURL)
	c.Notify.Webhook.Secret = mask(c.Notify.Webhook.Secret)
	c.Notify.Email.SMTPURL = redactSMTP(c.Notify.Email.SMTPURL)
	c.Postgres.ReadURL = redactSMTP(c.Postgres.ReadURL)
	c.Notify.Email.To = slices.Clone(c.Notify.Email.To)
	if c.Notify.Owners != nil {
		owners := make(map[string]Owner, len(c.Notify.Owners))
		for name, o := range c.Notify.Owners {
			o.SlackWebhookURL = mask(o.SlackWebhookURL)
			owners[name] = o
		}
		c.Notify.Owners = owners
	}
	for _, r := range []*Route{&c.Notify.Slack.Route, &c.Notify.Email.Route, &c.Notify.Webhook.Route} {
		r.Priorities = slices.Clone(r.Priorities)
		r.Types = slices.Clone(r.Types)
	}
	return c
}

// mask hides a non-empty secret.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return Mask
}

// redactSMTP hides the credentials and path of a URL (SMTP, PostgreSQL),
// and the whole URL when it cannot be parsed.
func redactSMTP(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Mask
	}
	if u.User == nil {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + Mask + "@" + u.Host
}
