package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// mustOpen opens a store on a new file in a temporary directory, closed at
// the end of the test.
func mustOpen(t *testing.T) *sqlite.DB {
	t.Helper()
	return mustOpenPath(t, filepath.Join(t.TempDir(), "ptd.db"))
}

// mustOpenPath opens a store on path, closed at the end of the test.
func mustOpenPath(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

// mustMigrate migrates a store.
func mustMigrate(t *testing.T, db *sqlite.DB) proactive.MigrateReport {
	t.Helper()
	rep, err := db.Migrate(t.Context())
	require.NoError(t, err)
	return rep
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) proactive.Store {
		db := mustOpen(t)
		mustMigrate(t, db)
		return db
	})
}

func TestDesk(t *testing.T) {
	storetest.RunDesk(t, func(t *testing.T) proactive.Desk {
		db := mustOpen(t)
		mustMigrate(t, db)
		return db
	})
}

func TestOpen(t *testing.T) {
	t.Run("creates the file, in WAL mode", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		db := mustOpenPath(t, path)
		require.FileExists(t, path)
		require.NoError(t, db.Ping(t.Context()))
		require.Equal(t, "sqlite", db.Kind())
		mustMigrate(t, db)
		require.FileExists(t, path+"-wal", "WAL journal")
	})
	t.Run("any character in the path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a b?c#d%e.db")
		mustMigrate(t, mustOpenPath(t, path))
		require.FileExists(t, path)
	})
	t.Run("a missing directory says so", func(t *testing.T) {
		_, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
		require.Error(t, err)
		require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
		require.Contains(t, proactive.ErrorMessage(err), "directory exists")
	})
	t.Run("a file that is not a database says so", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		require.NoError(t, os.WriteFile(path, []byte("these are not the pages you are looking for, not at all, no"), 0o600))
		_, err := sqlite.Open(t.Context(), path)
		require.Error(t, err)
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
		require.Contains(t, proactive.ErrorMessage(err), "not a SQLite database")
	})
	t.Run("an empty path is refused", func(t *testing.T) {
		_, err := sqlite.Open(t.Context(), "")
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
	})
	t.Run(":memory: works", func(t *testing.T) {
		db := mustOpenPath(t, ":memory:")
		mustMigrate(t, db)
		_, err := db.ListAlerts(t.Context(), proactive.AlertFilter{Now: storetest.Now()})
		require.NoError(t, err)
	})
}

// TestOpenMustExist: with MustExist a missing file is ENOTFOUND saying how
// to fix it, and nothing is created; an existing database opens as usual.
func TestOpenMustExist(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{
		filepath.Join(dir, "typo.db"),
		"file:" + filepath.Join(dir, "typo uri.db"),
		filepath.Join(dir, "no", "dir", "x.db"),
	} {
		_, err := sqlite.OpenWith(t.Context(), path, sqlite.Options{MustExist: true})
		require.Error(t, err, path)
		require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), path)
		require.Contains(t, proactive.ErrorMessage(err), "does not exist")
		require.Contains(t, proactive.ErrorMessage(err), "ptd-proactive migrate")
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "no database file was created")

	path := filepath.Join(dir, "ptd.db")
	mustMigrate(t, mustOpenPath(t, path))
	db, err := sqlite.OpenWith(t.Context(), path, sqlite.Options{MustExist: true})
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ListAlerts(t.Context(), proactive.AlertFilter{Now: storetest.Now()})
	require.NoError(t, err)
	_, err = db.Migrate(t.Context())
	require.NoError(t, err, "an existing database is writable")
}

