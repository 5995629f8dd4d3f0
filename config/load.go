package config

import (
	"os"
	"strconv"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Environment variables that override the YAML file (CONTRACT §8).
const (
	EnvSchedule           = "PTD_SCHEDULE"
	EnvAddr               = "PTD_ADDR"
	EnvAPIToken           = "PTD_API_TOKEN"
	EnvSlackWebhookURL    = "PTD_SLACK_WEBHOOK_URL"
	EnvSMTPURL            = "PTD_SMTP_URL"
	EnvEmailFrom          = "PTD_EMAIL_FROM"
	EnvEmailTo            = "PTD_EMAIL_TO"
	EnvWebhookURL         = "PTD_WEBHOOK_URL"
	EnvWebhookSecret      = "PTD_WEBHOOK_SECRET"
	EnvPGMaxConns         = "PTD_PG_MAX_CONNS"
	EnvPGStatementTimeout = "PTD_PG_STATEMENT_TIMEOUT"
	EnvReadDatabaseURL    = "PTD_READ_DATABASE_URL"
	EnvPGMaxReplicaLag    = "PTD_PG_MAX_REPLICA_LAG"
)

// FileSuffix turns a secret's variable into the one naming a file that
// holds it: PTD_SMTP_URL_FILE=/run/secrets/smtp.
const FileSuffix = "_FILE"

// Load returns the configuration: Default, then the YAML file at path
// ("" for none; keys it leaves out keep their defaults; unknown keys are
// refused with their line), then the environment read through env (nil for
// none; a variable that is set wins over the file), validated.
//
// PTD_API_TOKEN, PTD_SLACK_WEBHOOK_URL, PTD_SMTP_URL, PTD_WEBHOOK_SECRET and
// PTD_READ_DATABASE_URL may instead name a file with the _FILE suffix; its content, trimmed, is
// the value. Setting both forms of one variable is an error.
//
// When API tokens are configured and neither serve.addr nor PTD_ADDR is
// set, Load sets Serve.Addr to ":8080" (CONTRACT §8); otherwise the default
// stays loopback, "127.0.0.1:8080".
//
// An empty schedule and empty notification priorities become their
// defaults; blank API tokens and email recipients are dropped. Every error is a
// *proactive.Error with code EINVALID naming the key or variable at fault.
func Load(path string, env func(string) string) (Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	cfg := Default()
	set := map[string]bool{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, proactive.Errorf(proactive.EINVALID, "config file %s cannot be read (%v): check --config or PTD_CONFIG", path, unwrapPathError(err))
		}
		if set, err = decodeYAML(path, data, &cfg); err != nil {
			return cfg, err
		}
	}
	from, err := applyEnv(&cfg, env)
	if err != nil {
		return cfg, err
	}
	cfg.normalize()
	if !set["serve.addr"] && env(EnvAddr) == "" && len(cfg.Serve.APITokens) > 0 {
		cfg.Serve.Addr = TokenAddr
	}
	if err := cfg.validate(from); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// unwrapPathError drops the path from an *os.PathError's text (the message
// names it already).
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// applyEnv overrides cfg with the environment variables that are set, and
// returns which dotted keys they set (for messages that name the variable).
func applyEnv(cfg *Config, env func(string) string) (map[string]string, error) {
	from := map[string]string{}
	text := func(name, key string, dst *string) {
		if v := env(name); v != "" {
			*dst = strings.TrimSpace(v)
			from[key] = name
		}
	}
	secretText := func(name, key string, dst *string) error {
		v, ok, err := secret(env, name, false)
		if ok {
			*dst = v
			from[key] = name
		}
		return err
	}
	text(EnvSchedule, "schedule", &cfg.Schedule)
	text(EnvAddr, "serve.addr", &cfg.Serve.Addr)
	if v, ok, err := secret(env, EnvAPIToken, true); err != nil {
		return nil, err
	} else if ok {
		cfg.Serve.APITokens = splitList(v)
		from["serve.api_tokens"] = EnvAPIToken
	}
	if err := secretText(EnvSlackWebhookURL, "notify.slack.webhook_url", &cfg.Notify.Slack.WebhookURL); err != nil {
		return nil, err
	}
	if err := secretText(EnvSMTPURL, "notify.email.smtp_url", &cfg.Notify.Email.SMTPURL); err != nil {
		return nil, err
	}
	text(EnvEmailFrom, "notify.email.from", &cfg.Notify.Email.From)
	if v := env(EnvEmailTo); v != "" {
		cfg.Notify.Email.To = splitList(v)
		from["notify.email.to"] = EnvEmailTo
	}
	text(EnvWebhookURL, "notify.webhook.url", &cfg.Notify.Webhook.URL)
	if err := secretText(EnvWebhookSecret, "notify.webhook.secret", &cfg.Notify.Webhook.Secret); err != nil {
		return nil, err
	}
	if v := strings.TrimSpace(env(EnvPGMaxConns)); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, proactive.Errorf(proactive.EINVALID, "%s (%q) must be a whole number, e.g. 8", EnvPGMaxConns, v)
		}
		cfg.Postgres.MaxConns = int32(n)
		from["postgres.max_conns"] = EnvPGMaxConns
	}
	if v := strings.TrimSpace(env(EnvPGStatementTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, proactive.Errorf(proactive.EINVALID, "%s (%q) must be a duration with a unit, e.g. 30s or 2m", EnvPGStatementTimeout, v)
		}
		cfg.Postgres.StatementTimeout = d
		from["postgres.statement_timeout"] = EnvPGStatementTimeout
	}
	if err := secretText(EnvReadDatabaseURL, "postgres.read_url", &cfg.Postgres.ReadURL); err != nil {
		return nil, err
	}
	if v := strings.TrimSpace(env(EnvPGMaxReplicaLag)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, proactive.Errorf(proactive.EINVALID, "%s (%q) must be a duration with a unit, e.g. 60s or 2m", EnvPGMaxReplicaLag, v)
		}
		cfg.Postgres.MaxReplicaLag = d
		from["postgres.max_replica_lag"] = EnvPGMaxReplicaLag
	}
	return from, nil
}

