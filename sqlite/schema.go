package sqlite

import (
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// column is one expected column and the declaration Migrate uses to add it
// to an existing table that lacks it.
type column struct {
	name string
	decl string
}

// insightColumns are the columns of proactive_insights (CONTRACT §2). An
// existing table that lacks some gets them from Migrate.
func insightColumns() []column {
	return []column{
		{"id", "TEXT"},
		{"insight_type", "TEXT"},
		{"priority", "TEXT"},
		{"title", "TEXT"},
		{"content", "TEXT"},
		{"summary", "TEXT"},
		{"action_items", "TEXT"},
		{"affected_entities", "TEXT"},
		{"source_agent", "TEXT"},
		{"source_data", "TEXT"},
		{"dedup_key", "TEXT"},
		{"expires_at", "TEXT"},
		{"is_dismissed", "INTEGER NOT NULL DEFAULT 0"},
		{"created_at", "TEXT"},
		{"resolved_at", "TEXT"}, // CONTRACT §10.7
	}
}

// tableColumns are columns of one table.
type tableColumns struct {
	table   string
	columns []column
}

// addedColumns are the columns Migrate adds to an existing table that lacks
// them: a user's older proactive_insights, the columns the product added to
// its own tables after their first migration (SQLite has no ADD COLUMN IF
// NOT EXISTS, so a migration cannot), deals.contact_email and the
// configured owner and value columns of the source tables (CONTRACT §11.1).
func (d *DB) addedColumns() []tableColumns {
	out := []tableColumns{
		{proactive.TableInsights, insightColumns()},
		{"ptd_notifications", []column{
			{"event", "TEXT NOT NULL DEFAULT 'alert'"},
			{"recipient", "TEXT"},
			{"payload", "TEXT"},
		}},
	}
	health := tableColumns{table: proactive.TableHealthScores}
	deals := tableColumns{table: proactive.TableDeals, columns: []column{{proactive.ColumnContactEmail, "TEXT"}}}
	add := func(tc *tableColumns, name, decl string) {
		for _, c := range tc.columns {
			if strings.EqualFold(c.name, name) {
				return // client_owner and client_value may name one column
			}
		}
		tc.columns = append(tc.columns, column{name, decl})
	}
	if c := d.columns.ClientOwner; c != "" {
		add(&health, c, "TEXT")
	}
	if c := d.columns.ClientValue; c != "" {
		add(&health, c, "NUMERIC")
	}
	if c := d.columns.DealOwner; c != "" {
		add(&deals, c, "TEXT")
	}
	if len(health.columns) > 0 {
		out = append(out, health)
	}
	return append(out, deals)
}

// sourceIndex is an index a check needs on a source table. Migrate creates
// it only when the table is a table (not a view) with all the columns.
type sourceIndex struct {
	name    string
	table   string
	columns []string
	def     string // what follows "ON <table>"
}

// sourceIndexes are the indexes the four checks read through.
func sourceIndexes() []sourceIndex {
	return []sourceIndex{
		{"ptd_health_calculated_at_idx", proactive.TableHealthScores, []string{"calculated_at"}, "(calculated_at)"},
		// The health check reads every reading of the window through this
		// covering index: its second column is the reading's Julian day,
		// the very expression the check compares (jdSQL), so SQLite takes
		// it from the index instead of parsing the text per reading, and
		// each email's readings come together, newest first. (It replaces
		// (email, calculated_at), which databases migrated before keep.)
		{"ptd_health_email_jd_idx", proactive.TableHealthScores, []string{"email", "calculated_at", "health_score"},
			"(email, " + jdSQL("calculated_at") + " DESC, health_score, calculated_at)"},
		// The skipped health readings are counted through these two: NULL,
		// unreadable and future times are ranges of the Julian day; the
		// window's readings of a blank email or an invalid score, a range of
		// the few rows the partial index holds (its WHERE is
		// healthInvalidSQL, word for word, or SQLite would not use it).
		{"ptd_health_jd_idx", proactive.TableHealthScores, []string{"calculated_at"}, "(" + jdSQL("calculated_at") + ")"},
		{"ptd_health_invalid_idx", proactive.TableHealthScores, []string{"email", "calculated_at", "health_score"},
			"(" + jdSQL("calculated_at") + ") WHERE " + healthInvalidSQL},
		{"ptd_deals_stage_idx", proactive.TableDeals, []string{"stage"}, "(lower(stage))"},
		{"ptd_sync_errors_unresolved_idx", proactive.TableSyncErrors, []string{"resolved_at", "created_at"}, "(resolved_at, created_at)"},
		{"ptd_leads_status_idx", proactive.TableLeads, []string{"status"}, "(lower(status))"},
	}
}
