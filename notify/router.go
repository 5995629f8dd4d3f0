package notify

import (
	"slices"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Route is one enabled channel and the alerts it receives.
type Route struct {
	// Channel is the channel's name: proactive.ChannelSlack, ChannelEmail
	// or ChannelWebhook.
	Channel string
	// Priorities the channel receives; empty means DefaultPriorities(Channel).
	Priorities []proactive.Severity
	// Types the channel receives (affected_entities.type); empty means all.
	Types []proactive.AnomalyType
}

// DefaultPriorities returns the priorities a channel receives when its
// route names none: slack critical and high, email critical, any other
// (the webhook) all.
func DefaultPriorities(channel string) []proactive.Severity {
	switch channel {
	case proactive.ChannelSlack:
		return []proactive.Severity{proactive.SeverityCritical, proactive.SeverityHigh}
	case proactive.ChannelEmail:
		return []proactive.Severity{proactive.SeverityCritical}
	}
	return proactive.Severities()
}

// Router decides which channels want an alert: a channel receives the
// alerts whose priority is among its route's priorities and, when the
// route names types, whose type (affected_entities.type) is among them. A
// Router is immutable and safe for concurrent use.
type Router struct {
	routes []Route // in the order given
}

// NewRouter builds the Router of the enabled channels' routes (one per
// channel, in the order Enabled and Channels list them). The caller decides
// which channels are enabled: those whose destination is configured.
func NewRouter(routes []Route) *Router {
	r := &Router{}
	for _, rt := range routes {
		prios := slices.Clone(rt.Priorities)
		if len(prios) == 0 {
			prios = DefaultPriorities(rt.Channel)
		}
		r.routes = append(r.routes, Route{Channel: rt.Channel, Priorities: prios, Types: slices.Clone(rt.Types)})
	}
	return r
}

// Enabled lists the enabled channels, in the order of the routes.
func (r *Router) Enabled() []string {
	out := make([]string, 0, len(r.routes))
	for _, rt := range r.routes {
		out = append(out, rt.Channel)
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
		if !slices.Contains(rt.Priorities, sev) {
			continue
		}
		if len(rt.Types) > 0 && !slices.Contains(rt.Types, a.AffectedEntities.Type) {
			continue
		}
		out = append(out, proactive.Destination{Channel: rt.Channel})
	}
	return out
}

// ResolvedRoutes lists the channels that send resolved messages; none
// until the channels can write them.
func (r *Router) ResolvedRoutes() []proactive.ResolvedRoute { return nil }

// Channels lists the enabled channels that want the alert at its priority;
// nil when none.
func (r *Router) Channels(a proactive.Alert) []string {
	var out []string
	for _, rt := range r.routes {
		if !slices.Contains(rt.Priorities, a.Priority) {
			continue
		}
		if len(rt.Types) > 0 && !slices.Contains(rt.Types, a.AffectedEntities.Type) {
			continue
		}
		out = append(out, rt.Channel)
	}
	return out
}
