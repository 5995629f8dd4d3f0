package config

import (
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// MaxHealthTrendDays bounds thresholds.health_trend_days: the health check
// reads the last proactive.HealthWindowDays days.
const MaxHealthTrendDays = proactive.HealthWindowDays

// Validate checks every setting and returns a *proactive.Error with code
// EINVALID listing the problems ("; "-separated, in key order), each naming
// its key, the value and what to write instead; nil when all is well.
func (c Config) Validate() error { return c.validate(nil) }

// validate is Validate naming, instead of a key, the environment variable
// that set it: from maps dotted keys to the variables Load applied.
func (c Config) validate(from map[string]string) error {
	p := problems{from: from}
	p.thresholds(c.Thresholds)
	p.stallStages(c.StallStages)
	p.checks(c.Checks, c.Columns)
	p.columns(c.Columns)
	p.inhibit(c.Inhibit)
	if c.Postgres.MaxConns < 2 {
		// A scan holds one connection for its desk transaction while the
		// checks read on others: with one, the checks would wait forever.
		p.add("%s (%d) must be at least 2: a scan writes on one connection while its checks read on the others (8 is the default)", p.key("postgres.max_conns"), c.Postgres.MaxConns)
	}
	if c.Postgres.StatementTimeout < 0 {
		p.add("%s (%s) must not be negative: use 0s for no limit", p.key("postgres.statement_timeout"), c.Postgres.StatementTimeout)
	}
	if c.Postgres.MaxReplicaLag <= 0 {
		p.add("%s (%s) must be positive, e.g. 60s: a read replica further behind the primary than this is not read", p.key("postgres.max_replica_lag"), c.Postgres.MaxReplicaLag)
	}
	if u := c.Postgres.ReadURL; u != "" && !IsPostgresURL(u) {
		p.add("%s must be a postgres:// or postgresql:// URL of a read replica, e.g. postgres://user:password@replica.example.com:5432/postgres", p.key("postgres.read_url"))
	}
	p.listenAddr(c.Serve.Addr)
	p.schedule(c.Schedule)
	p.notify(c.Notify)
	if len(p.msgs) == 0 {
		return nil
	}
	return &proactive.Error{Code: proactive.EINVALID, Message: strings.Join(p.msgs, "; ")}
}

// IsPostgresURL reports whether u is a postgres:// or postgresql:// URL
// that parses (the replica's URL; never printed, it may hold a password).
func IsPostgresURL(u string) bool {
	parsed, err := url.Parse(strings.TrimSpace(u))
	return err == nil && (parsed.Scheme == "postgres" || parsed.Scheme == "postgresql") && parsed.Host != ""
}

// problems collects validation messages.
type problems struct {
	msgs []string
	from map[string]string // dotted key -> the environment variable that set it
}

// add records one problem.
func (p *problems) add(format string, args ...any) {
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

// key names a setting in a message: its dotted key, or the environment
// variable that set it.
func (p *problems) key(k string) string {
	if v := p.from[k]; v != "" {
		return v
	}
	return k
}

// family is one check's three severity thresholds.
type family struct {
	prefix                 string // thresholds.<prefix>_critical …
	critical, high, medium float64
	larger                 string // what critical is more of, e.g. "larger drop"
}

// thresholds checks signs, the critical ≥ high ≥ medium order of each
// family, the trend window and the dedup window.
func (p *problems) thresholds(t proactive.Thresholds) {
	families := []family{
		{prefix: "health_drop", critical: t.HealthDropCritical, high: t.HealthDropHigh, medium: t.HealthDropMedium, larger: "larger drop"},
		{prefix: "deal_stall_days", critical: float64(t.DealStallDaysCritical), high: float64(t.DealStallDaysHigh), medium: float64(t.DealStallDaysMedium), larger: "longer stall"},
		{prefix: "sync_fail", critical: float64(t.SyncFailCritical), high: float64(t.SyncFailHigh), medium: float64(t.SyncFailMedium), larger: "larger failure count"},
		{prefix: "response_delay", critical: t.ResponseDelayCritical, high: t.ResponseDelayHigh, medium: t.ResponseDelayMedium, larger: "longer wait"},
	}
	for _, f := range families {
		key := func(level string) string { return "thresholds." + f.prefix + "_" + level }
		okC := p.positive(key("critical"), f.critical)
		okH := p.positive(key("high"), f.high)
		okM := p.positive(key("medium"), f.medium)
		if okC && okH && f.critical < f.high {
			p.add("%s (%s) must be at least %s (%s): critical is the %s", key("critical"), num(f.critical), key("high"), num(f.high), f.larger)
		}
		if okH && okM && f.high < f.medium {
			p.add("%s (%s) must be at least %s (%s): high is the %s", key("high"), num(f.high), key("medium"), num(f.medium), f.larger)
		}
	}
	if d := t.HealthTrendDays; d < 1 || d > MaxHealthTrendDays {
		p.add("thresholds.health_trend_days (%d) must be between 1 and %d: the health check reads the last %d days", d, MaxHealthTrendDays, proactive.HealthWindowDays)
	}
	p.positive("thresholds.dedup_window_hours", t.DedupWindowHours)

	// The early-warning thresholds (CONTRACT §11.1).
	p.nonNegative("thresholds.resolve_after_minutes", t.ResolveAfterMinutes)
	if p.nonNegative("thresholds.recovery_margin", t.RecoveryMargin) && t.RecoveryMargin >= t.HealthDropMedium {
		p.add("thresholds.recovery_margin (%s) must be below thresholds.health_drop_medium (%s): a health drop case stays open while the drop is at least health_drop_medium − recovery_margin",
			num(t.RecoveryMargin), num(t.HealthDropMedium))
	}
	p.positive("thresholds.forecast_days", t.ForecastDays)
	p.positive("thresholds.anomaly_z", t.AnomalyZ)
	p.nonNegative("thresholds.anomaly_min_drop", t.AnomalyMinDrop)
	p.nonNegative("thresholds.lead_value", t.LeadValue)
}

// nonNegative records a problem unless v is a finite number, zero or above.
func (p *problems) nonNegative(key string, v float64) bool {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		p.add("%s (%s) must be a finite number", key, num(v))
	case v < 0:
		p.add("%s (%s) must not be negative", key, num(v))
	default:
		return true
	}
	return false
}

// checks needs at least one check, each a registered one, once; and the
// owner column for coach_workload.
func (p *problems) checks(checks []proactive.AnomalyType, cols proactive.Columns) {
	reg := rules.Registry()
	if len(checks) == 0 {
		p.add("checks is empty: list the checks to run, e.g. [%s]", joinTypes(reg.Defaults(), ", "))
		return
	}
	seen := map[proactive.AnomalyType]int{}
	for i, c := range checks {
		if _, ok := reg.Lookup(c); !ok {
			p.add("checks[%d] (%q) is not a check: use %s", i, c, orList(reg.Types()))
			continue
		}
		if first, dup := seen[c]; dup {
			p.add("checks[%d] (%q) is listed twice (first as checks[%d]): list each check once", i, c, first)
			continue
		}
		seen[c] = i
	}
	if CoachOwnerMissing(checks, cols) {
		p.add("checks lists %s", CoachWithoutOwner)
	}
}

// CoachWithoutOwner completes the refusal of coach_workload without its
// owner column ("checks lists …", "--checks lists …"): what is wrong and
// how to fix it.
const CoachWithoutOwner = "coach_workload but columns.client_owner is not set: name the column of client_health_scores that holds each client's owner, e.g. columns: {client_owner: coach}"

// CoachOwnerMissing reports whether checks include coach_workload while
// cols names no client_owner column: refused wherever the checks are
// chosen (CONTRACT §11.1), since the check counts clients per owner.
func CoachOwnerMissing(checks []proactive.AnomalyType, cols proactive.Columns) bool {
	return slices.Contains(checks, proactive.CoachWorkload) && cols.ClientOwner == ""
}

// columns needs each configured column to be a plain column name.
func (p *problems) columns(cols proactive.Columns) {
	for _, c := range []struct{ key, value string }{
		{"columns.client_owner", cols.ClientOwner},
		{"columns.deal_owner", cols.DealOwner},
		{"columns.client_value", cols.ClientValue},
	} {
		if c.value != "" && !proactive.Identifier(c.value) {
			p.add("%s (%q) is not a column name: use letters, digits and underscores, starting with a letter, e.g. coach", c.key, c.value)
		}
	}
}

// inhibit needs each rule's source and target types to be checks and its
// glob not to be empty (CONTRACT §11.8).
func (p *problems) inhibit(rs []proactive.InhibitRule) {
	for i, r := range rs {
		key := fmt.Sprintf("inhibit[%d]", i)
		p.checkType(key+".source_type", r.SourceType)
		if r.SourceMatch == "" {
			p.add(`%s.source_match is empty: give a glob matching the inhibiting cases' keys or labels, e.g. "hubspot_*"`, key)
		}
		p.checkType(key+".target_type", r.TargetType)
	}
}

// checkType needs t to name a registered check.
func (p *problems) checkType(key string, t proactive.AnomalyType) {
	reg := rules.Registry()
	switch _, ok := reg.Lookup(t); {
	case t == "":
		p.add("%s is missing: name a check, one of %s", key, orList(reg.Types()))
	case !ok:
		p.add("%s (%q) is not a check: use %s", key, t, orList(reg.Types()))
	}
}

// joinTypes joins type names with sep.
func joinTypes(ts []proactive.AnomalyType, sep string) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, sep)
}

