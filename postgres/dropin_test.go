package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// supabaseSchema is a user's existing database, Supabase-style: ids of the
// given type, extra columns, numeric amounts, and a proactive_insights of an
// older product that lacks half the columns and already holds duplicate
// dedup keys. ts is the type of the timestamp columns, amount the type of
// deals.amount.
func supabaseSchema(id, idDefault, ts, amount string) string {
	r := strings.NewReplacer("{ID}", id, "{DEF}", idDefault, "{TS}", ts, "{AMOUNT}", amount)
	return r.Replace(`
CREATE TABLE client_health_scores (
	id {ID} PRIMARY KEY {DEF}, client_id text, email text, firstname text, lastname text,
	health_score numeric(5,2), health_zone text, calculated_at {TS}, engagement_score integer, notes text);
CREATE TABLE deals (
	id {ID} PRIMARY KEY {DEF}, hubspot_deal_id text, name text, stage text, amount {AMOUNT}, contact_id text,
	owner_name text, created_at {TS}, updated_at {TS}, last_activity_date {TS}, pipeline text);
CREATE TABLE sync_errors (
	id {ID} PRIMARY KEY {DEF}, error_type text, source text, object_type text, object_id text,
	error_message text, error_details jsonb, created_at {TS}, retry_count integer, resolved_at {TS});
CREATE TABLE leads (
	id {ID} PRIMARY KEY {DEF}, name text, email text, phone text, created_at {TS}, status text,
	source text, last_contact_date {TS}, owner_id text);
CREATE TABLE proactive_insights (
	id {ID} PRIMARY KEY {DEF}, insight_type text, priority text, title text, content text,
	source_agent text, dedup_key text, created_at timestamptz DEFAULT now(), user_id text);
INSERT INTO proactive_insights (insight_type, priority, title, content, source_agent, dedup_key, created_at) VALUES
	('alert', 'high', 'old 1', 'c', 'ptd-proactive', 'health_drop_dup@example.com_2025-12-10', '2025-12-10 08:00:00+00'),
	('alert', 'high', 'old 2', 'c', 'ptd-proactive', 'health_drop_dup@example.com_2025-12-10', '2025-12-10 09:00:00+00'),
	('alert', 'medium', 'old 3', 'c', 'ptd-proactive', 'deal_stall_Big_Deal_2025-12-09', '2025-12-09 08:00:00+00'),
	('alert', 'medium', 'old 4', 'c', 'ptd-proactive', 'deal_stall_Big_Deal_2025-12-09', '2025-12-09 08:00:00+00'),
	('recommendation', 'low', 'theirs', 'c', 'another-agent', NULL, '2025-12-10 10:00:00+00');

INSERT INTO client_health_scores (email, firstname, lastname, health_score, health_zone, calculated_at) VALUES
	('drop@example.com', 'Dana', 'Drop', 80.50, 'green', '2025-12-08 10:00:00'),
	('drop@example.com', 'Dana', 'Drop', 78.00, 'Green', '2025-12-09 10:00:00'),
	('drop@example.com', 'Dana', 'Drop', 50.25, 'red', '2025-12-10 10:00:00'),
	('steady@example.com', 'Sam', 'Steady', 70, 'GREEN', '2025-12-09 10:00:00'),
	('steady@example.com', 'Sam', 'Steady', 70, 'GREEN', '2025-12-10 10:00:00'),
	('', 'No', 'Email', 10, 'RED', '2025-12-10 10:00:00'),
	('bad@example.com', 'Bad', 'Score', 150, 'GREEN', '2025-12-10 10:00:00'),
	('late@example.com', 'Late', 'Reading', 10, 'RED', '2025-12-11 10:00:00');
INSERT INTO deals (name, stage, amount, created_at, updated_at, last_activity_date) VALUES
	('Big Deal', 'Proposal', 25000.50, '2025-09-01 00:00:00', '2025-10-01 00:00:00', '2025-11-01 12:00:00'),
	('Shouty Deal', 'PROPOSAL', 100, '2025-09-01 00:00:00', '2025-11-20 12:00:00', NULL),
	('Nego', 'negotiation', NULL, '2025-11-01 00:00:00', NULL, NULL),
	('Fresh', 'Trial', 10, '2025-11-01 00:00:00', '2025-12-09 00:00:00', '2025-12-09 00:00:00'),
	('Won', 'Closed Won', 10, '2025-01-01 00:00:00', '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
	('Refund', 'Trial', -5, '2025-01-01 00:00:00', NULL, NULL);
INSERT INTO sync_errors (error_type, source, object_type, error_message, created_at, retry_count, resolved_at) VALUES
	('rate_limit', 'hubspot', 'contact', 'first', '2025-12-10 09:00:00', 1, NULL),
	('rate_limit', 'hubspot', 'deal', 'second', '2025-12-10 11:00:00', 2, NULL),
	('rate_limit', 'hubspot', 'deal', 'fixed', '2025-12-10 11:00:00', 2, '2025-12-10 11:30:00'),
	('timeout', 'stripe', 'invoice', 'slow', '2025-12-09 13:00:00', 0, NULL);
INSERT INTO leads (name, email, created_at, status, source, last_contact_date) VALUES
	('Waiting Wanda', 'wanda@example.com', '2025-12-09 12:00:00', 'NEW', 'website', NULL),
	('Young Yuri', 'yuri@example.com', '2025-12-10 10:00:00', 'New', 'ads', NULL),
	('Called Carl', 'carl@example.com', '2025-12-08 12:00:00', 'new', 'ads', '2025-12-08 13:00:00'),
	('Qualified Quinn', 'quinn@example.com', '2025-12-01 12:00:00', 'qualified', 'ads', NULL);
`)
}

