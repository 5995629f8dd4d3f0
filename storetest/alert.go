package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// unknownID is a well-formed uuid no store holds.
const unknownID = "7d7b8a4e-3c2f-4e1a-9b5d-2f6e8c0a1b3c"

// foreignID is the id of the alert another source agent wrote.
const foreignID = "5a1c3e7f-9b2d-4f60-8e4a-1c3b5d7f9a2e"

// dedupWindow is the default DEDUP_WINDOW_HOURS.
const dedupWindow = 24 * time.Hour

// newAlert builds an alert as the scan would: created at, expiring 48 h later.
func newAlert(key string, prio proactive.Severity, typ proactive.AnomalyType, at time.Time) proactive.Alert {
	expires := at.Add(proactive.AlertTTL)
	return proactive.Alert{
		InsightType: proactive.InsightType,
		Priority:    prio,
		Title:       key,
		Content:     "content of " + key + " at " + string(prio),
		Summary:     "summary of " + key,
		ActionItems: []proactive.ActionItem{
			{Action: "Call Jane Doe", Priority: prio, UrgencyScore: 91},
			{Action: "Email John Roe", Priority: proactive.SeverityMedium, UrgencyScore: 55},
		},
		AffectedEntities: proactive.AffectedEntities{
			Type: typ, Count: 2, Entities: []string{"Jane Doe (jane@example.com)", "john@example.com"}, UrgencyScore: 77,
		},
		SourceAgent: proactive.SourceAgent,
		SourceData:  map[string]any{"group_id": string(typ) + "_group", "affected_count": 2.0, "scores": []any{60.0, 72.5}},
		DedupKey:    key,
		ExpiresAt:   &expires,
		CreatedAt:   at,
	}
}

// mustSave saves an alert at a moment with the default window, failing the
// test on an error.
func mustSave(t *testing.T, s proactive.Store, a proactive.Alert, at time.Time, channels ...string) proactive.SaveResult {
	t.Helper()
	res, err := s.SaveAlert(t.Context(), proactive.SaveAlertParams{
		Alert: a, DedupWindow: dedupWindow, Now: at, Channels: channels, ScanID: "scan-" + ts(at),
	})
	require.NoError(t, err, "save %s at %s", a.DedupKey, ts(at))
	require.NotEmpty(t, res.ID)
	return res
}

// mustGet reads an alert back.
func mustGet(t *testing.T, s proactive.Store, id string) proactive.Alert {
	t.Helper()
	a, err := s.GetAlert(t.Context(), id)
	require.NoError(t, err, "get alert %s", id)
	return a
}

// insertForeignAlert writes an alert of another source agent, as other
// agents sharing proactive_insights do.
func insertForeignAlert(t *testing.T, s proactive.Store, id, key string, at time.Time) {
	t.Helper()
	insertRawAlert(t, s, id, "other-agent", key, proactive.SeverityCritical, at)
}

// insertRawAlert writes a proactive_insights row as another program would
// (an older product, another agent): plain SQL, not SaveAlert.
func insertRawAlert(t *testing.T, s proactive.Store, id, agent, key string, prio proactive.Severity, at time.Time) {
	t.Helper()
	MustExec(t, s, fmt.Sprintf(`INSERT INTO proactive_insights
		(id, insight_type, priority, title, content, summary, action_items, affected_entities,
		 source_agent, source_data, dedup_key, expires_at, is_dismissed, created_at)
		VALUES ('%s', 'alert', '%s', 'theirs', '', '', '[]', '{"type": "health_drop"}',
		 '%s', '{}', '%s', '%s', false, '%s')`,
		id, prio, agent, key, at.Add(proactive.AlertTTL).UTC().Format("2006-01-02T15:04:05.000000Z"),
		at.UTC().Format("2006-01-02T15:04:05.000000Z")))
}

