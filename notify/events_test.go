package notify_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifytest"
	"github.com/ptd-agents/ptd-proactive/notify/webhook"
)

// hookBodies decodes the accepted webhook posts, after checking each
// one's signature.
func hookBodies(t *testing.T, rc *notifytest.Receiver) []webhook.Body {
	t.Helper()
	var out []webhook.Body
	for _, r := range rc.Accepted() {
		require.True(t, webhook.Verify(webhookSecret, r.Body, r.Header.Get(webhook.HeaderSignature)), "bad signature")
		var b webhook.Body
		require.NoError(t, json.Unmarshal(r.Body, &b))
		require.Equal(t, webhook.HeaderEventOf(b.Event), r.Header.Get(webhook.HeaderEvent))
		out = append(out, b)
	}
	return out
}

// groupAlert is a stored group of three clients whose summary and first
// action name Jane, a member that is not new.
func groupAlert(id string, p proactive.Severity) proactive.Alert {
	a := alert(id, p, proactive.HealthDrop)
	a.ID = ""
	a.Title = "3 Clients: Health Scores Dropping"
	a.AffectedEntities.Count = 3
	a.AffectedEntities.Entities = append(a.AffectedEntities.Entities, "Sam Lee (sam@example.com)", "Ana Ruiz (ana@example.com)")
	a.SourceData["revenue_at_risk"] = 4500.0
	return a
}

// TestAnUpdateNamesOnlyTheNewEntities: an update reaches each channel once
// and names only its new members: the webhook's new_entities, Slack's
// text, the email's line; none of them the member that was already told.
func TestAnUpdateNamesOnlyTheNewEntities(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		now := time.Now().UTC()
		newOnes := []string{"Sam Lee (sam@example.com)", "Ana Ruiz (ana@example.com)"}
		a := h.queue(t, "scan-2", groupAlert("upd", proactive.SeverityCritical), proactive.EventUpdate, proactive.SeverityCritical, nil,
			&proactive.NotificationPayload{NewEntities: newOnes}, now)

		require.Equal(t, notify.DrainResult{Delivered: 3}, h.drain(t, h.worker(t, nil), 30*time.Second))

		bodies := hookBodies(t, h.hook)
		require.Len(t, bodies, 1)
		require.Equal(t, proactive.EventUpdate, bodies[0].Event)
		require.Equal(t, newOnes, bodies[0].NewEntities)
		require.Empty(t, bodies[0].Cases)
		require.Equal(t, a.ID, bodies[0].Alert.ID, "the alert as stored")
		require.Equal(t, 4500.0, bodies[0].Alert.SourceData["revenue_at_risk"])

		slackPosts := h.slack.Accepted()
		require.Len(t, slackPosts, 1)
		require.Contains(t, string(slackPosts[0].Body), `"text":"Updated: 3 Clients: Health Scores Dropping"`)
		require.Contains(t, string(slackPosts[0].Body), "New: Sam Lee (sam@example.com), Ana Ruiz (ana@example.com)")
		require.Contains(t, string(slackPosts[0].Body), `"title":"Revenue at risk","value":"4,500.00"`)
		require.NotContains(t, string(slackPosts[0].Body), "jane.upd@example.com", "an update names only its new entities")

		mails := h.smtp.Mails()
		require.Len(t, mails, 1)
		require.Contains(t, string(mails[0].Data), "Sam Lee (sam@example.com)")
		require.NotContains(t, string(mails[0].Data), "jane.upd@example.com")
		require.Empty(t, h.annSlack.Requests(), "no owner among the notified members")
	})
}

