package config

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// envMap returns an env function reading from m.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// requireInvalid checks that err is a *proactive.Error with code EINVALID
// and the exact message want.
func requireInvalid(t *testing.T, err error, want string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "code of %v", err)
	require.Equal(t, want, err.Error())
}

func TestDefault(t *testing.T) {
	t.Parallel()
	c := Default()
	require.Equal(t, proactive.DefaultThresholds(), c.Thresholds)
	require.Equal(t, []string{"Assessment", "Proposal", "Negotiation", "Trial"}, c.StallStages)
	require.Equal(t, []proactive.AnomalyType{"health_drop", "deal_stall", "sync_fail", "response_delay"}, c.Checks)
	require.Equal(t, proactive.Columns{}, c.Columns)
	require.Equal(t, Postgres{MaxConns: 8, StatementTimeout: 30 * time.Second, MaxReplicaLag: 60 * time.Second}, c.Postgres)
	require.Equal(t, "127.0.0.1:8080", c.Serve.Addr)
	require.Empty(t, c.Serve.APITokens)
	require.Equal(t, "*/15 * * * *", c.Schedule)
	require.True(t, c.ScheduleEnabled())
	require.Equal(t, 24*time.Hour, c.DedupWindow())
	require.Equal(t, []proactive.Severity{"critical", "high"}, c.Notify.Slack.Priorities)
	require.Equal(t, []proactive.Severity{"critical"}, c.Notify.Email.Priorities)
	require.Equal(t, []proactive.Severity{"critical", "high", "medium", "low"}, c.Notify.Webhook.Priorities)
	require.Empty(t, c.Notify.Slack.WebhookURL)
	require.Empty(t, c.Notify.Email.SMTPURL)
	require.Empty(t, c.Notify.Webhook.URL)
	require.False(t, c.Notify.Slack.SendResolved)
	require.False(t, c.Notify.Email.SendResolved)
	require.True(t, c.Notify.Webhook.SendResolved)
	require.Empty(t, c.Notify.Owners)
	require.NoError(t, c.Validate())

	// Default returns a fresh value each time.
	c.StallStages[0] = "changed"
	c.Notify.Slack.Priorities[0] = "low"
	require.Equal(t, "Assessment", Default().StallStages[0])
	require.Equal(t, proactive.SeverityCritical, Default().Notify.Slack.Priorities[0])
}

func TestLoadDefaultsOnly(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", "testdata/comments_only.yml"} {
		c, err := Load(path, nil)
		require.NoError(t, err, path)
		require.Equal(t, Default(), c, path)
	}
}