// TestDropIn points the store at an existing Supabase-shaped database: with
// uuid ids, with bigint identity ids and timestamps without time zone, and
// with text ids and double amounts. Migrate adds only what is missing and
// warns about the duplicate dedup keys; the checks, the dedup and the alert
// ids work on the user's types.
func TestDropIn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, id, def, ts, amount string
		badID, unknownID          string
	}{
		{"uuid ids", "uuid", "DEFAULT gen_random_uuid()", "timestamptz", "numeric(12,2)",
			"not-a-uuid", "7d7b8a4e-3c2f-4e1a-9b5d-2f6e8c0a1b3c"},
		{"bigint ids, timestamps without time zone", "bigint", "GENERATED BY DEFAULT AS IDENTITY", "timestamp", "numeric",
			"12abc", "987654321"},
		{"text ids, double amounts", "text", "DEFAULT md5(random()::text)", "timestamptz", "double precision",
			"", "no-such-id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := mustOpen(t)
			mustExec(t, db, supabaseSchema(tc.id, tc.def, tc.ts, tc.amount))

			rep, err := db.Migrate(ctx)
			require.NoError(t, err)
			for _, table := range proactive.SourceTables() {
				require.NotContains(t, rep.Created, "table "+table, "an existing table is never created")
			}
			for _, col := range []string{"summary", "action_items", "affected_entities", "source_data", "expires_at", "is_dismissed", "resolved_at"} {
				require.Contains(t, rep.Created, "column proactive_insights."+col)
			}
			require.NotContains(t, rep.Created, "column proactive_insights.priority")
			require.Contains(t, rep.Created, "index ptd_health_email_calculated_at_idx")
			require.Contains(t, rep.Created, "index ptd_insights_dedup_idx")
			require.True(t, slices.ContainsFunc(rep.Warnings, func(w string) bool {
				return strings.Contains(w, "2 dedup keys on more than one row (4 rows")
			}), "warnings %q", rep.Warnings)
			require.Equal(t, 5, mustCount(t, db, "SELECT count(*) FROM proactive_insights"), "no user row is dropped")
			require.Equal(t, 5, mustCount(t, db, "SELECT count(*) FROM proactive_insights WHERE is_dismissed = false"))

			// A second migrate finds nothing to do but still sees the duplicates.
			again, err := db.Migrate(ctx)
			require.NoError(t, err)
			require.Empty(t, again.Created)
			require.Len(t, again.Warnings, 1)

			trends, skipped, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: testNow, WindowDays: 14, TrendDays: 7, MinDrop: 10})
			require.NoError(t, err)
			require.Len(t, trends, 1)
			tr := trends[0]
			require.Equal(t, "drop@example.com", tr.Email)
			require.Equal(t, "Dana", tr.Firstname)
			require.Equal(t, "RED", tr.Zone)
			require.InDelta(t, 50.25, tr.Current, 1e-9)
			require.InDelta(t, 78.0, tr.Previous, 1e-9)
			require.NotNil(t, tr.WeekAvg)
			require.InDelta(t, (80.5+78.0)/2, *tr.WeekAvg, 1e-9)
			require.Equal(t, 3, tr.Readings)
			require.Equal(t, time.Date(2025, 12, 10, 10, 0, 0, 0, time.UTC), tr.CurrentAt)
			require.Equal(t, proactive.Skipped{proactive.SkipNullEmail: 1, proactive.SkipScoreOutOfRange: 1, proactive.SkipFutureTimestamp: 1}, skipped)

			deals, skipped, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: testNow, Stages: proactive.DefaultStallStages(), MinDays: 14})
			require.NoError(t, err)
			var names []string
			for _, d := range deals {
				names = append(names, d.Name+"/"+d.Stage)
				require.NotEmpty(t, d.ID)
			}
			slices.Sort(names)
			require.Equal(t, []string{"Big Deal/Proposal", "Nego/negotiation", "Shouty Deal/PROPOSAL"}, names)
			for _, d := range deals {
				if d.Name == "Big Deal" {
					require.NotNil(t, d.Amount)
					require.InDelta(t, 25000.50, *d.Amount, 1e-9)
					require.Equal(t, time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC), d.LastActivity)
				}
				if d.Name == "Nego" {
					require.Nil(t, d.Amount)
				}
			}
			require.Equal(t, proactive.Skipped{proactive.SkipNegativeAmount: 1}, skipped)

			groups, _, err := storetest.SyncGroups(ctx, db, proactive.SyncQuery{Now: testNow, Since: testNow.Add(-24 * time.Hour)})
			require.NoError(t, err)
			require.Len(t, groups, 2)
			require.Equal(t, "hubspot", groups[0].Source)
			require.Equal(t, "rate_limit", groups[0].ErrorType)
			require.Equal(t, 2, groups[0].Count)
			require.Equal(t, "second", groups[0].LatestMessage)
			require.Equal(t, []string{"contact", "deal"}, groups[0].ObjectTypes)

			leads, _, err := storetest.Leads(ctx, db, proactive.LeadQuery{Now: testNow, MinHours: 6})
			require.NoError(t, err)
			require.Len(t, leads, 1)
			require.Equal(t, "Waiting Wanda", leads[0].Name)

			// The duplicated key: the group's alert of the day is the newest
			// row; rewriting it (an escalation) leaves the older copy alone.
			key := "health_drop_dup@example.com_2025-12-10"
			var newest proactive.Alert
			require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
				a, ok, err := tx.FindGroupAlert(ctx, proactive.GroupAlertQuery{Type: proactive.HealthDrop, Day: "2025-12-10",
					After: testNow.Add(-24 * time.Hour), UpTo: testNow})
				require.True(t, ok)
				newest = a
				if err != nil {
					return err
				}
				up := testAlert(key, proactive.SeverityCritical, testNow)
				up.ID = a.ID
				return tx.RewriteAlert(ctx, up)
			}))
			require.Equal(t, 2, mustCount(t, db, "SELECT count(*) FROM proactive_insights WHERE dedup_key = $1", key))
			got, err := db.GetAlert(ctx, newest.ID)
			require.NoError(t, err)
			require.Equal(t, proactive.SeverityCritical, got.Priority)
			require.Equal(t, "old 1", mustTitleOfNewest(t, db, key, "high"), "the older copy is left alone")

			// A new key gets a new row with an id of the user's type.
			res, err := save(ctx, db, "sync_fail_hubspot_rate_limit_2025-12-10", proactive.SeverityHigh)
			require.NoError(t, err)
			require.Equal(t, proactive.Inserted, res.Outcome)
			got, err = db.GetAlert(ctx, res.ID)
			require.NoError(t, err)
			require.Equal(t, res.ID, got.ID)
			list, err := db.ListAlerts(ctx, proactive.AlertFilter{Now: testNow})
			require.NoError(t, err)
			require.NotEmpty(t, list)
			require.Equal(t, proactive.SeverityCritical, list[0].Priority)

			if tc.badID != "" {
				_, err = db.GetAlert(ctx, tc.badID)
				requireCode(t, proactive.EINVALID, err)
				requireCode(t, proactive.EINVALID, db.DismissAlert(ctx, tc.badID))
			}
			_, err = db.GetAlert(ctx, tc.unknownID)
			requireCode(t, proactive.ENOTFOUND, err)
			requireCode(t, proactive.ENOTFOUND, db.DismissAlert(ctx, tc.unknownID))
			require.NoError(t, db.DismissAlert(ctx, res.ID))

			// The desk on the user's table: ids of its type, the legacy rows
			// found as a group's alert, malformed ids refused without
			// spoiling the transaction.
			require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
				found, ok, err := tx.FindGroupAlert(ctx, proactive.GroupAlertQuery{Type: proactive.HealthDrop, Day: "2025-12-10",
					After: testNow.Add(-24 * time.Hour), UpTo: testNow})
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, "health_drop_dup@example.com_2025-12-10", found.DedupKey)
				require.Equal(t, proactive.SeverityCritical, found.Priority, "the newest of the type and day, escalated above")
				a := testAlert("deal_stall_Big_Deal_2025-12-10", proactive.SeverityHigh, testNow)
				id, err := tx.InsertAlert(ctx, a)
				require.NoError(t, err)
				got, err := tx.GetAlert(ctx, id)
				require.NoError(t, err)
				require.Equal(t, id, got.ID)
				if tc.badID != "" {
					_, err = tx.GetAlert(ctx, tc.badID)
					requireCode(t, proactive.EINVALID, err)
					requireCode(t, proactive.EINVALID, tx.CloseAlert(ctx, tc.badID, testNow))
				}
				_, err = tx.GetAlert(ctx, tc.unknownID)
				requireCode(t, proactive.ENOTFOUND, err)
				require.NoError(t, tx.SetAlertDismissed(ctx, id))
				return tx.CloseAlert(ctx, id, testNow)
			}))

			// Import keeps given ids of the user's type and generates absent ones.
			given := map[string]string{"uuid": "11111111-2222-4333-8444-555555555555", "bigint": "4242", "text": "crm-42"}[tc.id]
			require.NoError(t, db.InsertRows(ctx, proactive.TableLeads, []string{"id", "name", "created_at", "status"}, []proactive.Row{
				{"id": given, "name": "Imported", "created_at": testNow.Add(-30 * time.Hour), "status": "new"},
				{"id": nil, "name": "Generated", "created_at": testNow.Add(-30 * time.Hour), "status": "NEW"},
			}))
			require.Equal(t, 1, mustCount(t, db, "SELECT count(*) FROM leads WHERE id::text = $1", given))
			leads, _, err = storetest.Leads(ctx, db, proactive.LeadQuery{Now: testNow, MinHours: 6})
			require.NoError(t, err)
			require.Len(t, leads, 3)
		})
	}
}

