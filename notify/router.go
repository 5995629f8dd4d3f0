package notify

import (
	"slices"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
)

// route is one enabled channel and what it receives.
type route struct {
	channel    string
	priorities []proactive.Severity
	types      []proactive.AnomalyType // empty: all
}

// Router decides which channels want an alert. A channel is enabled when its
// destination is configured (Slack webhook URL, SMTP URL, webhook URL); it
// receives the alerts whose priority is among its priorities
// (config.DefaultPriorities when none are configured: Slack critical and
// high, email critical, the webhook all) and, when types are configured, whose
// type (affected_entities.type) is among them. A Router is immutable and
// safe for concurrent use.
type Router struct {
	routes []route // in the order slack, email, webhook
}

// NewRouter builds the Router of a notify configuration.
func NewRouter(cfg config.Notify) *Router {
	r := &Router{}
	add := func(channel string, on bool, rt config.Route) {
		if !on {
			return
		}
		prios := slices.Clone(rt.Priorities)
		if len(prios) == 0 {
			prios = config.DefaultPriorities(channel)
		}
		r.routes = append(r.routes, route{channel: channel, priorities: prios, types: slices.Clone(rt.Types)})
	}
	add(proactive.ChannelSlack, cfg.Slack.WebhookURL != "", cfg.Slack.Route)
	add(proactive.ChannelEmail, cfg.Email.SMTPURL != "", cfg.Email.Route)
	add(proactive.ChannelWebhook, cfg.Webhook.URL != "", cfg.Webhook.Route)
	return r
}

// Enabled lists the enabled channels (slack, email, webhook order).
func (r *Router) Enabled() []string {
	out := make([]string, 0, len(r.routes))
	for _, rt := range r.routes {
		out = append(out, rt.channel)
	}
	return out
}

// AlertDestinations lists the enabled channels that want an alert event
// whose notified members have the combined severity sev (CONTRACT
// §10.10): the channel's priorities admit sev and, when it has types, the
// alert's type is among them. Owners' own destinations come with the
// owners routing.
func (r *Router) AlertDestinations(a proactive.Alert, sev proactive.Severity, _ []string) []proactive.Destination {
	var out []proactive.Destination
	for _, rt := range r.routes {
		if !slices.Contains(rt.priorities, sev) {
			continue
		}
		if len(rt.types) > 0 && !slices.Contains(rt.types, a.AffectedEntities.Type) {
			continue
		}
		out = append(out, proactive.Destination{Channel: rt.channel})
	}
	return out
}

// ResolvedRoutes lists the channels that send resolved messages; none
// until the channels can write them.
func (r *Router) ResolvedRoutes() []proactive.ResolvedRoute { return nil }

// Channels lists the enabled channels that want the alert; nil when none.
// Pass it as SaveAlertParams.Channels: the store enqueues a notification per
// channel only when the alert is new or escalated.
func (r *Router) Channels(a proactive.Alert) []string {
	var out []string
	for _, rt := range r.routes {
		if !slices.Contains(rt.priorities, a.Priority) {
			continue
		}
		if len(rt.types) > 0 && !slices.Contains(rt.types, a.AffectedEntities.Type) {
			continue
		}
		out = append(out, rt.channel)
	}
	return out
}