// orList is "a, b or c" of type names.
func orList(ts []proactive.AnomalyType) string {
	if len(ts) < 2 {
		return joinTypes(ts, "")
	}
	return joinTypes(ts[:len(ts)-1], ", ") + " or " + string(ts[len(ts)-1])
}

// positive records a problem unless v is a finite number above zero.
func (p *problems) positive(key string, v float64) bool {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		p.add("%s (%s) must be a finite number", key, num(v))
	case v < 0:
		p.add("%s (%s) must not be negative", key, num(v))
	case v == 0:
		p.add("%s (0) must be greater than 0", key)
	default:
		return true
	}
	return false
}

// num prints a threshold the way a user would write it: 10, 12.5.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// stallStages needs at least one stage and no blank ones.
func (p *problems) stallStages(stages []string) {
	if len(stages) == 0 {
		p.add("stall_stages is empty: list the deal stages to watch, e.g. [Assessment, Proposal, Negotiation, Trial]")
		return
	}
	for i, s := range stages {
		if strings.TrimSpace(s) == "" {
			p.add("stall_stages[%d] is blank: name a deal stage or remove the entry", i)
		}
	}
}

// listenAddr needs host:port with a numeric port (the host may be empty).
func (p *problems) listenAddr(addr string) {
	_, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 0 || n > 65535 {
		p.add("%s (%q) must be host:port, e.g. 127.0.0.1:8080 or :8080", p.key("serve.addr"), addr)
	}
}

