package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifiers"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// notifier is the notification side of a command: the routing a scan uses
// to queue notifications with its alerts, and the worker that delivers them.
type notifier struct {
	a      *app
	router *notify.Router
	worker *notify.Worker // nil when no channel is configured
}

// defaultNotifyTimeout bounds how long a command keeps retrying
// notifications before it exits (scan's --notify-timeout default).
const defaultNotifyTimeout = 30 * time.Second

// newNotifier builds the router and the worker of the configured channels.
// With no channel configured, route queues nothing and drain does nothing.
// onDelivery, when not nil, is told each delivery attempt's outcome (metrics).
func (a *app) newNotifier(cfg config.Config, st proactive.Store, onDelivery func(channel, outcome string)) (*notifier, error) {
	n := &notifier{a: a, router: notify.NewRouter(notifyRoutes(cfg.Notify))}
	ns, err := notifiers.New(notifyDestinations(cfg.Notify), notifiers.Options{})
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return n, nil
	}
	n.worker, err = notify.NewWorker(notify.Options{
		Store:      st,
		Notifiers:  ns,
		Logger:     a.log,
		OnDelivery: onDelivery,
	})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return n, nil
}

// notifyRoutes converts the notify configuration to the router's routes:
// one per channel whose destination, or an owner's, is configured, in the
// order slack, email, webhook (the channels notifyDestinations enables).
func notifyRoutes(n config.Notify) []notify.Route {
	var routes []notify.Route
	add := func(channel string, team bool, r config.Route, owners []string) {
		if team || len(owners) > 0 {
			routes = append(routes, notify.Route{
				Channel: channel, Priorities: slices.Clone(r.Priorities), Types: slices.Clone(r.Types),
				SendResolved: r.SendResolved, Owners: owners, OwnersOnly: !team,
			})
		}
	}
	var slackOwners, emailOwners []string
	for _, name := range slices.Sorted(maps.Keys(n.Owners)) {
		if n.Owners[name].SlackWebhookURL != "" {
			slackOwners = append(slackOwners, name)
		}
		if n.Owners[name].Email != "" && n.Email.SMTPURL != "" {
			emailOwners = append(emailOwners, name)
		}
	}
	add(proactive.ChannelSlack, n.Slack.WebhookURL != "", n.Slack.Route, slackOwners)
	add(proactive.ChannelEmail, n.Email.SMTPURL != "", n.Email.Route, emailOwners)
	add(proactive.ChannelWebhook, n.Webhook.URL != "", n.Webhook.Route, nil)
	return routes
}

// notifyDestinations converts the notify configuration to the notifiers'
// destinations.
func notifyDestinations(n config.Notify) notifiers.Destinations {
	d := notifiers.Destinations{
		SlackWebhookURL: n.Slack.WebhookURL,
		SMTPURL:         n.Email.SMTPURL,
		EmailFrom:       n.Email.From,
		EmailTo:         slices.Clone(n.Email.To),
		WebhookURL:      n.Webhook.URL,
		WebhookSecret:   n.Webhook.Secret,
	}
	for _, name := range slices.Sorted(maps.Keys(n.Owners)) {
		o := n.Owners[name]
		d.Owners = append(d.Owners, notifiers.Owner{Name: name, SlackWebhookURL: o.SlackWebhookURL, Email: o.Email})
	}
	return d
}

// scanRouter is what a scan asks about notifications: the router, or nil
// (nothing queued) when no channel is configured.
func (n *notifier) scanRouter() scan.Router {
	if n.worker == nil {
		return nil
	}
	return n.router
}

// drain delivers what is due, retrying within timeout; what is left stays
// queued for the next scan or serve (CONTRACT §8). It logs, never fails the
// command: the alerts are stored either way.
func (n *notifier) drain(ctx context.Context, timeout time.Duration) {
	if n.worker == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := n.worker.Drain(ctx)
	if err != nil {
		n.a.log.ErrorContext(ctx, "notifications: could not read the outbox; they stay queued", "error", err)
		return
	}
	attrs := []any{"delivered", res.Delivered, "failed", res.Failed, "queued", res.Queued}
	for ch, e := range res.LastErrors {
		attrs = append(attrs, "last_error_"+ch, e)
	}
	if res.Failed > 0 || res.Queued > 0 {
		n.a.log.WarnContext(ctx, "notifications: some were not delivered (see 'ptd-proactive notifications')", attrs...)
		return
	}
	if res.Delivered > 0 {
		n.a.log.InfoContext(ctx, "notifications delivered", attrs...)
	}
}