func TestNotMigrated(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	now := storetest.Now()
	_, _, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: now, Stages: proactive.DefaultStallStages()})
	require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), "a source table: the check cannot run")
	require.Contains(t, proactive.ErrorMessage(err), "ptd-proactive migrate")
	// The product's own tables missing is not "no such record": the
	// database is not ready.
	_, err = db.LastScan(ctx)
	require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
	require.Contains(t, proactive.ErrorMessage(err), "ptd-proactive migrate")
	_, err = db.ListAlerts(ctx, proactive.AlertFilter{Now: now})
	require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
	_, err = db.GetAlert(ctx, "7d7b8a4e-3c2f-4e1a-9b5d-2f6e8c0a1b3c")
	require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
	rep, err := db.Doctor(ctx, now)
	require.NoError(t, err)
	for _, tr := range rep.Tables {
		require.False(t, tr.Exists, tr.Table)
	}
}

func TestMigrate(t *testing.T) {
	t.Run("reports what it created, then nothing", func(t *testing.T) {
		db := mustOpen(t)
		rep := mustMigrate(t, db)
		for _, want := range []string{
			"table client_health_scores", "table deals", "table sync_errors", "table leads",
			"table proactive_insights", "table ptd_notifications", "table ptd_scan_runs", "table ptd_schedule_ticks",
			"index ptd_insights_dedup_idx", "index ptd_health_email_jd_idx", "index ptd_health_jd_idx", "index ptd_health_invalid_idx", "index ptd_deals_stage_idx",
			"index ptd_sync_errors_unresolved_idx", "index ptd_leads_status_idx",
		} {
			require.Contains(t, rep.Created, want)
		}
		require.Empty(t, rep.Warnings)
		again := mustMigrate(t, db)
		require.Empty(t, again.Created)
		require.Empty(t, again.Warnings)
	})
	t.Run("recreates a table dropped after migrating", func(t *testing.T) {
		db := mustOpen(t)
		mustMigrate(t, db)
		require.NoError(t, db.ExecForTest(t.Context(), "DROP TABLE leads"))
		rep := mustMigrate(t, db)
		require.Equal(t, []string{"table leads", "index ptd_leads_status_idx"}, rep.Created)
		_, _, err := storetest.Leads(t.Context(), db, proactive.LeadQuery{Now: storetest.Now()})
		require.NoError(t, err)
	})
	t.Run("keeps a user's source tables and data as they are", func(t *testing.T) {
		db := mustOpen(t)
		ctx := t.Context()
		// A user's file: deals with extra columns and an integer id, leads
		// without a status column, an old proactive_insights without dedup_key.
		require.NoError(t, db.ExecForTest(ctx, `
			CREATE TABLE deals (id INTEGER PRIMARY KEY, name TEXT, stage TEXT, amount NUMERIC, contact_id INTEGER,
				created_at DATETIME, updated_at DATETIME, last_activity_date DATETIME, owner TEXT, probability REAL);
			INSERT INTO deals (id, name, stage, amount, created_at, owner) VALUES (7, 'Acme', 'Proposal', 5000, '2025-11-01 09:00:00', 'sam');
			CREATE TABLE leads (id TEXT PRIMARY KEY, name TEXT, email TEXT, created_at TEXT);
			CREATE TABLE proactive_insights (id TEXT PRIMARY KEY, title TEXT, priority TEXT, source_agent TEXT, created_at TEXT);
			INSERT INTO proactive_insights VALUES ('x1', 'kept', 'low', 'other-agent', '2025-12-01T00:00:00.000000Z');`))
		rep := mustMigrate(t, db)
		require.Contains(t, rep.Created, "table client_health_scores")
		require.NotContains(t, rep.Created, "table deals")
		require.Contains(t, rep.Created, "column proactive_insights.dedup_key")
		require.Contains(t, rep.Created, "index ptd_deals_stage_idx")
		require.NotContains(t, rep.Created, "index ptd_leads_status_idx", "leads has no status column")
		require.Len(t, rep.Warnings, 1)
		require.Contains(t, rep.Warnings[0], "leads has no column status, source, last_contact_date")

		deals, _, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: storetest.Now(), Stages: proactive.DefaultStallStages()})
		require.NoError(t, err)
		require.Len(t, deals, 1)
		require.Equal(t, "7", deals[0].ID)
		require.Equal(t, "2025-11-01T09:00:00Z", deals[0].LastActivity.Format(time.RFC3339))
		require.NoError(t, db.InsertRows(ctx, proactive.TableDeals, []string{"name", "stage"},
			[]proactive.Row{{"name": "New", "stage": "Trial"}}), "an integer id is generated by the user's table")

		_, _, err = storetest.Leads(ctx, db, proactive.LeadQuery{Now: storetest.Now()})
		require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err))
		require.Contains(t, proactive.ErrorMessage(err), "leads has no column")

		rep2, err := db.Doctor(ctx, storetest.Now())
		require.NoError(t, err)
		for _, tr := range rep2.Tables {
			switch tr.Table {
			case proactive.TableLeads:
				require.Equal(t, []string{"status", "source", "last_contact_date"}, tr.MissingColumns)
			case proactive.TableInsights:
				require.Empty(t, tr.MissingColumns)
				require.EqualValues(t, 1, tr.Rows)
			default:
				require.Empty(t, tr.MissingColumns, tr.Table)
			}
		}
	})
}