// TestAResolvedMessageCarriesTheCases: a resolved message goes to the
// channels with send_resolved (the webhook, by default), with the cases
// and no alert; Slack and email, off by default, get nothing.
func TestAResolvedMessageCarriesTheCases(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		now := time.Now().UTC().Truncate(time.Second)
		cases := []proactive.ResolvedCase{
			{ID: "c-1", Key: "health_drop:jane@example.com", Label: "Jane Doe (jane@example.com)", Severity: proactive.SeverityCritical,
				ResolvedAt: now.Add(-time.Minute), ResolveReason: proactive.ResolveCleared},
			{ID: "c-2", Key: "deal_stall:deal-7", Label: "ACME renewal", Severity: proactive.SeverityMedium,
				ResolvedAt: now.Add(-2 * time.Hour), ResolveReason: proactive.ResolveManual},
		}
		h.queueResolved(t, "scan-9", cases, now)
		queued := h.list(t, proactive.NotificationPending)
		require.Len(t, queued, 1)
		require.Equal(t, proactive.ChannelWebhook, queued[0].Channel)
		require.Empty(t, queued[0].AlertID)

		require.Equal(t, notify.DrainResult{Delivered: 1}, h.drain(t, h.worker(t, nil), 30*time.Second))
		reqs := h.hook.Accepted()
		require.Len(t, reqs, 1)
		require.Equal(t, webhook.HeaderEventResolved, reqs[0].Header.Get(webhook.HeaderEvent))
		require.Equal(t, "resolved:scan-9:webhook", reqs[0].Header.Get(webhook.HeaderIdempotencyKey))
		var raw map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(reqs[0].Body, &raw))
		require.NotContains(t, raw, "alert", "a resolved message has no alert")
		require.NotContains(t, raw, "new_entities")
		bodies := hookBodies(t, h.hook)
		require.Equal(t, proactive.EventResolve, bodies[0].Event)
		require.Equal(t, cases, bodies[0].Cases)
		require.Empty(t, h.slack.Requests())
		require.Empty(t, h.smtp.Mails())
		delivered := h.list(t, proactive.NotificationDelivered)
		require.Len(t, delivered, 1)
		require.Empty(t, delivered[0].LastError)
	})
}

// TestSendResolvedReachesSlackAndEmailWhenOn: with send_resolved on for
// Slack and email, each sends the cases its priorities admit (tested on
// the peak severity); with it off everywhere, nothing is queued.
func TestSendResolvedReachesSlackAndEmailWhenOn(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.router = notify.NewRouter([]notify.Route{
			{Channel: "slack", SendResolved: true}, {Channel: "email", SendResolved: true}, {Channel: "webhook"},
		})
		now := time.Now().UTC()
		cases := []proactive.ResolvedCase{
			{ID: "c-1", Key: "health_drop:kim@example.com", Label: "Kim Park (kim@example.com)", Severity: proactive.SeverityHigh, ResolvedAt: now, ResolveReason: proactive.ResolveCleared},
			{ID: "c-2", Key: "sync_fail:hubspot_rate_limit", Label: "HubSpot - rate_limit", Severity: proactive.SeverityCritical, ResolvedAt: now, ResolveReason: proactive.ResolveCleared},
		}
		h.queueResolved(t, "scan-1", cases, now)
		require.Equal(t, notify.DrainResult{Delivered: 2}, h.drain(t, h.worker(t, nil), 30*time.Second))
		posts := h.slack.Accepted()
		require.Len(t, posts, 1)
		require.Contains(t, string(posts[0].Body), `"text":"2 cases resolved"`)
		require.Contains(t, string(posts[0].Body), "Kim Park (kim@example.com) — high, cleared")
		require.Equal(t, []string{"1 Case Resolved"}, mailSubjects(t, h.smtp), "email admits critical only: HubSpot")
		require.Contains(t, string(h.smtp.Mails()[0].Data), "HubSpot - rate_limit")
		require.NotContains(t, string(h.smtp.Mails()[0].Data), "Kim Park")
		require.Empty(t, h.hook.Requests())

		h.router = notify.NewRouter([]notify.Route{{Channel: "slack"}, {Channel: "email"}, {Channel: "webhook"}})
		h.queueResolved(t, "scan-2", cases, now)
		require.Equal(t, notify.DrainResult{}, h.drain(t, h.worker(t, nil), 10*time.Second))
		require.Len(t, h.list(t, ""), 2, "send_resolved off everywhere: nothing queued")
	})
}

