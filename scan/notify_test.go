package scan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// ownedRegistry is the registry whose health drop anomalies carry the
// owners given by email (as the owner column would, CONTRACT §11.6).
func ownedRegistry(t *testing.T, owners map[string]string) *proactive.Registry {
	t.Helper()
	var checks []proactive.Check
	for _, c := range rules.Checks() {
		if c.Type == proactive.HealthDrop {
			inner := c.New
			c.New = func(env proactive.CheckEnv) proactive.Detector { return ownedDetector{inner(env), owners} }
		}
		checks = append(checks, c)
	}
	r, err := proactive.NewRegistry(checks...)
	require.NoError(t, err)
	return r
}

type ownedDetector struct {
	proactive.Detector
	owners map[string]string
}

func (d ownedDetector) Detect(ctx context.Context, src any, emit proactive.Emitter) (proactive.Skipped, error) {
	return d.Detector.Detect(ctx, src, ownedEmitter{emit, d.owners})
}

type ownedEmitter struct {
	proactive.Emitter
	owners map[string]string
}

func (e ownedEmitter) Anomaly(a proactive.Anomaly) error {
	a.Owner = e.owners[strings.TrimPrefix(a.CaseKey(), "health_drop:")]
	return e.Emitter.Anomaly(a)
}

// trend is a client whose health fell by drop points.
func trend(name string, drop float64) proactive.HealthTrend {
	return proactive.HealthTrend{Email: name + "@example.com", Firstname: strings.ToUpper(name[:1]) + name[1:], Lastname: "Doe",
		Previous: 90, Current: 90 - drop, Zone: "YELLOW", Readings: 3}
}

// label is the health drop label of trend(name, …).
func label(name string) string {
	return strings.ToUpper(name[:1]) + name[1:] + " Doe (" + name + "@example.com)"
}

// dest is a queued notification's destination and event.
type dest struct {
	Channel, Recipient, Event string
}

func dests(ns []proactive.Notification) []dest {
	out := make([]dest, 0, len(ns))
	for _, n := range ns {
		out = append(out, dest{n.Channel, n.Recipient, n.Event})
	}
	return out
}

// notifyWorld runs scans with the real notify.Router over an in-memory
// desk: Slack (team, Coach A and Coach B; critical and high), email (team
// and Coach A; critical), webhook (team; everything; resolved messages).
type notifyWorld struct {
	f    *fakeStore
	desk *memstore.Desk
	sc   *scan.Scanner
	seen int
}

func newNotifyWorld(t *testing.T, routes []notify.Route) *notifyWorld {
	t.Helper()
	w := &notifyWorld{f: &fakeStore{}, desk: memstore.New(uuid.NewString)}
	owners := map[string]string{"john@example.com": "Coach A", "ann@example.com": "coach b", "cy@example.com": "COACH B"}
	var err error
	w.sc, err = scan.New(scan.Options{Store: w.f, Desk: w.desk, Registry: ownedRegistry(t, owners), Notify: notify.NewRouter(routes)})
	require.NoError(t, err)
	return w
}

// run scans at now and returns the notifications it queued.
func (w *notifyWorld) run(t *testing.T, now time.Time) (proactive.ScanResult, []proactive.Notification) {
	t.Helper()
	res, err := w.sc.Run(context.Background(), scan.Params{Now: now, Trigger: "test"})
	require.NoError(t, err)
	out := w.desk.Outbox()[w.seen:]
	w.seen += len(out)
	return res, out
}

func defaultRoutes() []notify.Route {
	return []notify.Route{
		{Channel: proactive.ChannelSlack, Owners: []string{"Coach A", "Coach B"}, SendResolved: notify.DefaultSendResolved(proactive.ChannelSlack)},
		{Channel: proactive.ChannelEmail, Owners: []string{"Coach A"}, SendResolved: notify.DefaultSendResolved(proactive.ChannelEmail)},
		{Channel: proactive.ChannelWebhook, SendResolved: notify.DefaultSendResolved(proactive.ChannelWebhook)},
	}
}