func TestTimestampForms(t *testing.T) {
	db := mustOpen(t)
	mustMigrate(t, db)
	ctx := t.Context()
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	require.NoError(t, db.ExecForTest(ctx, `INSERT INTO client_health_scores (email, health_score, health_zone, calculated_at) VALUES
		('date@x', 90, 'GREEN', '2025-12-08'),
		('date@x', 70, 'RED',   '2025-12-10'),
		('space@x', 90, 'GREEN', '2025-12-08 08:00:00'),
		('space@x', 70, 'RED',   '2025-12-10 08:00:00'),
		('offset@x', 90, 'GREEN', '2025-12-08T08:00:00Z'),
		('offset@x', 70, 'RED',   '2025-12-10T08:00:00+02:00'),
		('frac@x', 90, 'GREEN', '2025-12-08T08:00:00.5Z'),
		('frac@x', 70, 'RED',   '2025-12-10 08:00:00.250'),
		('order@x', 90, 'GREEN', '2025-12-10T09:00:00+05:00'),
		('order@x', 70, 'RED',   '2025-12-10 06:00:00'),
		('pg@x', 90, 'GREEN', '2025-12-08 08:00:00+00'),
		('pg@x', 70, 'RED',   '2025-12-10 08:00:00.5+0530'),
		('epoch@x', 90, 'GREEN', 1765180800),
		('epoch@x', 70, 'RED',   '1765353600000'),
		('offset-future@x', 10, 'RED', '2025-12-10T13:00:00+02:00'),
		('offset-future@x', 20, 'RED', '2025-12-10T12:00:00-01:00'),
		('bad@x', 50, 'RED', 'yesterday'),
		('bad@x', 50, 'RED', '10/12/2025'),
		('bad@x', 50, 'RED', '2025-13-45'),
		('bad@x', 50, 'RED', ''),
		('bad@x', 50, 'RED', 1733817600)`))
	trends, skipped, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: now, WindowDays: 14, TrendDays: 7})
	require.NoError(t, err)
	got := map[string]string{}
	for _, tr := range trends {
		got[tr.Email] = tr.CurrentAt.Format(time.RFC3339Nano) + " " + tr.PreviousAt.Format(time.RFC3339Nano)
	}
	require.Equal(t, map[string]string{
		"date@x":   "2025-12-10T00:00:00Z 2025-12-08T00:00:00Z",
		"space@x":  "2025-12-10T08:00:00Z 2025-12-08T08:00:00Z",
		"offset@x": "2025-12-10T06:00:00Z 2025-12-08T08:00:00Z",
		"frac@x":   "2025-12-10T08:00:00.25Z 2025-12-08T08:00:00.5Z",
		// 09:00+05:00 is 04:00 UTC: older than 06:00 although its text sorts later.
		"order@x": "2025-12-10T06:00:00Z 2025-12-10T04:00:00Z",
		// PostgreSQL's text output (short offsets) and Unix epochs.
		"pg@x":    "2025-12-10T02:30:00.5Z 2025-12-08T08:00:00Z",
		"epoch@x": "2025-12-10T08:00:00Z 2025-12-08T08:00:00Z",
	}, got)
	require.Equal(t, proactive.Skipped{
		// 1733817600 is 2024-12-10 as an epoch: outside the window, not counted.
		proactive.SkipBadTimestamp: 4,
		// 13:00+02:00 is 11:00 UTC (in the past); 12:00-01:00 is 13:00 UTC.
		proactive.SkipFutureTimestamp: 1,
	}, skipped)

	// The other readers read the same forms.
	require.NoError(t, db.ExecForTest(ctx, `
		INSERT INTO deals (name, stage, created_at, last_activity_date) VALUES
			('text', 'Proposal', '2025-01-01', '2025-11-20 10:00:00'),
			('bad', 'Proposal', '2025-01-01', 'last tuesday');
		INSERT INTO sync_errors (source, error_type, created_at) VALUES
			('hubspot', 'timeout', '2025-12-10T10:00:00+01:00'),
			('hubspot', 'timeout', 'soon');
		INSERT INTO leads (name, status, created_at) VALUES
			('l', 'new', '2025-12-10 02:00'),
			('m', 'new', 'n/a');`))
	deals, skipped, err := storetest.Deals(ctx, db, proactive.DealQuery{Now: now, Stages: proactive.DefaultStallStages()})
	require.NoError(t, err)
	require.Len(t, deals, 1)
	require.Equal(t, "2025-11-20T10:00:00Z", deals[0].LastActivity.Format(time.RFC3339))
	require.Equal(t, proactive.Skipped{proactive.SkipBadTimestamp: 1}, skipped)
	groups, skipped, err := storetest.SyncGroups(ctx, db, proactive.SyncQuery{Now: now, Since: now.Add(-24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, groups, 1)
	require.Equal(t, "2025-12-10T09:00:00Z", groups[0].LatestAt.Format(time.RFC3339))
	require.Equal(t, proactive.Skipped{proactive.SkipBadTimestamp: 1}, skipped)
	leads, skipped, err := storetest.Leads(ctx, db, proactive.LeadQuery{Now: now})
	require.NoError(t, err)
	require.Len(t, leads, 1)
	require.Equal(t, "2025-12-10T02:00:00Z", leads[0].CreatedAt.Format(time.RFC3339))
	require.Equal(t, proactive.Skipped{proactive.SkipBadTimestamp: 1}, skipped)
}

func TestInsertRowsWritesCanonicalTime(t *testing.T) {
	db := mustOpen(t)
	mustMigrate(t, db)
	at := time.Date(2025, 12, 10, 14, 30, 0, 123456789, time.FixedZone("UTC+2", 7200))
	require.NoError(t, db.InsertRows(t.Context(), proactive.TableLeads, []string{"id", "created_at", "status"},
		[]proactive.Row{{"id": "lead-1", "created_at": at, "status": "new"}}))
	// Ask for the raw text through a row the check can read back.
	require.NoError(t, db.ExecForTest(t.Context(),
		`UPDATE leads SET name = created_at WHERE id = 'lead-1'`))
	leads, _, err := storetest.Leads(t.Context(), db, proactive.LeadQuery{Now: at.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, leads, 1)
	require.Equal(t, "lead-1", leads[0].ID, "a text id is kept")
	require.Equal(t, "2025-12-10T12:30:00.123456Z", leads[0].Name)
}

// TestDeskAcrossConnections stands in for several processes: each store
// has its own connections to the same file, and their Update transactions
// (BEGIN IMMEDIATE) take turns.
func TestDeskAcrossConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	first := mustOpenPath(t, path)
	mustMigrate(t, first)
	desks := []proactive.Desk{first}
	for range 4 {
		desks = append(desks, mustOpenPath(t, path))
	}
	storetest.RaceDesks(t, desks...)
}

// TestMigrateAddsTheDesk upgrades a database migrated before the desk: its
// outbox rows are kept and read as alert events, and a desk table a user
// dropped comes back.
func TestMigrateAddsTheDesk(t *testing.T) {
	db := mustOpen(t)
	ctx := t.Context()
	mustMigrate(t, db)
	now := storetest.Now()
	res, err := storetest.SaveAlert(ctx, db, proactive.Alert{Priority: proactive.SeverityHigh,
		DedupKey: "health_drop_a@x.com_2025-12-10"}, now, "scan", proactive.ChannelSlack)
	require.NoError(t, err)
	// Back to the schema before the desk.
	require.NoError(t, db.ExecForTest(ctx, `
		DROP TABLE ptd_case_events; DROP TABLE ptd_cases; DROP TABLE ptd_silences; DROP TABLE ptd_resolve_notices;
		ALTER TABLE ptd_notifications DROP COLUMN event;
		ALTER TABLE ptd_notifications DROP COLUMN recipient;
		ALTER TABLE ptd_notifications DROP COLUMN payload;
		ALTER TABLE proactive_insights DROP COLUMN resolved_at;
		DELETE FROM ptd_schema_migrations WHERE version_id >= 10`))

	rep := mustMigrate(t, db)
	for _, want := range []string{"table ptd_cases", "table ptd_case_events", "table ptd_silences", "table ptd_resolve_notices",
		"index ptd_cases_unresolved_key_idx", "column proactive_insights.resolved_at",
		"column ptd_notifications.event", "column ptd_notifications.recipient", "column ptd_notifications.payload"} {
		require.Contains(t, rep.Created, want)
	}
	require.Empty(t, rep.Warnings)
	ns, err := db.ListNotifications(ctx, proactive.NotificationFilter{})
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, res.ID, ns[0].AlertID)
	require.Equal(t, proactive.EventAlert, ns[0].Event, "a row from before events is an alert's")
	require.Empty(t, mustMigrate(t, db).Created, "a second migrate finds nothing to do")

	require.NoError(t, db.ExecForTest(ctx, "DROP TABLE ptd_silences"))
	require.Equal(t, []string{"table ptd_silences", "index ptd_silences_ends_idx"}, mustMigrate(t, db).Created)
	require.NoError(t, db.View(ctx, func(tx proactive.DeskTx) error {
		_, err := tx.FindSilences(ctx, proactive.SilenceQuery{})
		return err
	}))
}