// TestOwnersGetTheirAlertsOnTheirOwnDestinations: an owner among the
// notified members receives the alert on their own Slack webhook and at
// their own address, under each channel's priorities; the team still
// gets it; an owner with no member in it gets nothing; email is one
// message per scan and recipient, even across claims.
func TestOwnersGetTheirAlertsOnTheirOwnDestinations(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		now := time.Now().UTC().Add(-time.Minute)
		crit, high := proactive.SeverityCritical, proactive.SeverityHigh
		// scan-1: two critical alerts with Ann's members, one with Bob's,
		// one high with both (email admits critical only; Bob has no Slack).
		h.queue(t, "scan-1", alert("ann1", crit, proactive.HealthDrop), proactive.EventAlert, crit, []string{"coach ann"}, nil, now)
		h.queue(t, "scan-1", alert("ann2", crit, proactive.DealStall), proactive.EventEscalation, crit, []string{"Coach Ann", "Someone"}, nil, now)
		h.queue(t, "scan-1", alert("bob1", crit, proactive.SyncFail), proactive.EventAlert, crit, []string{"BOB"}, nil, now)
		h.queue(t, "scan-1", alert("both", high, proactive.ResponseDelay), proactive.EventAlert, high, []string{"Bob", "Coach Ann"}, nil, now)
		// scan-2: one critical alert with nobody's members.
		h.queue(t, "scan-2", alert("none", crit, proactive.HealthDrop), proactive.EventAlert, crit, []string{"Zoe"}, nil, now)

		// Per channel: slack team 5 + Ann 3 (ann1, ann2, both); email team 4 (scan-1: 3, scan-2: 1)
		// + Ann 2 + Bob 1; webhook 5.
		w := h.worker(t, func(o *notify.Options) { o.BatchSize = 3 })
		require.Equal(t, notify.DrainResult{Delivered: 20}, h.drain(t, w, 30*time.Second))

		require.Len(t, h.slack.Accepted(), 5)
		annTitles := slackTitles(t, h.annSlack)
		require.Len(t, annTitles, 3)
		require.Contains(t, annTitles, "Escalated to CRITICAL: "+alert("ann2", crit, proactive.DealStall).Title)
		require.Len(t, hookBodies(t, h.hook), 5)

		byRecipient := map[string][]string{}
		for _, m := range h.smtp.Mails() {
			require.Len(t, m.To, 1)
			byRecipient[m.To[0]] = append(byRecipient[m.To[0]], mailSubject(t, m))
		}
		require.Equal(t, map[string][]string{
			"ops@ptd.example": {"3 Critical Alerts Need Attention", "1 Critical Alerts Need Attention"},
			annEmail:          {"2 Critical Alerts Need Attention"},
			bobEmail:          {"1 Critical Alerts Need Attention"},
		}, sortedValues(byRecipient), "one email per scan and recipient; the high alert reaches no email")

		for _, n := range h.list(t, "") {
			require.Equal(t, proactive.NotificationDelivered, n.Status, "%s %s", n.Channel, n.Recipient)
			require.NotContains(t, n.LastError, "owner")
		}
		require.Len(t, byRecipientOf(h.list(t, ""), proactive.ChannelSlack, ownerAnn), 3)
		require.Empty(t, byRecipientOf(h.list(t, ""), proactive.ChannelSlack, ownerBob))
	})
}

// TestAnOwnerNoLongerConfiguredFailsForGood: a notification queued for an
// owner since removed from notify.owners is failed at once, named, and
// nothing is sent.
func TestAnOwnerNoLongerConfiguredFailsForGood(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mustOpenSQLite(t))
	h.router = notify.NewRouter([]notify.Route{{Channel: "slack", Owners: []string{"Dana"}, OwnersOnly: true}})
	h.queue(t, "scan-1", alert("d", proactive.SeverityCritical, proactive.HealthDrop), proactive.EventAlert, proactive.SeverityCritical, []string{"dana"}, nil, time.Now())
	res := h.drain(t, h.worker(t, nil), 10*time.Second)
	require.Equal(t, 1, res.Failed)
	failed := h.list(t, proactive.NotificationFailed)
	require.Len(t, failed, 1)
	require.Equal(t, "Dana", failed[0].Recipient)
	require.Contains(t, failed[0].LastError, `owner "Dana"`)
	require.Empty(t, h.slack.Requests())
	require.Empty(t, h.annSlack.Requests())
}

// sortedValues sorts each list of m.
func sortedValues(m map[string][]string) map[string][]string {
	for k := range m {
		slices.Sort(m[k])
		slices.Reverse(m[k])
	}
	return m
}

// byRecipientOf filters notifications by channel and recipient.
func byRecipientOf(ns []proactive.Notification, channel, recipient string) []proactive.Notification {
	var out []proactive.Notification
	for _, n := range byChannel(ns, channel) {
		if n.Recipient == recipient {
			out = append(out, n)
		}
	}
	return out
}