// TestScanQueuesWhatTheRouterSays: the destinations and payloads a scan
// queues with the real router — owners of notified members on their
// channels, an update naming only its new members to their owners only,
// the resolved cases on the channels that send them.
func TestScanQueuesWhatTheRouterSays(t *testing.T) {
	t.Parallel()
	w := newNotifyWorld(t, defaultRoutes())
	now := storetest.Now()

	// A new alert: john (critical, Coach A), ann (high, Coach B), bea
	// (medium, no owner). Combined severity critical: every channel, and
	// each owner on the channels they have.
	w.f.trends = []proactive.HealthTrend{trend("john", 30), trend("ann", 16), trend("bea", 11)}
	res, out := w.run(t, now)
	require.Equal(t, proactive.Inserted, res.AlertGroups[0].Saved)
	alertID := res.AlertGroups[0].AlertID
	require.Equal(t, []dest{
		{"slack", "", "alert"}, {"slack", "Coach A", "alert"}, {"slack", "Coach B", "alert"},
		{"email", "", "alert"}, {"email", "Coach A", "alert"},
		{"webhook", "", "alert"},
	}, dests(out))
	keys := map[string]bool{}
	for _, n := range out {
		require.Equal(t, alertID, n.AlertID)
		require.Nil(t, n.Payload, "a new alert carries no payload")
		require.Equal(t, proactive.SeverityCritical, n.Priority)
		require.False(t, keys[n.IdempotencyKey], "one key per destination")
		keys[n.IdempotencyKey] = true
	}

	// The same members an hour later: a duplicate, nothing queued.
	res, out = w.run(t, now.Add(time.Hour))
	require.Equal(t, proactive.Duplicate, res.AlertGroups[0].Saved)
	require.Empty(t, out)

	// Cy (high, Coach B) joins: an update at the alert's priority, naming
	// only cy, to the team and to Coach B — not to Coach A, whose member
	// is not new.
	w.f.trends = append(w.f.trends, trend("cy", 17))
	res, out = w.run(t, now.Add(time.Hour+time.Minute))
	require.Equal(t, proactive.Updated, res.AlertGroups[0].Saved)
	require.Equal(t, []dest{
		{"slack", "", "update"}, {"slack", "Coach B", "update"},
		{"email", "", "update"},
		{"webhook", "", "update"},
	}, dests(out))
	for _, n := range out {
		require.Equal(t, alertID, n.AlertID)
		require.Equal(t, &proactive.NotificationPayload{NewEntities: []string{label("cy")}}, n.Payload)
	}

	// Only john is left two hours on: ann, bea and cy resolve. The webhook
	// (send_resolved by default) gets one message with the three cases and
	// no alert; Slack and email (off by default) nothing.
	w.f.trends = w.f.trends[:1]
	res, out = w.run(t, now.Add(3*time.Hour))
	require.Equal(t, 3, res.Cases.Resolved)
	require.Len(t, out, 1)
	n := out[0]
	require.Equal(t, dest{"webhook", "", "resolved"}, dest{n.Channel, n.Recipient, n.Event})
	require.Empty(t, n.AlertID)
	require.Equal(t, proactive.SeverityHigh, n.Priority, "the highest peak severity among the cases")
	require.NotNil(t, n.Payload)
	require.Empty(t, n.Payload.NewEntities)
	var got []string
	for _, c := range n.Payload.Cases {
		require.Equal(t, proactive.ResolveCleared, c.ResolveReason)
		require.Equal(t, now.Add(3*time.Hour), c.ResolvedAt)
		require.NotEmpty(t, c.ID)
		got = append(got, c.Key+" "+c.Label+" "+string(c.Severity))
	}
	require.ElementsMatch(t, []string{
		"health_drop:ann@example.com " + label("ann") + " high",
		"health_drop:bea@example.com " + label("bea") + " medium",
		"health_drop:cy@example.com " + label("cy") + " high",
	}, got)
}

// TestScanOwnersUnderTheChannelsFilter: an owner hears of an alert only
// through the channels whose priorities admit its severity; an owner with
// no notified member hears nothing.
func TestScanOwnersUnderTheChannelsFilter(t *testing.T) {
	t.Parallel()
	w := newNotifyWorld(t, defaultRoutes())
	// Ann (high, Coach B) and bea (medium): combined high. Slack admits
	// it (team and Coach B), email (critical only) does not.
	w.f.trends = []proactive.HealthTrend{trend("ann", 16), trend("bea", 11)}
	res, out := w.run(t, storetest.Now())
	require.Equal(t, proactive.SeverityHigh, res.AlertGroups[0].Severity)
	require.Equal(t, []dest{{"slack", "", "alert"}, {"slack", "Coach B", "alert"}, {"webhook", "", "alert"}}, dests(out))
}

// TestScanResolvedPerChannelPriorities: with send_resolved on for Slack
// too, each channel's message holds the cases its priorities admit, tested
// on the peak severity; with it off everywhere, no resolved message is
// queued at all.
func TestScanResolvedPerChannelPriorities(t *testing.T) {
	t.Parallel()
	routes := defaultRoutes()
	routes[0].SendResolved = true // Slack: critical and high
	w := newNotifyWorld(t, routes)
	now := storetest.Now()
	w.f.trends = []proactive.HealthTrend{trend("john", 30), trend("ann", 16), trend("bea", 11)}
	w.run(t, now)
	w.f.trends = nil
	_, out := w.run(t, now.Add(2*time.Hour))
	require.Equal(t, []dest{{"slack", "", "resolved"}, {"webhook", "", "resolved"}}, dests(out))
	caseLabels := func(n proactive.Notification) []string {
		var ls []string
		for _, c := range n.Payload.Cases {
			ls = append(ls, c.Label)
		}
		return ls
	}
	require.ElementsMatch(t, []string{label("john"), label("ann")}, caseLabels(out[0]), "Slack: peak critical and high")
	require.ElementsMatch(t, []string{label("john"), label("ann"), label("bea")}, caseLabels(out[1]))
	require.Equal(t, proactive.SeverityCritical, out[0].Priority)

	off := defaultRoutes()
	off[2].SendResolved = false
	w = newNotifyWorld(t, off)
	w.f.trends = []proactive.HealthTrend{trend("john", 30)}
	w.run(t, now)
	w.f.trends = nil
	res, out := w.run(t, now.Add(2*time.Hour))
	require.Equal(t, 1, res.Cases.Resolved)
	require.Empty(t, out, "send_resolved off everywhere: nothing queued")

	// A channel that receives only some types hears only of their cases.
	typed := defaultRoutes()
	typed[2].Types = []proactive.AnomalyType{proactive.DealStall}
	w = newNotifyWorld(t, typed)
	w.f.trends = []proactive.HealthTrend{trend("john", 30)}
	_, out = w.run(t, now)
	require.Equal(t, []dest{{"slack", "", "alert"}, {"slack", "Coach A", "alert"}, {"email", "", "alert"}, {"email", "Coach A", "alert"}}, dests(out))
	w.f.trends = nil
	res, out = w.run(t, now.Add(2*time.Hour))
	require.Equal(t, 1, res.Cases.Resolved)
	require.Empty(t, out, "the webhook takes deal_stall only: no message for a health case")
}