func TestLoadFull(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/full.yml", envMap(nil))
	require.NoError(t, err)
	want := Config{
		Thresholds: proactive.Thresholds{
			HealthDropCritical: 30, HealthDropHigh: 20, HealthDropMedium: 12.5, HealthTrendDays: 5,
			DealStallDaysCritical: 45, DealStallDaysHigh: 30, DealStallDaysMedium: 20,
			SyncFailCritical: 10, SyncFailHigh: 6, SyncFailMedium: 3,
			ResponseDelayCritical: 48, ResponseDelayHigh: 24, ResponseDelayMedium: 8,
			DedupWindowHours:    12,
			ResolveAfterMinutes: 90, RecoveryMargin: 2.5, ForecastDays: 10, AnomalyZ: 4, AnomalyMinDrop: 6, LeadValue: 250,
		},
		StallStages: []string{"Discovery", "Proposal"},
		Checks: []proactive.AnomalyType{"health_drop", "deal_stall", "sync_fail", "response_delay",
			"health_forecast", "health_anomaly", "renewal_risk", "coach_workload"},
		Columns: proactive.Columns{ClientOwner: "coach", DealOwner: "owner", ClientValue: "package_value"},
		Inhibit: []proactive.InhibitRule{
			{SourceType: "sync_fail", SourceMatch: "hubspot_*", TargetType: "deal_stall"},
			{SourceType: "health_drop", SourceMatch: "*@example.com", TargetType: "coach_workload"},
		},
		Postgres: Postgres{MaxConns: 4, StatementTimeout: 45 * time.Second,
			ReadURL: "postgres://reader:r3ad@replica.example.com:5432/postgres", MaxReplicaLag: 90 * time.Second},
		Serve:    Serve{Addr: "0.0.0.0:9090", APITokens: []string{"token-one", "token-two"}},
		Schedule: "0 * * * 1-5",
		Notify: Notify{
			Slack: Slack{
				WebhookURL: "https://hooks.slack.com/services/T000/B000/XXXX",
				Route:      Route{Priorities: []proactive.Severity{"critical"}, Types: []proactive.AnomalyType{"health_drop", "deal_stall"}, SendResolved: true},
			},
			Email: Email{
				SMTPURL: "smtps://mailer:s3cret@smtp.example.com:465",
				From:    "PTD Alerts <alerts@example.com>",
				To:      []string{"ops@example.com", "cs@example.com"},
				Route:   Route{Priorities: []proactive.Severity{"critical", "high"}, SendResolved: true},
			},
			Webhook: Webhook{
				URL:    "https://example.com/hooks/ptd",
				Secret: "hook-secret",
				Route:  Route{Priorities: proactive.Severities(), Types: []proactive.AnomalyType{"sync_fail"}},
			},
			Owners: map[string]Owner{
				"Coach Ann": {SlackWebhookURL: "https://hooks.slack.com/services/T001/B001/ANN", Email: "ann@example.com"},
				"Bob":       {Email: "Bob Stone <bob@example.com>"},
			},
		},
	}
	require.Equal(t, want, c)
	require.Equal(t, 12*time.Hour, c.DedupWindow())
}

func TestLoadPartialKeepsDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/partial.yml", nil)
	require.NoError(t, err)
	want := Default()
	want.Thresholds.HealthDropCritical = 40
	want.Notify.Slack.WebhookURL = "https://hooks.slack.com/services/T000/B000/XXXX"
	require.Equal(t, want, c)
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want string
	}{
		// YAML shape: unknown keys and wrong kinds, with their line.
		{"bad_unknown_key.yml", "config testdata/bad_unknown_key.yml: line 3: unknown key thresholds.health_drop_critcal: did you mean thresholds.health_drop_critical?"},
		{"bad_unknown_top_key.yml", "config testdata/bad_unknown_top_key.yml: line 2: unknown key dedup_window_hours: did you mean thresholds.dedup_window_hours?"},
		{"bad_unknown_far_key.yml", "config testdata/bad_unknown_far_key.yml: line 3: unknown key notify.slack.channel: the keys under notify.slack are priorities, send_resolved, types, webhook_url"},
		{"bad_duplicate_key.yml", "config testdata/bad_duplicate_key.yml: line 2: schedule is set twice (first on line 1): keep one"},
		{"bad_text_number.yml", `config testdata/bad_text_number.yml: line 2: thresholds.health_drop_high ("fifteen") must be a number`},
		{"bad_fraction_int.yml", `config testdata/bad_fraction_int.yml: line 2: thresholds.sync_fail_high ("2.5") must be a whole number`},
		{"bad_duration.yml", `config testdata/bad_duration.yml: line 2: postgres.statement_timeout ("30") must be a duration with a unit, e.g. 30s or 2m`},
		{"bad_list.yml", `config testdata/bad_list.yml: line 1: stall_stages must be a list, e.g. [a, b] or one "- item" per line`},
		{"bad_mapping.yml", "config testdata/bad_mapping.yml: line 1: thresholds must be a mapping of keys (thresholds: then indented keys below it)"},
		{"bad_not_mapping.yml", "config testdata/bad_not_mapping.yml: line 1: the file must be a YAML mapping of settings (thresholds:, schedule:, notify:, …)"},
		{"bad_recursive_alias.yml", "config testdata/bad_recursive_alias.yml: line 2: thresholds is nested too deeply (a recursive alias?)"},
		{"bad_syntax.yml", "config testdata/bad_syntax.yml: line 2: did not find expected key: fix the YAML syntax"},
		{"bad_tab.yml", "config testdata/bad_tab.yml: line 3: a tab indents the line: indent YAML with spaces"},

		// Thresholds.
		{"bad_critical_below_high.yml", "thresholds.health_drop_critical (10) must be at least thresholds.health_drop_high (15): critical is the larger drop"},
		{"bad_high_below_medium.yml", "thresholds.deal_stall_days_high (7) must be at least thresholds.deal_stall_days_medium (14): high is the longer stall"},
		{"bad_sync_order.yml", "thresholds.sync_fail_critical (2) must be at least thresholds.sync_fail_high (3): critical is the larger failure count; " +
			"thresholds.sync_fail_high (3) must be at least thresholds.sync_fail_medium (4): high is the larger failure count"},
		{"bad_response_order.yml", "thresholds.response_delay_critical (12) must be at least thresholds.response_delay_high (24): critical is the longer wait"},
		{"bad_negative.yml", "thresholds.sync_fail_medium (-2) must not be negative"},
		{"bad_zero.yml", "thresholds.response_delay_medium (0) must be greater than 0"},
		{"bad_trend_days.yml", "thresholds.health_trend_days (15) must be between 1 and 14: the health check reads the last 14 days"},
		{"bad_trend_days_zero.yml", "thresholds.health_trend_days (0) must be between 1 and 14: the health check reads the last 14 days"},
		{"bad_dedup_window.yml", "thresholds.dedup_window_hours (0) must be greater than 0"},
		{"bad_recovery_margin.yml", "thresholds.recovery_margin (8) must be below thresholds.health_drop_medium (8): a health drop case stays open while the drop is at least health_drop_medium − recovery_margin"},
		{"bad_anomaly_z.yml", "thresholds.anomaly_z (0) must be greater than 0"},
		{"bad_forecast_days.yml", "thresholds.forecast_days (-2) must not be negative"},
		{"bad_negative_early.yml", "thresholds.resolve_after_minutes (-5) must not be negative; " +
			"thresholds.recovery_margin (-1) must not be negative; " +
			"thresholds.anomaly_min_drop (-0.5) must not be negative; " +
			"thresholds.lead_value (-100) must not be negative"},
		{"bad_several.yml", "thresholds.health_drop_critical (10) must be at least thresholds.health_drop_high (15): critical is the larger drop; " +
			"thresholds.dedup_window_hours (-1) must not be negative; " +
			`schedule ("hourly") is not a cron expression (expected 5 to 6 fields, found 1: [hourly]): use 5 fields such as "*/15 * * * *" (minute hour day month weekday), or off to disable the schedule`},

		// Other settings.
		{"bad_empty_stages.yml", "stall_stages is empty: list the deal stages to watch, e.g. [Assessment, Proposal, Negotiation, Trial]"},
		{"bad_blank_stage.yml", "stall_stages[1] is blank: name a deal stage or remove the entry"},
		{"bad_unknown_check.yml", `checks[1] ("health_forcast") is not a check: use health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload; ` +
			`checks[3] ("deal_stall") is listed twice (first as checks[2]): list each check once`},
		{"bad_empty_checks.yml", "checks is empty: list the checks to run, e.g. [health_drop, deal_stall, sync_fail, response_delay]"},
		{"bad_coach_no_owner.yml", "checks lists coach_workload but columns.client_owner is not set: name the column of client_health_scores that holds each client's owner, e.g. columns: {client_owner: coach}"},
		{"bad_inhibit.yml", `inhibit[0].source_type ("sync_failure") is not a check: use health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload; ` +
			`inhibit[1].source_match is empty: give a glob matching the inhibiting cases' keys or labels, e.g. "hubspot_*"; ` +
			`inhibit[1].target_type is missing: name a check, one of health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload; ` +
			`inhibit[2].target_type is missing: name a check, one of health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload`},
		{"bad_inhibit_key.yml", "config testdata/bad_inhibit_key.yml: line 2: unknown key inhibit[0].match: the keys under inhibit[0] are source_match, source_type, target_type"},
		{"bad_column_name.yml", `columns.client_owner ("coach name") is not a column name: use letters, digits and underscores, starting with a letter, e.g. coach; ` +
			`columns.client_value ("1value") is not a column name: use letters, digits and underscores, starting with a letter, e.g. coach`},
		{"bad_max_conns.yml", "postgres.max_conns (0) must be at least 2: a scan writes on one connection while its checks read on the others (8 is the default)"},
		{"bad_max_conns_one.yml", "postgres.max_conns (1) must be at least 2: a scan writes on one connection while its checks read on the others (8 is the default)"},
		{"bad_max_replica_lag.yml", "postgres.max_replica_lag (0s) must be positive, e.g. 60s: a read replica further behind the primary than this is not read"},
		{"bad_read_url.yml", "postgres.read_url must be a postgres:// or postgresql:// URL of a read replica, e.g. postgres://user:password@replica.example.com:5432/postgres"},
		{"bad_serve_addr.yml", `serve.addr ("8080") must be host:port, e.g. 127.0.0.1:8080 or :8080`},
		{"bad_schedule.yml", `schedule ("*/15 * * *") is not a cron expression (expected 5 to 6 fields, found 4: [*/15 * * *]): use 5 fields such as "*/15 * * * *" (minute hour day month weekday), or off to disable the schedule`},
		{"bad_priority.yml", `notify.slack.priorities[1]: unknown priority "urgent": use critical, high, medium or low`},
		{"bad_type.yml", `notify.webhook.types[0]: unknown alert type "health_drops": use health_drop, deal_stall, sync_fail, response_delay, health_forecast, health_anomaly, renewal_risk or coach_workload`},
		{"bad_slack_url.yml", "notify.slack.webhook_url must be an http(s) URL such as https://hooks.slack.com/services/…"},
		{"bad_smtp_url.yml", "notify.email.smtp_url must look like smtp://user:pass@host:port or smtps://user:pass@host:port"},
		{"bad_smtp_no_port.yml", "notify.email.smtp_url must look like smtp://user:pass@host:port or smtps://user:pass@host:port"},
		{"bad_email_no_from.yml", "notify.email.from is required when notify.email.smtp_url is set: give the sender address (or PTD_EMAIL_FROM)"},
		{"bad_email_no_to.yml", "notify.email.to is required when notify.email.smtp_url is set: give at least one recipient (or PTD_EMAIL_TO, comma-separated)"},
		{"bad_address.yml", `notify.email.to[1] ("bob@") is not an email address: write it like alerts@example.com`},
		{"bad_send_resolved.yml", `config testdata/bad_send_resolved.yml: line 3: notify.webhook.send_resolved ("no") must be true or false`},
		{"bad_owners_list.yml", "config testdata/bad_owners_list.yml: line 3: notify.owners must be a mapping of names to settings (notify.owners: then one indented name: per entry)"},
		{"bad_owner_key.yml", `config testdata/bad_owner_key.yml: line 4: unknown key notify.owners["Coach Ann"].slack_url: the keys under notify.owners["Coach Ann"] are email, slack_webhook_url`},
		{"bad_owner_twice.yml", `config testdata/bad_owner_twice.yml: line 4: notify.owners["Coach Ann"] is set twice (first on line 3): keep one`},
		{"bad_owners.yml", `notify.owners[" "]: an owner's name is blank: write it as the owner columns hold it, e.g. "Coach Ann"; ` +
			`notify.owners["Bob"].email ("bob@") is not an email address: write it like alerts@example.com; ` +
			`notify.owners["Bob"].email needs notify.email.smtp_url: owners' email goes through the team's SMTP server; ` +
			`notify.owners["Carla"] has neither slack_webhook_url nor email: give at least one, or remove the owner; ` +
			`notify.owners["Coach Ann"].slack_webhook_url must be an http(s) URL such as https://hooks.slack.com/services/… (value not shown: it is a secret); ` +
			`notify.owners["Coach Ann"] and notify.owners["coach ann"] are the same owner (names are matched ignoring case): keep one`},
		{"bad_owner_no_smtp.yml", `notify.owners["Coach Ann"].email needs notify.email.smtp_url: owners' email goes through the team's SMTP server`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, err := Load(filepath.Join("testdata", tt.file), nil)
			requireInvalid(t, err, tt.want)
		})
	}
}

