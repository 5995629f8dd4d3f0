// Package config loads ptd-proactive's settings: the YAML file of CONTRACT
// §5 and §8, overridden by environment variables, validated with messages
// that name the offending key and say how to fix it.
//
// Load starts from Default, decodes the YAML file onto it (unknown keys are
// refused with their line), applies the environment (the variable wins) and
// validates the result. Every error is a *proactive.Error with code EINVALID.
package config

import (
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// Config is every setting of ptd-proactive.
type Config struct {
	// Thresholds are the seed's THRESHOLDS (YAML key thresholds).
	Thresholds proactive.Thresholds `yaml:"thresholds" json:"thresholds"`
	// StallStages are the deal stages the stall check watches, compared
	// case-insensitively (YAML key stall_stages).
	StallStages []string `yaml:"stall_stages" json:"stall_stages"`
	// Checks are the checks a scan runs, any subset of the registry's
	// (YAML key checks); default the four of Part one (CONTRACT §11.1).
	Checks []proactive.AnomalyType `yaml:"checks" json:"checks"`
	// Columns name the optional owner and value columns of the source
	// tables (YAML key columns); unset by default.
	Columns proactive.Columns `yaml:"columns" json:"columns"`
	// Inhibit are the inhibit rules (YAML key inhibit, CONTRACT §11.8):
	// an unresolved case of source_type matching source_match inhibits
	// every anomaly of target_type; none by default.
	Inhibit []proactive.InhibitRule `yaml:"inhibit" json:"inhibit"`
	// Postgres tunes the PostgreSQL store (YAML key postgres).
	Postgres Postgres `yaml:"postgres" json:"postgres"`
	// Serve configures `ptd-proactive serve` (YAML key serve).
	Serve Serve `yaml:"serve" json:"serve"`
	// Schedule is the cron expression of the built-in schedule (5 fields,
	// or 6 with leading seconds, or a descriptor such as @hourly), or "off"
	// (YAML key schedule, environment PTD_SCHEDULE). Default every 15 minutes.
	Schedule string `yaml:"schedule" json:"schedule"`
	// Notify configures the notification channels (YAML key notify).
	Notify Notify `yaml:"notify" json:"notify"`
}

// Postgres tunes the PostgreSQL store.
type Postgres struct {
	// MaxConns is the pool size (PTD_PG_MAX_CONNS); default 8.
	MaxConns int32 `yaml:"max_conns" json:"max_conns"`
	// StatementTimeout bounds every statement (PTD_PG_STATEMENT_TIMEOUT,
	// written like "30s"); default 30s, 0 for no limit.
	StatementTimeout time.Duration `yaml:"statement_timeout" json:"statement_timeout"`
	// ReadURL is a read replica of the database (a Supabase read replica,
	// a streaming standby) the checks read from; everything else is written
	// to the primary (PTD_READ_DATABASE_URL, or --read-db). A secret (it may
	// hold a password). Empty: the checks read the primary.
	ReadURL string `yaml:"read_url" json:"read_url"`
	// MaxReplicaLag is how far the read replica may be behind the primary
	// and still be read; further behind, a scan reads the primary and says
	// so (PTD_PG_MAX_REPLICA_LAG, written like "60s"); default 60s.
	MaxReplicaLag time.Duration `yaml:"max_replica_lag" json:"max_replica_lag"`
}

// Serve configures the HTTP service.
type Serve struct {
	// Addr is the listen address (PTD_ADDR). Default 127.0.0.1:8080
	// (loopback); Load makes it :8080 when API tokens are configured and
	// neither serve.addr nor PTD_ADDR is set (CONTRACT §8).
	Addr string `yaml:"addr" json:"addr"`
	// APITokens are the accepted bearer tokens (PTD_API_TOKEN or
	// PTD_API_TOKEN_FILE, comma-separated for rotation); secrets.
	APITokens []string `yaml:"api_tokens" json:"api_tokens"`
}

// Notify configures the three notification channels and the owners who
// receive their own messages.
type Notify struct {
	// Slack is the Slack incoming-webhook channel (YAML key notify.slack).
	Slack Slack `yaml:"slack" json:"slack"`
	// Email is the SMTP channel (YAML key notify.email).
	Email Email `yaml:"email" json:"email"`
	// Webhook is the generic JSON webhook channel (YAML key notify.webhook).
	Webhook Webhook `yaml:"webhook" json:"webhook"`
	// Owners maps an owner's name, as the owner columns hold it (matched
	// ignoring case), to their own destinations (YAML key notify.owners,
	// CONTRACT §11.6): each new, escalated or updated alert in which they
	// own a notified member reaches them too, under each channel's filter.
	Owners map[string]Owner `yaml:"owners" json:"owners"`
}

// Owner is where one owner's messages go; either may be empty.
type Owner struct {
	// SlackWebhookURL is the owner's own Slack incoming-webhook URL; a secret.
	SlackWebhookURL string `yaml:"slack_webhook_url" json:"slack_webhook_url"`
	// Email is the owner's address; sent through notify.email.smtp_url.
	Email string `yaml:"email" json:"email"`
}

// Route selects which messages a channel receives.
type Route struct {
	// Priorities the channel receives; Load replaces an empty list with the
	// channel's default (slack: critical, high; email: critical; webhook: all).
	Priorities []proactive.Severity `yaml:"priorities" json:"priorities"`
	// Types the channel receives; empty means all.
	Types []proactive.AnomalyType `yaml:"types" json:"types"`
	// SendResolved makes the channel send a message per scan listing the
	// cases it resolved (CONTRACT §10.10); default true for the webhook,
	// false for Slack and email (YAML key notify.<channel>.send_resolved).
	SendResolved bool `yaml:"send_resolved" json:"send_resolved"`
}

// Slack is the Slack incoming-webhook channel; off when WebhookURL is empty.
type Slack struct {
	// WebhookURL is the incoming-webhook URL (PTD_SLACK_WEBHOOK_URL or
	// PTD_SLACK_WEBHOOK_URL_FILE); a secret.
	WebhookURL string `yaml:"webhook_url" json:"webhook_url"`
	Route      `yaml:",inline"`
}

// Email is the SMTP channel; off when SMTPURL is empty.
type Email struct {
	// SMTPURL is smtp://user:pass@host:port or smtps://… (PTD_SMTP_URL or
	// PTD_SMTP_URL_FILE); a secret.
	SMTPURL string `yaml:"smtp_url" json:"smtp_url"`
	// From is the sender address (PTD_EMAIL_FROM).
	From string `yaml:"from" json:"from"`
	// To are the recipient addresses (PTD_EMAIL_TO, comma-separated).
	To    []string `yaml:"to" json:"to"`
	Route `yaml:",inline"`
}

// Webhook is the generic JSON webhook channel; off when URL is empty.
type Webhook struct {
	// URL receives the alerts as JSON (PTD_WEBHOOK_URL).
	URL string `yaml:"url" json:"url"`
	// Secret keys the X-PTD-Signature HMAC-SHA256 of the body
	// (PTD_WEBHOOK_SECRET or PTD_WEBHOOK_SECRET_FILE); a secret.
	Secret string `yaml:"secret" json:"secret"`
	Route  `yaml:",inline"`
}

// DefaultMaxReplicaLag is postgres.max_replica_lag when not configured.
const DefaultMaxReplicaLag = 60 * time.Second

// DefaultAddr is the listen address without API tokens: loopback only.
const DefaultAddr = "127.0.0.1:8080"

// TokenAddr is the default listen address once API tokens are configured.
const TokenAddr = ":8080"

// DefaultSchedule is the built-in schedule: every 15 minutes.
const DefaultSchedule = "*/15 * * * *"

// ScheduleOff is the Schedule value that disables the built-in schedule.
const ScheduleOff = "off"

// Default returns the settings used when nothing is configured: the seed's
// thresholds and stall stages, the four checks of Part one, a PostgreSQL
// pool of 8 with a 30 s statement timeout and no read replica (60 s of lag
// allowed once one is set), loopback listening, a 15-minute schedule and every notification
// channel off with its default priorities (resolved messages on for the
// webhook only) and no owners.
func Default() Config {
	return Config{
		Thresholds:  proactive.DefaultThresholds(),
		StallStages: proactive.DefaultStallStages(),
		Checks:      rules.Registry().Defaults(),
		Postgres:    Postgres{MaxConns: 8, StatementTimeout: 30 * time.Second, MaxReplicaLag: DefaultMaxReplicaLag},
		Serve:       Serve{Addr: DefaultAddr},
		Schedule:    DefaultSchedule,
		Notify: Notify{
			Slack:   Slack{Route: Route{Priorities: DefaultPriorities(proactive.ChannelSlack)}},
			Email:   Email{Route: Route{Priorities: DefaultPriorities(proactive.ChannelEmail)}},
			Webhook: Webhook{Route: Route{Priorities: DefaultPriorities(proactive.ChannelWebhook), SendResolved: true}},
		},
	}
}

// DefaultPriorities returns the priorities a notification channel
// (proactive.ChannelSlack, ChannelEmail, ChannelWebhook) receives when its
// route names none: slack critical and high, email critical, webhook all.
func DefaultPriorities(channel string) []proactive.Severity {
	switch channel {
	case proactive.ChannelSlack:
		return []proactive.Severity{proactive.SeverityCritical, proactive.SeverityHigh}
	case proactive.ChannelEmail:
		return []proactive.Severity{proactive.SeverityCritical}
	}
	return proactive.Severities()
}

// ScheduleEnabled reports whether the built-in schedule runs (Schedule is not "off").
func (c Config) ScheduleEnabled() bool { return c.Schedule != ScheduleOff }

// DedupWindow is thresholds.dedup_window_hours as a duration.
func (c Config) DedupWindow() time.Duration {
	return time.Duration(c.Thresholds.DedupWindowHours * float64(time.Hour))
}
