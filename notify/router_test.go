package notify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

func TestRouter(t *testing.T) {
	t.Parallel()
	all := []notify.Route{{Channel: "slack"}, {Channel: "email"}, {Channel: "webhook"}}
	typed := []notify.Route{
		{Channel: "slack", Priorities: []proactive.Severity{proactive.SeverityCritical, proactive.SeverityHigh, proactive.SeverityMedium}},
		{Channel: "email"},
		{Channel: "webhook", Types: []proactive.AnomalyType{proactive.SyncFail}},
	}
	emailOnly := []notify.Route{{Channel: "email"}}

	a := func(p proactive.Severity, typ proactive.AnomalyType) proactive.Alert {
		return proactive.Alert{Priority: p, AffectedEntities: proactive.AffectedEntities{Type: typ}}
	}
	for _, tc := range []struct {
		name  string
		cfg   []notify.Route
		alert proactive.Alert
		want  []string
	}{
		{"defaults: critical goes everywhere", all, a("critical", proactive.HealthDrop), []string{"slack", "email", "webhook"}},
		{"defaults: high skips email", all, a("high", proactive.DealStall), []string{"slack", "webhook"}},
		{"defaults: medium only the webhook", all, a("medium", proactive.SyncFail), []string{"webhook"}},
		{"defaults: low only the webhook", all, a("low", proactive.ResponseDelay), []string{"webhook"}},
		{"configured priorities", typed, a("medium", proactive.SyncFail), []string{"slack", "webhook"}},
		{"configured types filter", typed, a("critical", proactive.HealthDrop), []string{"slack", "email"}},
		{"nothing configured", nil, a("critical", proactive.HealthDrop), nil},
		{"one channel", emailOnly, a("critical", proactive.HealthDrop), []string{"email"}},
		{"one channel, not wanted", emailOnly, a("high", proactive.HealthDrop), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, notify.NewRouter(tc.cfg).Channels(tc.alert))
		})
	}
	require.Equal(t, []string{"slack", "email", "webhook"}, notify.NewRouter(all).Enabled())
	require.Equal(t, []string{"email"}, notify.NewRouter(emailOnly).Enabled())
	require.Empty(t, notify.NewRouter(nil).Enabled())
}

func TestRouterOwnersAndResolved(t *testing.T) {
	t.Parallel()
	crit, high, med := proactive.SeverityCritical, proactive.SeverityHigh, proactive.SeverityMedium
	r := notify.NewRouter([]notify.Route{
		{Channel: "slack", Owners: []string{"Coach Ann", "Bob"}},
		{Channel: "email", Owners: []string{"Coach Ann"}},
		{Channel: "webhook", SendResolved: true, Types: []proactive.AnomalyType{proactive.HealthDrop, proactive.DealStall}},
	})
	a := proactive.Alert{AffectedEntities: proactive.AffectedEntities{Type: proactive.HealthDrop}}
	team := func(ch string) proactive.Destination { return proactive.Destination{Channel: ch} }
	owner := func(ch, o string) proactive.Destination { return proactive.Destination{Channel: ch, Recipient: o} }

	// Owners matched ignoring case, named as configured; each channel's
	// priority filter applies to its owners too.
	require.Equal(t, []proactive.Destination{team("slack"), owner("slack", "Coach Ann"), team("email"), owner("email", "Coach Ann"), team("webhook")},
		r.AlertDestinations(a, crit, []string{"coach ann", "Someone Else"}))
	require.Equal(t, []proactive.Destination{team("slack"), owner("slack", "Bob"), owner("slack", "Coach Ann"), team("webhook")},
		r.AlertDestinations(a, high, []string{"COACH ANN", "bob"}))
	require.Equal(t, []proactive.Destination{team("webhook")}, r.AlertDestinations(a, med, []string{"Coach Ann"}))
	require.Equal(t, []proactive.Destination{team("slack"), team("webhook")}, r.AlertDestinations(a, high, nil))

	// Resolved messages: the channels with send_resolved, their priorities and types.
	require.Equal(t, []proactive.ResolvedRoute{{Channel: "webhook", Priorities: proactive.Severities(),
		Types: []proactive.AnomalyType{proactive.HealthDrop, proactive.DealStall}}}, r.ResolvedRoutes())

	// A channel with owners only: no team destination, no resolved messages.
	only := notify.NewRouter([]notify.Route{{Channel: "slack", Owners: []string{"Bob"}, OwnersOnly: true, SendResolved: true}})
	require.Equal(t, []proactive.Destination{owner("slack", "Bob")}, only.AlertDestinations(a, crit, []string{"bob"}))
	require.Empty(t, only.AlertDestinations(a, crit, []string{"ann"}))
	require.Empty(t, only.ResolvedRoutes())
	require.Empty(t, only.Channels(proactive.Alert{Priority: crit}))

	require.True(t, notify.DefaultSendResolved("webhook"))
	require.False(t, notify.DefaultSendResolved("slack"))
	require.False(t, notify.DefaultSendResolved("email"))
	require.Empty(t, notify.NewRouter(nil).ResolvedRoutes())
}