func TestLoadFixturesCovered(t *testing.T) {
	t.Parallel()
	// Every bad_*.yml fixture must fail to load (and be listed above).
	files, err := filepath.Glob("testdata/bad_*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		_, err := Load(f, nil)
		require.Error(t, err, f)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/nope.yml", nil)
	requireInvalid(t, err, "config file testdata/nope.yml cannot be read (no such file or directory): check --config or PTD_CONFIG")
}

func TestEnvOverridesYAML(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"PTD_SCHEDULE":             "off",
		"PTD_ADDR":                 ":9999",
		"PTD_API_TOKEN":            " new-1 , ,new-2,",
		"PTD_SLACK_WEBHOOK_URL":    "https://hooks.slack.com/services/ENV",
		"PTD_SMTP_URL":             "smtp://env:pw@mail.internal:2525",
		"PTD_EMAIL_FROM":           "env@example.com",
		"PTD_EMAIL_TO":             "a@example.com, b@example.com",
		"PTD_WEBHOOK_URL":          "http://127.0.0.1:9000/hook",
		"PTD_WEBHOOK_SECRET":       "env-secret",
		"PTD_PG_MAX_CONNS":         "16",
		"PTD_PG_STATEMENT_TIMEOUT": "2m",
		"PTD_READ_DATABASE_URL":    "postgres://env@standby.internal/app",
		"PTD_PG_MAX_REPLICA_LAG":   "5s",
	}
	c, err := Load("testdata/full.yml", envMap(env))
	require.NoError(t, err)
	require.Equal(t, "off", c.Schedule)
	require.False(t, c.ScheduleEnabled())
	require.Equal(t, ":9999", c.Serve.Addr)
	require.Equal(t, []string{"new-1", "new-2"}, c.Serve.APITokens)
	require.Equal(t, "https://hooks.slack.com/services/ENV", c.Notify.Slack.WebhookURL)
	require.Equal(t, "smtp://env:pw@mail.internal:2525", c.Notify.Email.SMTPURL)
	require.Equal(t, "env@example.com", c.Notify.Email.From)
	require.Equal(t, []string{"a@example.com", "b@example.com"}, c.Notify.Email.To)
	require.Equal(t, "http://127.0.0.1:9000/hook", c.Notify.Webhook.URL)
	require.Equal(t, "env-secret", c.Notify.Webhook.Secret)
	require.Equal(t, Postgres{MaxConns: 16, StatementTimeout: 2 * time.Minute,
		ReadURL: "postgres://env@standby.internal/app", MaxReplicaLag: 5 * time.Second}, c.Postgres)
	// What the environment does not set stays as the file says.
	require.Equal(t, 30.0, c.Thresholds.HealthDropCritical)
	require.Equal(t, []proactive.Severity{"critical"}, c.Notify.Slack.Priorities)
}