// schedule needs "off" or a cron expression the built-in scheduler runs:
// the standard 5 fields (minute hour day month weekday), optionally a
// leading seconds field, a descriptor such as @hourly or @every 10m, and an
// optional CRON_TZ=<zone> prefix.
func (p *problems) schedule(s string) {
	if s == ScheduleOff {
		return
	}
	if err := parseSchedule(s); err != nil {
		p.add("%s (%q) is not a cron expression (%v): use 5 fields such as %q (minute hour day month weekday), or off to disable the schedule", p.key("schedule"), s, err, DefaultSchedule)
	}
}

// parseSchedule parses a cron expression, turning the parser's panics on
// some malformed input (a bare "TZ=UTC") into errors.
func parseSchedule(s string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("no schedule after the time zone")
		}
	}()
	parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	_, err = parser.Parse(s)
	return err
}

// notify checks the three channels. Secret values never appear in messages.
func (p *problems) notify(n Notify) {
	if n.Slack.WebhookURL != "" && !httpURL(n.Slack.WebhookURL) {
		p.add("%s must be an http(s) URL such as https://hooks.slack.com/services/…", p.key("notify.slack.webhook_url"))
	}
	p.route("notify.slack", n.Slack.Route)

	e := n.Email
	if e.SMTPURL != "" {
		if !smtpURL(e.SMTPURL) {
			p.add("%s must look like smtp://user:pass@host:port or smtps://user:pass@host:port", p.key("notify.email.smtp_url"))
		}
		if e.From == "" {
			p.add("notify.email.from is required when %s is set: give the sender address (or PTD_EMAIL_FROM)", p.key("notify.email.smtp_url"))
		}
		if len(e.To) == 0 {
			p.add("notify.email.to is required when %s is set: give at least one recipient (or PTD_EMAIL_TO, comma-separated)", p.key("notify.email.smtp_url"))
		}
	}
	if e.From != "" {
		p.address(p.key("notify.email.from"), e.From)
	}
	for i, to := range e.To {
		p.address(fmt.Sprintf("%s[%d]", p.key("notify.email.to"), i), to)
	}
	p.route("notify.email", e.Route)

	if n.Webhook.URL != "" && !httpURL(n.Webhook.URL) {
		p.add("%s must be an http(s) URL such as https://example.com/hooks/ptd", p.key("notify.webhook.url"))
	}
	p.route("notify.webhook", n.Webhook.Route)
	p.owners(n)
}

