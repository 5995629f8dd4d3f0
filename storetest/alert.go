package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
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

// SaveAlert stores a new alert as a scan's desk transaction writes one:
// the row, and one pending notification per channel (event alert), due at
// at, under scanID. It decides nothing (no dedup: package lifecycle does
// that); tests use it to put alerts and notifications in a store.
func SaveAlert(ctx context.Context, d proactive.Desk, a proactive.Alert, at time.Time, scanID string, channels ...string) (proactive.SaveResult, error) {
	var res proactive.SaveResult
	err := d.Update(ctx, func(tx proactive.DeskTx) error {
		if a.CreatedAt.IsZero() {
			a.CreatedAt = at
		}
		if a.ExpiresAt == nil {
			exp := a.CreatedAt.Add(proactive.AlertTTL)
			a.ExpiresAt = &exp
		}
		if a.SourceAgent == "" {
			a.SourceAgent = proactive.SourceAgent
		}
		if a.InsightType == "" {
			a.InsightType = proactive.InsightType
		}
		id, err := tx.InsertAlert(ctx, a)
		if err != nil {
			return err
		}
		res = proactive.SaveResult{Outcome: proactive.Inserted, ID: id}
		var ns []proactive.Notification
		for _, ch := range channels {
			ns = append(ns, proactive.Notification{
				ID: uuid.NewString(), AlertID: id, Channel: ch, Event: proactive.EventAlert, Priority: a.Priority,
				IdempotencyKey: id + ":" + ch + ":" + string(a.Priority), Status: proactive.NotificationPending,
				NextAttemptAt: at, CreatedAt: at, ScanID: scanID,
			})
		}
		if len(ns) == 0 {
			return nil
		}
		return tx.Enqueue(ctx, ns)
	})
	return res, err
}

// mustSave saves an alert at a moment, queueing a notification per
// channel, failing the test on an error.
func mustSave(t *testing.T, s proactive.Store, a proactive.Alert, at time.Time, channels ...string) proactive.SaveResult {
	t.Helper()
	res, err := SaveAlert(t.Context(), s, a, at, "scan-"+ts(at), channels...)
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
// (an older product, another agent): plain SQL, not the desk.
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
			{"resolved", proactive.SeverityCritical, proactive.SyncFail, now.Add(-90 * time.Minute)},
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
		{"history: dismissed, resolved and expired, newest first; foreign left out",
			proactive.AlertFilter{Now: now, History: true},
			[]string{"dismissed", "resolved", "expired"}},
		{"history with a type filter", proactive.AlertFilter{Now: now, History: true, Type: proactive.DealStall},
			[]string{"dismissed"}},
		{"history with a limit", proactive.AlertFilter{Now: now, History: true, Limit: 2},
			[]string{"dismissed", "resolved"}},
		{"history: an alert expiring exactly at now has joined it",
			proactive.AlertFilter{Now: now.Add(-30*time.Minute + proactive.AlertTTL), History: true, Priority: proactive.SeverityCritical},
			[]string{"crit-new", "dismissed", "resolved", "crit-old", "expired"}},
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
				if !tc.filter.History {
					require.False(t, a.IsDismissed)
				}
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
