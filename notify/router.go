package notify

import (
	"slices"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Route is one enabled channel and the messages it receives.
type Route struct {
	// Channel is the channel's name: proactive.ChannelSlack, ChannelEmail
	// or ChannelWebhook.
	Channel string
	// Priorities the channel receives; empty means DefaultPriorities(Channel).
	Priorities []proactive.Severity
	// Types the channel receives (affected_entities.type); empty means all.
	Types []proactive.AnomalyType
	// SendResolved makes the channel send resolved messages (CONTRACT
	// §10.10, §11.1 notify.<channel>.send_resolved).
	SendResolved bool
	// Owners are the owners (notify.owners) with their own destination on
	// this channel, as configured.
	Owners []string
	// OwnersOnly is set when the channel has no destination of its own:
	// only owners receive its messages (no resolved messages either).
	OwnersOnly bool
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

// DefaultSendResolved reports whether a channel sends resolved messages
// when the configuration does not say: the webhook does, Slack and email
// do not (CONTRACT §10.10).
func DefaultSendResolved(channel string) bool { return channel == proactive.ChannelWebhook }

// Router decides who hears of what: a channel receives the alert events
// whose notified members' combined severity is among its route's
// priorities and, when the route names types, whose type
// (affected_entities.type) is among them; the owners among those members
// with a destination on the channel receive them too, under the same
// filter. A Router is immutable and safe for concurrent use.
type Router struct {
	routes []Route // in the order given
}

// NewRouter builds the Router of the enabled channels' routes (one per
// channel, in the order Enabled and Channels list them). The caller decides
// which channels are enabled: those whose destination, or an owner's, is
// configured.
func NewRouter(routes []Route) *Router {
	r := &Router{}
	for _, rt := range routes {
		prios := slices.Clone(rt.Priorities)
		if len(prios) == 0 {
			prios = DefaultPriorities(rt.Channel)
		}
		owners := slices.Clone(rt.Owners)
		slices.SortFunc(owners, func(a, b string) int { return strings.Compare(OwnerKey(a), OwnerKey(b)) })
		owners = slices.CompactFunc(owners, func(a, b string) bool { return OwnerKey(a) == OwnerKey(b) })
		r.routes = append(r.routes, Route{
			Channel: rt.Channel, Priorities: prios, Types: slices.Clone(rt.Types),
			SendResolved: rt.SendResolved && !rt.OwnersOnly, Owners: owners, OwnersOnly: rt.OwnersOnly,
		})
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

// AlertDestinations lists where an alert event whose notified members have
// the combined severity sev goes (CONTRACT §10.10, §11.6): each enabled
// channel whose priorities admit sev and, when it has types, whose types
// hold the alert's type — to the channel's own destination, and to each
// owner among owners (the notified members' owners, matched ignoring
// case) with a destination on that channel, named as configured.
func (r *Router) AlertDestinations(a proactive.Alert, sev proactive.Severity, owners []string) []proactive.Destination {
	var out []proactive.Destination
	for _, rt := range r.routes {
		if !rt.admits(sev, a.AffectedEntities.Type) {
			continue
		}
		if !rt.OwnersOnly {
			out = append(out, proactive.Destination{Channel: rt.Channel})
		}
		for _, o := range rt.Owners {
			if slices.ContainsFunc(owners, func(m string) bool { return OwnerKey(m) == OwnerKey(o) }) {
				out = append(out, proactive.Destination{Channel: rt.Channel, Recipient: o})
			}
		}
	}
	return out
}

// ResolvedRoutes lists the channels that send resolved messages (their
// own destination, with send_resolved on), with their priorities and
// types; the scan tests the priorities on each case's peak severity.
func (r *Router) ResolvedRoutes() []proactive.ResolvedRoute {
	var out []proactive.ResolvedRoute
	for _, rt := range r.routes {
		if rt.SendResolved {
			out = append(out, proactive.ResolvedRoute{Channel: rt.Channel, Priorities: slices.Clone(rt.Priorities), Types: slices.Clone(rt.Types)})
		}
	}
	return out
}

// Channels lists the enabled channels whose own destination wants the
// alert at its priority; nil when none.
func (r *Router) Channels(a proactive.Alert) []string {
	var out []string
	for _, rt := range r.routes {
		if !rt.OwnersOnly && rt.admits(a.Priority, a.AffectedEntities.Type) {
			out = append(out, rt.Channel)
		}
	}
	return out
}

// admits reports whether the route's filter lets through a message of
// severity sev about an alert of type typ.
func (rt Route) admits(sev proactive.Severity, typ proactive.AnomalyType) bool {
	return slices.Contains(rt.Priorities, sev) && (len(rt.Types) == 0 || slices.Contains(rt.Types, typ))
}
