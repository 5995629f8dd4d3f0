package storetest

import (
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// legacyInsights is a proactive_insights of an older product, in SQL both
// dialects accept: half the columns, a text id.
const legacyInsights = `CREATE TABLE proactive_insights (
	id text PRIMARY KEY, insight_type text, priority text, title text, content text,
	source_agent text, dedup_key text, created_at timestamptz, user_id text)`

// legacyID is the id of the legacy alert testMigrate plants.
const legacyID = "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10"

// mustMigrate migrates a store again.
func mustMigrate(t *testing.T, s proactive.Store) proactive.MigrateReport {
	t.Helper()
	rep, err := s.Migrate(t.Context())
	require.NoError(t, err, "migrate")
	return rep
}

// activeAlerts lists the active alerts at now.
func activeAlerts(t *testing.T, s proactive.Store, now time.Time) []proactive.Alert {
	t.Helper()
	list, err := s.ListAlerts(t.Context(), proactive.AlertFilter{Now: now})
	require.NoError(t, err)
	return list
}

// groupAlertID is the id of the group's alert of the day (CONTRACT §10.6)
// at now, "" when none.
func groupAlertID(t *testing.T, s proactive.Store, typ proactive.AnomalyType, now time.Time) string {
	t.Helper()
	var id string
	require.NoError(t, s.View(t.Context(), func(tx proactive.DeskTx) error {
		a, ok, err := tx.FindGroupAlert(t.Context(), proactive.GroupAlertQuery{Type: typ, Day: now.UTC().Format(time.DateOnly), After: now.Add(-dedupWindow), UpTo: now})
		if ok {
			id = a.ID
		}
		return err
	}))
	return id
}

func testMigrate(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	const key = "health_drop_jane@example.com_2025-12-10"
	cases := []struct {
		name string
		run  func(t *testing.T, s proactive.Store)
	}{
		{"again: nothing to create, no warning, every row kept", func(t *testing.T, s proactive.Store) {
			MustInsert(t, s, proactive.TableDeals, deal("stalled", "Proposal", 10.0, now.Add(-20*day), nil, nil))
			saved := mustSave(t, s, newAlert(key, proactive.SeverityHigh, proactive.HealthDrop, now), now, proactive.ChannelSlack)
			rep := mustMigrate(t, s)
			require.Empty(t, rep.Created)
			require.Empty(t, rep.Warnings)
			require.Len(t, mustDeals(t, s), 1)
			require.Equal(t, []string{key}, titles(activeAlerts(t, s, now)))
			require.Equal(t, saved.ID, mustList(t, s, proactive.NotificationFilter{})[0].AlertID)
		}},
		{"a dropped source table is created again, the others left alone", func(t *testing.T, s proactive.Store) {
			MustInsert(t, s, proactive.TableDeals, deal("stalled", "Proposal", 10.0, now.Add(-20*day), nil, nil))
			MustExec(t, s, "DROP TABLE "+proactive.TableLeads)
			rep := mustMigrate(t, s)
			require.Contains(t, rep.Created, "table "+proactive.TableLeads)
			require.NotContains(t, rep.Created, "table "+proactive.TableDeals)
			require.Len(t, mustDeals(t, s), 1)
			_, _, err := Leads(t.Context(), s, proactive.LeadQuery{Now: now})
			require.NoError(t, err)
		}},
		{"duplicate dedup keys already stored: reported, kept, never another", func(t *testing.T, s proactive.Store) {
			insertRawAlert(t, s, "0f8e2d4c-6b1a-4c3e-9d5f-7a9b1c3e5d70", proactive.SourceAgent, key, proactive.SeverityHigh, now.Add(-3*h))
			insertRawAlert(t, s, "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d", proactive.SourceAgent, key, proactive.SeverityHigh, now.Add(-2*h))
			rep := mustMigrate(t, s)
			require.Empty(t, rep.Created)
			require.Len(t, rep.Warnings, 1)
			require.Contains(t, rep.Warnings[0], "1 dedup keys on more than one row (2 rows")
			require.Contains(t, rep.Warnings[0], "delete the older copies", "the warning says what to do")
			require.Equal(t, "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d", groupAlertID(t, s, proactive.HealthDrop, now),
				"the group's alert of the day is the newest copy")
			require.Len(t, activeAlerts(t, s, now), 2, "no row added, none removed")
		}},
		{"an older proactive_insights gets the columns it lacks; its rows are kept and dedupe", func(t *testing.T, s proactive.Store) {
			MustExec(t, s, "DROP TABLE "+proactive.TableInsights)
			MustExec(t, s, legacyInsights)
			MustExec(t, s, `INSERT INTO proactive_insights (id, insight_type, priority, title, content, source_agent, dedup_key, created_at)
				VALUES ('`+legacyID+`', 'alert', 'medium', 'legacy', 'c', '`+proactive.SourceAgent+`', '`+key+`', '`+
				now.Add(-2*h).UTC().Format("2006-01-02T15:04:05.000000Z")+`')`)
			rep := mustMigrate(t, s)
			for _, col := range []string{"summary", "action_items", "affected_entities", "source_data", "expires_at", "is_dismissed"} {
				require.Contains(t, rep.Created, "column proactive_insights."+col)
			}
			require.NotContains(t, rep.Created, "column proactive_insights.priority")
			require.NotContains(t, rep.Created, "table proactive_insights")
			require.Empty(t, rep.Warnings)

			list := activeAlerts(t, s, now)
			require.Len(t, list, 1)
			require.Equal(t, legacyID, list[0].ID)
			require.Equal(t, "legacy", list[0].Title)
			require.False(t, list[0].IsDismissed)
			require.Equal(t, []proactive.ActionItem{}, list[0].ActionItems, "a NULL list is an empty one")

			require.Equal(t, legacyID, groupAlertID(t, s, proactive.HealthDrop, now), "the legacy row is the group's alert of the day")
			up := newAlert(key, proactive.SeverityCritical, proactive.HealthDrop, now)
			up.ID = legacyID
			exp := now.Add(proactive.AlertTTL)
			up.ExpiresAt = &exp
			require.NoError(t, s.Update(t.Context(), func(tx proactive.DeskTx) error { return tx.RewriteAlert(t.Context(), up) }))
			got := mustGet(t, s, legacyID)
			require.Equal(t, proactive.SeverityCritical, got.Priority)
			require.Equal(t, ts(now.Add(-2*h)), ts(got.CreatedAt), "created_at kept")
			require.Equal(t, ts(now.Add(proactive.AlertTTL)), tsp(got.ExpiresAt))

			other := mustSave(t, s, newAlert("deal_stall_Acme_2025-12-10", proactive.SeverityHigh, proactive.DealStall, now), now)
			require.Equal(t, proactive.Inserted, other.Outcome)
			require.NotEqual(t, legacyID, other.ID)
			require.Len(t, activeAlerts(t, s, now), 2)
			require.Empty(t, mustMigrate(t, s).Created, "a second migrate finds nothing to do")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}