// BenchmarkDeskBulk times the desk's bulk primitives on 65,000 cases.
func BenchmarkDeskBulk(b *testing.B) {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	_, err = db.Migrate(b.Context())
	require.NoError(b, err)
	storetest.BenchDesk(b, db, 65000)
}

// CONTRACT §11.1: on the embedded store migrate adds the configured owner
// (text) and value (numeric) columns, deals.contact_email and a
// contacts(id, email) table, to a new database and to one migrated
// before; a view is left alone.
func TestMigrateAddsTheContext(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ptd.db")
	plain := mustOpenPath(t, path)
	mustMigrate(t, plain)
	require.NoError(t, plain.ExecForTest(ctx, `DROP TABLE contacts; ALTER TABLE deals DROP COLUMN contact_email;
		DELETE FROM ptd_schema_migrations WHERE version_id >= 11`))

	cols := proactive.Columns{ClientOwner: "Coach", DealOwner: "rep", ClientValue: "package_value"}
	db, err := sqlite.OpenWith(ctx, path, sqlite.Options{Columns: cols})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	rep := mustMigrate(t, db)
	require.ElementsMatch(t, []string{"table contacts", "column deals.contact_email", "column client_health_scores.Coach",
		"column client_health_scores.package_value", "column deals.rep"}, rep.Created)
	require.Empty(t, rep.Warnings)
	require.Empty(t, mustMigrate(t, db).Created, "a second migrate finds nothing to do")
	missing, err := db.MissingColumns(ctx, cols)
	require.NoError(t, err)
	require.Empty(t, missing)
	require.NoError(t, db.InsertRows(ctx, proactive.TableHealthScores, []string{"email", "coach", "package_value"},
		[]proactive.Row{{"email": "a@x.com", "coach": "Kim", "package_value": "1200"}}))
	require.Equal(t, "integer Kim", sqliteScalar(t, path, "SELECT typeof(package_value) || ' ' || coach FROM client_health_scores"),
		"a value column is numeric: the text 1200 is stored as a number")

	// A fresh database gets them as part of its tables; a view is left alone.
	fresh, err := sqlite.OpenWith(ctx, filepath.Join(t.TempDir(), "fresh.db"), sqlite.Options{Columns: cols})
	require.NoError(t, err)
	t.Cleanup(func() { fresh.Close() })
	require.NoError(t, fresh.ExecForTest(ctx, `CREATE TABLE client_health_scores_raw (email TEXT, firstname TEXT, lastname TEXT,
		health_score REAL, health_zone TEXT, calculated_at TEXT);
		CREATE VIEW client_health_scores AS SELECT * FROM client_health_scores_raw`))
	rep = mustMigrate(t, fresh)
	require.Contains(t, rep.Created, "table contacts")
	require.Contains(t, rep.Created, "table deals")
	require.NotContains(t, rep.Created, "column client_health_scores.Coach", "a view is the user's to change")
	missing, err = fresh.MissingColumns(ctx, cols)
	require.NoError(t, err)
	require.Equal(t, []proactive.ConfiguredColumn{
		{Key: "columns.client_owner", Table: proactive.TableHealthScores, Column: "Coach"},
		{Key: "columns.client_value", Table: proactive.TableHealthScores, Column: "package_value"},
	}, missing)

	_, err = sqlite.OpenWith(ctx, filepath.Join(t.TempDir(), "bad.db"), sqlite.Options{Columns: proactive.Columns{ClientOwner: "a b"}})
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
}