func TestEnvWithoutFile(t *testing.T) {
	t.Parallel()
	c, err := Load("", envMap(map[string]string{
		"PTD_SMTP_URL":   "smtps://mail.example.com:465",
		"PTD_EMAIL_FROM": "alerts@example.com",
		"PTD_EMAIL_TO":   "ops@example.com",
	}))
	require.NoError(t, err)
	require.Equal(t, "smtps://mail.example.com:465", c.Notify.Email.SMTPURL)
	require.Equal(t, []string{"ops@example.com"}, c.Notify.Email.To)
}

func TestEnvInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"max conns", map[string]string{"PTD_PG_MAX_CONNS": "lots"}, `PTD_PG_MAX_CONNS ("lots") must be a whole number, e.g. 8`},
		{"statement timeout", map[string]string{"PTD_PG_STATEMENT_TIMEOUT": "30"}, `PTD_PG_STATEMENT_TIMEOUT ("30") must be a duration with a unit, e.g. 30s or 2m`},
		{"replica lag", map[string]string{"PTD_PG_MAX_REPLICA_LAG": "1 minute"}, `PTD_PG_MAX_REPLICA_LAG ("1 minute") must be a duration with a unit, e.g. 60s or 2m`},
		{"both forms", map[string]string{"PTD_SMTP_URL": "smtp://h:25", "PTD_SMTP_URL_FILE": "/x"}, "PTD_SMTP_URL and PTD_SMTP_URL_FILE are both set: set only one of them"},
		{"missing file", map[string]string{"PTD_WEBHOOK_SECRET_FILE": filepath.Join(dir, "nope")}, "PTD_WEBHOOK_SECRET_FILE: the file " + filepath.Join(dir, "nope") + " cannot be read (no such file or directory)"},
		{"empty file", map[string]string{"PTD_API_TOKEN_FILE": empty}, "PTD_API_TOKEN_FILE: the file " + empty + " is empty: put the secret in it or unset the variable"},
		// A value the environment set is named by its variable, not its YAML key.
		{"bad schedule", map[string]string{"PTD_SCHEDULE": "every hour"}, `PTD_SCHEDULE ("every hour") is not a cron expression (expected 5 to 6 fields, found 2: [every hour]): use 5 fields such as "*/15 * * * *" (minute hour day month weekday), or off to disable the schedule`},
		{"bad from", map[string]string{"PTD_SMTP_URL": "smtp://h:25", "PTD_EMAIL_FROM": "nobody", "PTD_EMAIL_TO": "ops@example.com"}, `PTD_EMAIL_FROM ("nobody") is not an email address: write it like alerts@example.com`},
		{"bad to", map[string]string{"PTD_SMTP_URL": "smtp://h:25", "PTD_EMAIL_FROM": "a@example.com", "PTD_EMAIL_TO": "ops@example.com, ops"}, `PTD_EMAIL_TO[1] ("ops") is not an email address: write it like alerts@example.com`},
		{"smtp without from and to", map[string]string{"PTD_SMTP_URL": "smtp://user:pw@h"},
			"PTD_SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port; " +
				"notify.email.from is required when PTD_SMTP_URL is set: give the sender address (or PTD_EMAIL_FROM); " +
				"notify.email.to is required when PTD_SMTP_URL is set: give at least one recipient (or PTD_EMAIL_TO, comma-separated)"},
		{"bad addr", map[string]string{"PTD_ADDR": "localhost"}, `PTD_ADDR ("localhost") must be host:port, e.g. 127.0.0.1:8080 or :8080`},
		{"bad slack url", map[string]string{"PTD_SLACK_WEBHOOK_URL": "hooks.slack.com/x"}, "PTD_SLACK_WEBHOOK_URL must be an http(s) URL such as https://hooks.slack.com/services/…"},
		{"bad webhook url", map[string]string{"PTD_WEBHOOK_URL": "ftp://example.com"}, "PTD_WEBHOOK_URL must be an http(s) URL such as https://example.com/hooks/ptd"},
		{"zero max conns", map[string]string{"PTD_PG_MAX_CONNS": "0"}, "PTD_PG_MAX_CONNS (0) must be at least 2: a scan writes on one connection while its checks read on the others (8 is the default)"},
		{"negative timeout", map[string]string{"PTD_PG_STATEMENT_TIMEOUT": "-1s"}, "PTD_PG_STATEMENT_TIMEOUT (-1s) must not be negative: use 0s for no limit"},
		{"zero replica lag", map[string]string{"PTD_PG_MAX_REPLICA_LAG": "0s"}, "PTD_PG_MAX_REPLICA_LAG (0s) must be positive, e.g. 60s: a read replica further behind the primary than this is not read"},
		{"replica url", map[string]string{"PTD_READ_DATABASE_URL": "http://u:s3cret@h/db"}, "PTD_READ_DATABASE_URL must be a postgres:// or postgresql:// URL of a read replica, e.g. postgres://user:password@replica.example.com:5432/postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load("", envMap(tt.env))
			requireInvalid(t, err, tt.want)
		})
	}
}

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	env := map[string]string{
		"PTD_SLACK_WEBHOOK_URL_FILE": write("slack", "https://hooks.slack.com/services/FILE\n"),
		"PTD_SMTP_URL_FILE":          write("smtp", "  smtp://u:p@mail.example.com:587  \n"),
		"PTD_WEBHOOK_SECRET_FILE":    write("hook", "file-secret\r\n"),
		"PTD_API_TOKEN_FILE":         write("tokens", "tok-a\ntok-b, tok-c\n\n"),
		"PTD_EMAIL_FROM":             "alerts@example.com",
		"PTD_EMAIL_TO":               "ops@example.com",
	}
	// The file form wins over the YAML file too.
	c, err := Load("testdata/full.yml", envMap(env))
	require.NoError(t, err)
	require.Equal(t, "https://hooks.slack.com/services/FILE", c.Notify.Slack.WebhookURL)
	require.Equal(t, "smtp://u:p@mail.example.com:587", c.Notify.Email.SMTPURL)
	require.Equal(t, "file-secret", c.Notify.Webhook.Secret)
	require.Equal(t, []string{"tok-a", "tok-b", "tok-c"}, c.Serve.APITokens)
}

func TestListenAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{"no token: loopback", "", nil, "127.0.0.1:8080"},
		{"token in YAML: all interfaces", "testdata/tokens.yml", nil, ":8080"},
		{"token in env: all interfaces", "", map[string]string{"PTD_API_TOKEN": "abc"}, ":8080"},
		{"token and serve.addr: as written", "testdata/tokens_addr.yml", nil, "127.0.0.1:8080"},
		{"token and PTD_ADDR: as written", "testdata/tokens.yml", map[string]string{"PTD_ADDR": "10.0.0.1:80"}, "10.0.0.1:80"},
		{"PTD_ADDR without token", "", map[string]string{"PTD_ADDR": "0.0.0.0:8081"}, "0.0.0.0:8081"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.file, envMap(tt.env))
			require.NoError(t, err)
			require.Equal(t, tt.want, c.Serve.Addr)
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"NaN threshold", func(c *Config) { c.Thresholds.HealthDropHigh = math.NaN() }, "thresholds.health_drop_high (NaN) must be a finite number"},
		{"fractional order", func(c *Config) { c.Thresholds.ResponseDelayHigh = 5.5 }, "thresholds.response_delay_high (5.5) must be at least thresholds.response_delay_medium (6): high is the longer wait"},
		{"negative timeout", func(c *Config) { c.Postgres.StatementTimeout = -time.Second }, "postgres.statement_timeout (-1s) must not be negative: use 0s for no limit"},
		{"negative replica lag", func(c *Config) { c.Postgres.MaxReplicaLag = -time.Second }, "postgres.max_replica_lag (-1s) must be positive, e.g. 60s: a read replica further behind the primary than this is not read"},
		{"replica url without host", func(c *Config) { c.Postgres.ReadURL = "postgres:///db" }, "postgres.read_url must be a postgres:// or postgresql:// URL of a read replica, e.g. postgres://user:password@replica.example.com:5432/postgres"},
		{"bad port", func(c *Config) { c.Serve.Addr = "localhost:http" }, `serve.addr ("localhost:http") must be host:port, e.g. 127.0.0.1:8080 or :8080`},
		{"webhook url", func(c *Config) { c.Notify.Webhook.URL = "ftp://example.com/x" }, "notify.webhook.url must be an http(s) URL such as https://example.com/hooks/ptd"},
		{"schedule zone only", func(c *Config) { c.Schedule = "TZ=UTC" }, `schedule ("TZ=UTC") is not a cron expression (no schedule after the time zone): use 5 fields such as "*/15 * * * *" (minute hour day month weekday), or off to disable the schedule`},
		{"email priority", func(c *Config) { c.Notify.Email.Priorities = []proactive.Severity{"CRITICAL"} }, `notify.email.priorities[0]: unknown priority "CRITICAL": use critical, high, medium or low`},
		{"NaN anomaly_z", func(c *Config) { c.Thresholds.AnomalyZ = math.NaN() }, "thresholds.anomaly_z (NaN) must be a finite number"},
		{"recovery margin above medium", func(c *Config) { c.Thresholds.RecoveryMargin = 12 }, "thresholds.recovery_margin (12) must be below thresholds.health_drop_medium (10): a health drop case stays open while the drop is at least health_drop_medium − recovery_margin"},
		{"no checks", func(c *Config) { c.Checks = nil }, "checks is empty: list the checks to run, e.g. [health_drop, deal_stall, sync_fail, response_delay]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.change(&c)
			requireInvalid(t, c.Validate(), tt.want)
		})
	}

	ok := Default()
	ok.Thresholds.HealthDropHigh = ok.Thresholds.HealthDropCritical // equal is allowed
	ok.Postgres.StatementTimeout = 0
	ok.Serve.Addr = ":0"
	ok.Thresholds.RecoveryMargin = 0      // no margin
	ok.Thresholds.ResolveAfterMinutes = 0 // resolve at once
	ok.Checks = []proactive.AnomalyType{"coach_workload", "health_forecast"}
	ok.Columns.ClientOwner = "coach"
	for _, spec := range []string{"off", "0 9 * * 1-5", "*/5 * * * * *", "@hourly", "@every 10m", "CRON_TZ=Europe/Paris 0 8 * * *"} {
		ok.Schedule = spec
		require.NoError(t, ok.Validate(), spec)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/full.yml", nil)
	require.NoError(t, err)
	r := c.Redacted()
	require.Equal(t, []string{"***", "***"}, r.Serve.APITokens)
	require.Equal(t, "***", r.Notify.Slack.WebhookURL)
	require.Equal(t, "smtps://***@smtp.example.com:465", r.Notify.Email.SMTPURL)
	require.Equal(t, "postgres://***@replica.example.com:5432", r.Postgres.ReadURL)
	require.Equal(t, "***", r.Notify.Webhook.Secret)
	require.Equal(t, c.Notify.Webhook.URL, r.Notify.Webhook.URL)
	require.Equal(t, c.Thresholds, r.Thresholds)
	require.Equal(t, map[string]Owner{"Coach Ann": {SlackWebhookURL: "***", Email: "ann@example.com"}, "Bob": {Email: "Bob Stone <bob@example.com>"}},
		r.Notify.Owners, "owners' Slack URLs are secrets; addresses are shown like notify.email.to")

	// The original is untouched.
	require.Equal(t, []string{"token-one", "token-two"}, c.Serve.APITokens)
	require.Equal(t, "hook-secret", c.Notify.Webhook.Secret)
	require.Equal(t, "https://hooks.slack.com/services/T001/B001/ANN", c.Notify.Owners["Coach Ann"].SlackWebhookURL)

	// Empty secrets stay empty: the channel still reads as off.
	d := Default().Redacted()
	require.Empty(t, d.Notify.Slack.WebhookURL)
	require.Empty(t, d.Notify.Email.SMTPURL)
	require.Empty(t, d.Serve.APITokens)

	require.Equal(t, "smtp://relay.internal:25", redactSMTP("smtp://relay.internal:25"))
	require.Equal(t, "***", redactSMTP("not a url: %zz"))
}