// requireAlert compares a stored alert with what was saved.
func requireAlert(t *testing.T, want, got proactive.Alert) {
	t.Helper()
	require.Equal(t, want.ID, got.ID, "id")
	require.Equal(t, proactive.InsightType, got.InsightType, "insight_type")
	require.Equal(t, want.Priority, got.Priority, "priority")
	require.Equal(t, want.Title, got.Title, "title")
	require.Equal(t, want.Content, got.Content, "content")
	require.Equal(t, want.Summary, got.Summary, "summary")
	require.Equal(t, want.ActionItems, got.ActionItems, "action_items")
	require.Equal(t, want.AffectedEntities, got.AffectedEntities, "affected_entities")
	require.Equal(t, proactive.SourceAgent, got.SourceAgent, "source_agent")
	require.Equal(t, want.SourceData, got.SourceData, "source_data")
	require.Equal(t, want.DedupKey, got.DedupKey, "dedup_key")
	require.Equal(t, tsp(want.ExpiresAt), tsp(got.ExpiresAt), "expires_at")
	require.Equal(t, want.IsDismissed, got.IsDismissed, "is_dismissed")
	require.Equal(t, ts(want.CreatedAt), ts(got.CreatedAt), "created_at")
}

func testSaveAlert(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	const key = "health_drop_jane@example.com_2025-12-10"
	cases := []struct {
		name string
		run  func(t *testing.T, s proactive.Store)
	}{
		{"inserted: stored as given", func(t *testing.T, s proactive.Store) {
			a := newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now)
			res := mustSave(t, s, a, now)
			require.Equal(t, proactive.Inserted, res.Outcome)
			a.ID = res.ID
			requireAlert(t, a, mustGet(t, s, res.ID))
		}},
		{"duplicate: same key in the window, same or lower priority", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now), now)
			for _, tc := range []struct {
				prio proactive.Severity
				at   time.Time
			}{{proactive.SeverityHigh, now.Add(h)}, {proactive.SeverityMedium, now.Add(23 * h)}, {proactive.SeverityLow, now.Add(24*h - time.Second)}} {
				a := newAlert(key, tc.prio, proactive.HealthDrop, tc.at)
				a.Title = "changed"
				res := mustSave(t, s, a, tc.at)
				require.Equal(t, proactive.SaveResult{Outcome: proactive.Duplicate, ID: first.ID}, res, "%s at %s", tc.prio, ts(tc.at))
			}
			got := mustGet(t, s, first.ID)
			require.Equal(t, key, got.Title, "a duplicate writes nothing")
			require.Equal(t, proactive.SeverityHigh, got.Priority)
		}},
		{"duplicate: a dismissed alert still counts", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityMedium, proactive.HealthDrop, now), now)
			require.NoError(t, s.DismissAlert(t.Context(), first.ID))
			res := mustSave(t, s, newAlert(key, proactive.SeverityMedium, proactive.HealthDrop, now.Add(h)), now.Add(h))
			require.Equal(t, proactive.SaveResult{Outcome: proactive.Duplicate, ID: first.ID}, res)
			require.True(t, mustGet(t, s, first.ID).IsDismissed, "a duplicate leaves it dismissed")
		}},
		{"inserted: after the window the key is stored again", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now), now)
			next := now.Add(25 * h)
			res := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, next), next)
			require.Equal(t, proactive.Inserted, res.Outcome)
			require.NotEqual(t, first.ID, res.ID)
			list, err := s.ListAlerts(t.Context(), proactive.AlertFilter{Now: next})
			require.NoError(t, err)
			require.Len(t, list, 2)
		}},
		{"escalated: severity rose: updated, expiry moved, active again, created_at kept", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityMedium, proactive.HealthDrop, now), now)
			require.NoError(t, s.DismissAlert(t.Context(), first.ID))
			later := now.Add(2 * h)
			up := newAlert(key, proactive.SeverityCritical, proactive.HealthDrop, later)
			up.Title, up.Summary = "Client Health Drop: escalated", "worse"
			up.AffectedEntities.Count = 3
			res := mustSave(t, s, up, later)
			require.Equal(t, proactive.SaveResult{Outcome: proactive.Escalated, ID: first.ID}, res)
			want := up
			want.ID, want.CreatedAt, want.IsDismissed = first.ID, now, false
			want.ExpiresAt = ptr(later.Add(proactive.AlertTTL))
			requireAlert(t, want, mustGet(t, s, first.ID))
			list, err := s.ListAlerts(t.Context(), proactive.AlertFilter{Now: later})
			require.NoError(t, err)
			require.Len(t, list, 1, "one row for the key")
		}},
		{"duplicate: a lower severity never escalates", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityCritical, proactive.HealthDrop, now), now)
			res := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now.Add(h)), now.Add(h))
			require.Equal(t, proactive.SaveResult{Outcome: proactive.Duplicate, ID: first.ID}, res)
			require.Equal(t, proactive.SeverityCritical, mustGet(t, s, first.ID).Priority)
		}},
		{"inserted: another agent's alert with the key does not count", func(t *testing.T, s proactive.Store) {
			insertForeignAlert(t, s, foreignID, key, now)
			res := mustSave(t, s, newAlert(key, proactive.SeverityLow, proactive.HealthDrop, now.Add(h)), now.Add(h))
			require.Equal(t, proactive.Inserted, res.Outcome)
		}},
		{"outbox: one notification per channel on insert and escalation, none on duplicate", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			first := mustSave(t, s, newAlert(key, proactive.SeverityMedium, proactive.HealthDrop, now), now,
				proactive.ChannelSlack, proactive.ChannelWebhook)
			ns, err := s.ListNotifications(ctx, proactive.NotificationFilter{})
			require.NoError(t, err)
			require.ElementsMatch(t, []string{first.ID + ":slack:medium", first.ID + ":webhook:medium"}, idempotencyKeys(ns))
			for _, n := range ns {
				require.Equal(t, first.ID, n.AlertID)
				require.Equal(t, proactive.SeverityMedium, n.Priority)
				require.Equal(t, proactive.NotificationPending, n.Status)
				require.Zero(t, n.Attempts)
				require.Equal(t, ts(now), ts(n.NextAttemptAt), "due at once")
				require.Equal(t, ts(now), ts(n.CreatedAt))
				require.Equal(t, "scan-"+ts(now), n.ScanID)
				require.Nil(t, n.DeliveredAt)
				require.Equal(t, proactive.EventAlert, n.Event, "an inserted alert's event")
				require.Empty(t, n.Recipient)
				require.Nil(t, n.Payload)
			}

			dup := mustSave(t, s, newAlert(key, proactive.SeverityMedium, proactive.HealthDrop, now.Add(h)), now.Add(h),
				proactive.ChannelSlack, proactive.ChannelWebhook, proactive.ChannelEmail)
			require.Equal(t, proactive.Duplicate, dup.Outcome)
			ns, err = s.ListNotifications(ctx, proactive.NotificationFilter{})
			require.NoError(t, err)
			require.Len(t, ns, 2, "a duplicate enqueues nothing")

			up := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now.Add(2*h)), now.Add(2*h),
				proactive.ChannelSlack)
			require.Equal(t, proactive.Escalated, up.Outcome)
			ns, err = s.ListNotifications(ctx, proactive.NotificationFilter{})
			require.NoError(t, err)
			require.ElementsMatch(t, []string{first.ID + ":slack:medium", first.ID + ":webhook:medium", first.ID + ":slack:high"},
				idempotencyKeys(ns), "an escalation notifies again")
			for _, n := range ns {
				want := proactive.EventAlert
				if n.Priority == proactive.SeverityHigh {
					want = proactive.EventEscalation
				}
				require.Equal(t, want, n.Event, n.IdempotencyKey)
			}

			other := mustSave(t, s, newAlert("deal_stall_Acme_2025-12-10", proactive.SeverityCritical, proactive.DealStall, now), now)
			require.Equal(t, proactive.Inserted, other.Outcome)
			ns, err = s.ListNotifications(ctx, proactive.NotificationFilter{})
			require.NoError(t, err)
			require.Len(t, ns, 3, "no channels, no notification")
		}},
		{"concurrent saves of one key store it once", func(t *testing.T, s proactive.Store) {
			const n = 8
			results := make([]proactive.SaveResult, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = s.SaveAlert(t.Context(), proactive.SaveAlertParams{
						Alert: newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now), DedupWindow: dedupWindow,
						Now: now, Channels: []string{proactive.ChannelSlack},
					})
				}()
			}
			close(start)
			wg.Wait()
			inserted := 0
			for i := range n {
				require.NoError(t, errs[i])
				require.Equal(t, results[0].ID, results[i].ID, "every saver sees the one row")
				if results[i].Outcome == proactive.Inserted {
					inserted++
				} else {
					require.Equal(t, proactive.Duplicate, results[i].Outcome)
				}
			}
			require.Equal(t, 1, inserted)
			list, err := s.ListAlerts(t.Context(), proactive.AlertFilter{Now: now})
			require.NoError(t, err)
			require.Len(t, list, 1)
			ns, err := s.ListNotifications(t.Context(), proactive.NotificationFilter{})
			require.NoError(t, err)
			require.Len(t, ns, 1)
		}},
		{"inserted: an alert created exactly a window ago no longer counts", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now), now)
			next := now.Add(dedupWindow)
			res := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, next), next)
			require.Equal(t, proactive.Inserted, res.Outcome, "the window is (now - window, now]")
			require.NotEqual(t, first.ID, res.ID)
		}},
		{"inserted: created at the scan's now, expiring 48 h later, as ptd-proactive, whatever the alert says", func(t *testing.T, s proactive.Store) {
			a := newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now)
			a.ExpiresAt = ptr(now.Add(time.Hour))
			a.CreatedAt = now.Add(-time.Hour)
			a.SourceAgent = "someone-else"
			a.AffectedEntities.Entities = nil
			res := mustSave(t, s, a, now)
			require.Equal(t, proactive.Inserted, res.Outcome)
			got := mustGet(t, s, res.ID)
			require.Equal(t, ts(now), ts(got.CreatedAt))
			require.Equal(t, ts(now.Add(proactive.AlertTTL)), tsp(got.ExpiresAt))
			require.Equal(t, proactive.SourceAgent, got.SourceAgent)
			require.Equal(t, []string{}, got.AffectedEntities.Entities, "no entities is an empty list")
			again := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now.Add(h)), now.Add(h))
			require.Equal(t, proactive.SaveResult{Outcome: proactive.Duplicate, ID: res.ID}, again)
		}},
		{"refused: no dedup key, an unknown priority, no now; nothing written", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			noKey := newAlert("", proactive.SeverityHigh, proactive.HealthDrop, now)
			_, err := s.SaveAlert(ctx, proactive.SaveAlertParams{Alert: noKey, DedupWindow: dedupWindow, Now: now,
				Channels: []string{proactive.ChannelSlack}})
			requireCode(t, proactive.EINVALID, err, "no dedup key")
			for _, prio := range []proactive.Severity{"", "CRITICAL", "urgent"} {
				_, err = s.SaveAlert(ctx, proactive.SaveAlertParams{Alert: newAlert(key, prio, proactive.HealthDrop, now),
					DedupWindow: dedupWindow, Now: now, Channels: []string{proactive.ChannelSlack}})
				requireCode(t, proactive.EINVALID, err, "priority %q", prio)
			}
			noNow := newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, time.Time{})
			_, err = s.SaveAlert(ctx, proactive.SaveAlertParams{Alert: noNow, DedupWindow: dedupWindow})
			requireCode(t, proactive.EINVALID, err, "no now")
			list, err := s.ListAlerts(ctx, proactive.AlertFilter{Now: now})
			require.NoError(t, err)
			require.Empty(t, list)
			require.Empty(t, mustList(t, s, proactive.NotificationFilter{}))
		}},
		{"escalated step by step: each rise updates and notifies; the first created_at stays", func(t *testing.T, s proactive.Store) {
			first := mustSave(t, s, newAlert(key, proactive.SeverityLow, proactive.HealthDrop, now), now, proactive.ChannelSlack)
			for i, prio := range []proactive.Severity{proactive.SeverityMedium, proactive.SeverityHigh, proactive.SeverityCritical} {
				at := now.Add(time.Duration(i+1) * h)
				res := mustSave(t, s, newAlert(key, prio, proactive.HealthDrop, at), at, proactive.ChannelSlack)
				require.Equal(t, proactive.SaveResult{Outcome: proactive.Escalated, ID: first.ID}, res, "to %s", prio)
				got := mustGet(t, s, first.ID)
				require.Equal(t, prio, got.Priority)
				require.Equal(t, ts(now), ts(got.CreatedAt), "created_at kept")
				require.Equal(t, ts(at.Add(proactive.AlertTTL)), tsp(got.ExpiresAt), "expiry moved")
			}
			// The window counts from the first created_at, not from the escalations.
			at := now.Add(23 * h)
			res := mustSave(t, s, newAlert(key, proactive.SeverityCritical, proactive.HealthDrop, at), at, proactive.ChannelSlack)
			require.Equal(t, proactive.Duplicate, res.Outcome)
			at = now.Add(dedupWindow)
			res = mustSave(t, s, newAlert(key, proactive.SeverityMedium, proactive.HealthDrop, at), at, proactive.ChannelSlack)
			require.Equal(t, proactive.Inserted, res.Outcome, "out of the first one's window")
			require.ElementsMatch(t, []string{
				first.ID + ":slack:low", first.ID + ":slack:medium", first.ID + ":slack:high", first.ID + ":slack:critical",
				res.ID + ":slack:medium",
			}, idempotencyKeys(mustList(t, s, proactive.NotificationFilter{})))
		}},
		{"concurrent saves of rising severities: one row at the highest, one notification per rise", func(t *testing.T, s proactive.Store) {
			prios := []proactive.Severity{proactive.SeverityLow, proactive.SeverityMedium, proactive.SeverityHigh, proactive.SeverityCritical}
			const n = 8
			results := make([]proactive.SaveResult, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					results[i], errs[i] = s.SaveAlert(t.Context(), proactive.SaveAlertParams{
						Alert:       newAlert(key, prios[(i*3)%len(prios)], proactive.HealthDrop, now),
						DedupWindow: dedupWindow, Now: now, Channels: []string{proactive.ChannelWebhook},
					})
				})
			}
			close(start)
			wg.Wait()
			outcomes := map[proactive.SaveOutcome]int{}
			for i := range n {
				require.NoError(t, errs[i])
				require.Equal(t, results[0].ID, results[i].ID, "every saver names the one row")
				outcomes[results[i].Outcome]++
			}
			require.Equal(t, 1, outcomes[proactive.Inserted])
			require.Equal(t, proactive.SeverityCritical, mustGet(t, s, results[0].ID).Priority)
			list, err := s.ListAlerts(t.Context(), proactive.AlertFilter{Now: now})
			require.NoError(t, err)
			require.Len(t, list, 1)
			ns := mustList(t, s, proactive.NotificationFilter{})
			require.Len(t, ns, outcomes[proactive.Inserted]+outcomes[proactive.Escalated],
				"an escalation only when the severity rose: each notified once, at its own priority")
			require.LessOrEqual(t, len(ns), len(prios))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// idempotencyKeys lists the notifications' keys.