// mustTitleOfNewest returns the title of the newest row of a key with a
// priority.
func mustTitleOfNewest(t *testing.T, db *DB, key, priority string) string {
	t.Helper()
	var title string
	require.NoError(t, db.pool.QueryRow(context.Background(), `
		SELECT title FROM proactive_insights WHERE dedup_key = $1 AND priority = $2
		ORDER BY created_at DESC LIMIT 1`, key, priority).Scan(&title))
	return title
}

// A source column of a type the checks cannot read (an amount of type
// money, which has no cast to a number; a score in json, which compares
// with no number) fails that check with a message naming the table and
// the types it reads, not the server's bare error.
func TestUnreadableColumnTypes(t *testing.T) {
	t.Parallel()
	db, _ := mustMigrate(t)
	ctx := context.Background()
	mustExec(t, db, `ALTER TABLE deals ALTER COLUMN amount TYPE money USING amount::numeric::money`)
	mustExec(t, db, `DROP TABLE client_health_scores`)
	mustExec(t, db, `CREATE TABLE client_health_scores (email text, firstname text, lastname text, health_score json,
		health_zone text, calculated_at timestamptz)`)
	_, err := db.StalledDeals(ctx, proactive.DealQuery{Now: testNow}, func(proactive.Deal) error { return nil })
	requireCode(t, proactive.EINVALID, err)
	require.ErrorContains(t, err, "a column of table deals has a type the check cannot read")
	require.ErrorContains(t, err, "numbers for scores and amounts")
	_, err = db.HealthTrends(ctx, proactive.HealthQuery{Now: testNow}, func(proactive.HealthTrend) error { return nil })
	requireCode(t, proactive.EINVALID, err)
	require.ErrorContains(t, err, "a column of table client_health_scores has a type the check cannot read")
}