// sqliteScalar reads one text value from the database file at path,
// through a connection of its own.
func sqliteScalar(t *testing.T, path, query string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer conn.Close()
	var s string
	require.NoError(t, conn.QueryRowContext(t.Context(), query).Scan(&s))
	return s
}

// The columns the readers look up are cached until the next Migrate; a
// configured column another process adds is read once MissingColumns (a
// scan with configured columns calls it first) has looked again.
func TestConfiguredColumnAddedWhileRunning(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ptd.db")
	db := mustOpenPath(t, path)
	mustMigrate(t, db)
	now := storetest.Now()
	require.NoError(t, db.InsertRows(ctx, proactive.TableHealthScores, proactive.SourceColumns(proactive.TableHealthScores), []proactive.Row{
		{"email": "a@x.com", "health_score": 90.0, "calculated_at": now.Add(-48 * time.Hour)},
		{"email": "a@x.com", "health_score": 70.0, "calculated_at": now.Add(-time.Hour)},
	}))
	q := proactive.HealthQuery{Now: now, OwnerColumn: "coach"}
	trends, _, err := storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.Empty(t, trends[0].Owner, "no such column yet")

	other := mustOpenPath(t, path)
	require.NoError(t, other.ExecForTest(ctx, "ALTER TABLE client_health_scores ADD COLUMN coach TEXT; UPDATE client_health_scores SET coach = 'Kim'"))
	trends, _, err = storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.Empty(t, trends[0].Owner, "cached: not looked up again")

	missing, err := db.MissingColumns(ctx, proactive.Columns{ClientOwner: "coach"})
	require.NoError(t, err)
	require.Empty(t, missing)
	trends, _, err = storetest.Trends(ctx, db, q)
	require.NoError(t, err)
	require.Equal(t, "Kim", trends[0].Owner, "read from the scan that looked again")
}