func idempotencyKeys(ns []proactive.Notification) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.IdempotencyKey)
	}
	return out
}

// titles lists the alerts' titles, in order.
func titles(as []proactive.Alert) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Title)
	}
	return out
}

func testListAlerts(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	seed := func(t *testing.T) proactive.Store {
		s := open(t)
		// Saved in an order, and with priorities, where neither insertion
		// order nor the priorities' text order is the right one.
		for _, x := range []struct {
			key  string
			prio proactive.Severity
			typ  proactive.AnomalyType
			at   time.Time
		}{
			{"low", proactive.SeverityLow, proactive.HealthDrop, now.Add(-time.Minute)},
			{"crit-old", proactive.SeverityCritical, proactive.HealthDrop, now.Add(-5 * h)},
			{"med", proactive.SeverityMedium, proactive.ResponseDelay, now.Add(-2 * h)},
			{"med-urgent", proactive.SeverityMedium, proactive.SyncFail, now.Add(-2 * h)},
			{"high-old", proactive.SeverityHigh, proactive.HealthDrop, now.Add(-4 * h)},
			{"crit-new", proactive.SeverityCritical, proactive.DealStall, now.Add(-30 * time.Minute)},
			{"high-new", proactive.SeverityHigh, proactive.SyncFail, now.Add(-3 * h)},
			{"expired", proactive.SeverityCritical, proactive.HealthDrop, now.Add(-50 * h)},
			{"dismissed", proactive.SeverityCritical, proactive.DealStall, now.Add(-h)},
			{"resolved", proactive.SeverityCritical, proactive.SyncFail, now.Add(-h)},
		} {
			a := newAlert(x.key, x.prio, x.typ, x.at)
			if x.key == "med-urgent" {
				a.AffectedEntities.UrgencyScore = 90 // same priority and instant as "med" (77): more urgent first
			}
			res := mustSave(t, s, a, x.at)
			switch x.key {
			case "dismissed":
				require.NoError(t, s.DismissAlert(t.Context(), res.ID))
			case "resolved":
				// Resolved (CONTRACT §10.7), its expires_at left in the future.
				got := mustGet(t, s, res.ID)
				got.ResolvedAt = &x.at
				require.NoError(t, s.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.RewriteAlert(t.Context(), got) }))
			}
		}
		insertForeignAlert(t, s, foreignID, "foreign", now.Add(-h))
		return s
	}
	cases := []struct {
		name   string
		filter proactive.AlertFilter
		want   []string
	}{
		{"critical > high > medium > low, then newest, then most urgent; expired, dismissed, resolved and foreign left out",
			proactive.AlertFilter{Now: now},
			[]string{"crit-new", "crit-old", "high-new", "high-old", "med-urgent", "med", "low"}},
		{"priority filter", proactive.AlertFilter{Now: now, Priority: proactive.SeverityHigh},
			[]string{"high-new", "high-old"}},
		{"type filter", proactive.AlertFilter{Now: now, Type: proactive.HealthDrop},
			[]string{"crit-old", "high-old", "low"}},
		{"priority and type", proactive.AlertFilter{Now: now, Priority: proactive.SeverityCritical, Type: proactive.DealStall},
			[]string{"crit-new"}},
		{"limit", proactive.AlertFilter{Now: now, Limit: 3},
			[]string{"crit-new", "crit-old", "high-new"}},
		{"an alert expiring exactly at now is no longer active",
			proactive.AlertFilter{Now: now.Add(-30*time.Minute + proactive.AlertTTL)},
			[]string{"low"}},
		{"nothing matches", proactive.AlertFilter{Now: now, Priority: proactive.SeverityLow, Type: proactive.SyncFail},
			[]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := seed(t)
			got, err := s.ListAlerts(t.Context(), tc.filter)
			require.NoError(t, err)
			require.Equal(t, tc.want, titles(got))
			for _, a := range got {
				require.Equal(t, proactive.SourceAgent, a.SourceAgent)
				require.False(t, a.IsDismissed)
			}
		})
	}
}

