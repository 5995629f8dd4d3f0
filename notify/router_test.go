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