// owners checks notify.owners: named, each name once ignoring case, each
// with a destination, URLs and addresses well formed, and email only with
// an SMTP server to send it. URLs are secrets: never quoted.
func (p *problems) owners(n Notify) {
	names := make([]string, 0, len(n.Owners))
	for name := range n.Owners {
		names = append(names, name)
	}
	slices.Sort(names)
	seen := map[string]string{}
	for _, name := range names {
		o, key := n.Owners[name], mapKey("notify.owners", name)
		norm := strings.ToLower(strings.TrimSpace(name))
		if norm == "" {
			p.add("%s: an owner's name is blank: write it as the owner columns hold it, e.g. \"Coach Ann\"", key)
			continue
		}
		if first, dup := seen[norm]; dup {
			p.add("%s and %s are the same owner (names are matched ignoring case): keep one", mapKey("notify.owners", first), key)
			continue
		}
		seen[norm] = name
		if o.SlackWebhookURL == "" && o.Email == "" {
			p.add("%s has neither slack_webhook_url nor email: give at least one, or remove the owner", key)
		}
		if o.SlackWebhookURL != "" && !httpURL(o.SlackWebhookURL) {
			p.add("%s.slack_webhook_url must be an http(s) URL such as https://hooks.slack.com/services/… (value not shown: it is a secret)", key)
		}
		if o.Email != "" {
			p.address(key+".email", o.Email)
			if n.Email.SMTPURL == "" {
				p.add("%s.email needs %s: owners' email goes through the team's SMTP server", key, p.key("notify.email.smtp_url"))
			}
		}
	}
}

// address needs one email address (a display name is allowed).
func (p *problems) address(key, addr string) {
	if _, err := mail.ParseAddress(addr); err != nil {
		p.add("%s (%q) is not an email address: write it like alerts@example.com", key, addr)
	}
}

// route checks the priority and type names of a channel's route.
func (p *problems) route(key string, r Route) {
	for i, s := range r.Priorities {
		if _, err := proactive.ParseSeverity(string(s)); err != nil {
			p.add("%s.priorities[%d]: %s", key, i, proactive.ErrorMessage(err))
		}
	}
	for i, t := range r.Types {
		if _, err := rules.Registry().ParseType(string(t)); err != nil {
			p.add("%s.types[%d]: %s", key, i, proactive.ErrorMessage(err))
		}
	}
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// smtpURL reports whether s is smtp:// or smtps:// with host and numeric port.
func smtpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return false
	}
	port, err := strconv.Atoi(u.Port())
	return err == nil && port > 0 && port <= 65535
}