func testGetDismiss(t *testing.T, open opener) {
	now := Now()
	cases := []struct {
		name string
		do   func(s proactive.Store, t *testing.T, id string) error
		id   string // "" for the stored alert's id
		code string // "" for success
	}{
		{"get unknown id", get, unknownID, proactive.ENOTFOUND},
		{"get malformed id", get, "not-an-id", proactive.EINVALID},
		{"get another agent's alert", get, foreignID, proactive.ENOTFOUND},
		{"dismiss unknown id", dismiss, unknownID, proactive.ENOTFOUND},
		{"dismiss malformed id", dismiss, "not-an-id", proactive.EINVALID},
		{"dismiss another agent's alert", dismiss, foreignID, proactive.ENOTFOUND},
		{"dismiss hides the alert, keeps it readable; twice is fine", func(s proactive.Store, t *testing.T, id string) error {
			require.NoError(t, s.DismissAlert(t.Context(), id))
			require.True(t, mustGet(t, s, id).IsDismissed)
			list, err := s.ListAlerts(t.Context(), proactive.AlertFilter{Now: now})
			require.NoError(t, err)
			require.Empty(t, list)
			return s.DismissAlert(t.Context(), id)
		}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			res := mustSave(t, s, newAlert("k", proactive.SeverityHigh, proactive.HealthDrop, now), now)
			insertForeignAlert(t, s, foreignID, "k", now)
			id := tc.id
			if id == "" {
				id = res.ID
			}
			err := tc.do(s, t, id)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			requireCode(t, tc.code, err)
		})
	}
}

func get(s proactive.Store, t *testing.T, id string) error {
	_, err := s.GetAlert(t.Context(), id)
	return err
}

func dismiss(s proactive.Store, t *testing.T, id string) error {
	return s.DismissAlert(t.Context(), id)
}