// secret reads a secret from the variable name or from the file named by
// name_FILE, trimmed. ok is false when neither is set. With list, the file
// may hold one value per line as well as comma-separated ones.
func secret(env func(string) string, name string, list bool) (v string, ok bool, err error) {
	direct, file := env(name), env(name+FileSuffix)
	switch {
	case direct != "" && file != "":
		return "", false, proactive.Errorf(proactive.EINVALID, "%s and %s%s are both set: set only one of them", name, name, FileSuffix)
	case direct != "":
		return strings.TrimSpace(direct), true, nil
	case file == "":
		return "", false, nil
	}
	data, rerr := os.ReadFile(file)
	if rerr != nil {
		return "", false, proactive.Errorf(proactive.EINVALID, "%s%s: the file %s cannot be read (%v)", name, FileSuffix, file, unwrapPathError(rerr))
	}
	v = strings.TrimSpace(string(data))
	if list {
		v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", ","), "\n", ",")
	}
	if v == "" {
		return "", false, proactive.Errorf(proactive.EINVALID, "%s%s: the file %s is empty: put the secret in it or unset the variable", name, FileSuffix, file)
	}
	return v, true, nil
}

// splitList splits a comma-separated value, trims the parts and drops the
// empty ones.
func splitList(s string) []string { return trimList(strings.Split(s, ",")) }

// normalize trims the schedule, lists, check names, column names and
// owners' destinations, and fills an empty schedule and empty channel
// priorities with their defaults.
func (c *Config) normalize() {
	c.Schedule = strings.TrimSpace(c.Schedule)
	if c.Schedule == "" {
		c.Schedule = DefaultSchedule
	}
	c.Serve.APITokens = trimList(c.Serve.APITokens)
	for i, t := range c.Checks {
		c.Checks[i] = proactive.AnomalyType(strings.TrimSpace(string(t)))
	}
	c.Columns.ClientOwner = strings.TrimSpace(c.Columns.ClientOwner)
	c.Columns.DealOwner = strings.TrimSpace(c.Columns.DealOwner)
	c.Columns.ClientValue = strings.TrimSpace(c.Columns.ClientValue)
	for i := range c.Inhibit {
		r := &c.Inhibit[i]
		r.SourceType = proactive.AnomalyType(strings.TrimSpace(string(r.SourceType)))
		r.TargetType = proactive.AnomalyType(strings.TrimSpace(string(r.TargetType)))
		r.SourceMatch = strings.TrimSpace(r.SourceMatch)
	}
	c.Notify.Email.To = trimList(c.Notify.Email.To)
	if len(c.Notify.Owners) == 0 {
		c.Notify.Owners = nil // owners: {} says the same as no owners
	}
	for name, o := range c.Notify.Owners {
		c.Notify.Owners[name] = Owner{SlackWebhookURL: strings.TrimSpace(o.SlackWebhookURL), Email: strings.TrimSpace(o.Email)}
	}
	routes := []struct {
		channel string
		route   *Route
	}{
		{proactive.ChannelSlack, &c.Notify.Slack.Route},
		{proactive.ChannelEmail, &c.Notify.Email.Route},
		{proactive.ChannelWebhook, &c.Notify.Webhook.Route},
	}
	for _, r := range routes {
		if len(r.route.Priorities) == 0 {
			r.route.Priorities = DefaultPriorities(r.channel)
		}
	}
}

// trimList trims every element and drops the empty ones; nil when none remain.
func trimList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
