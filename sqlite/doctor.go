package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// doctorCheck is what Doctor counts in one table: the rows in the check's
// window (a condition) and the newest timestamp (an expression), both
// only when the table has the columns they use.
type doctorCheck struct {
	columns []string // what window and newest need
	window  string
	newest  string
}

// doctorChecks returns the window and recency queries of a table.
func doctorChecks(table string) doctorCheck {
	switch table {
	case proactive.TableHealthScores:
		return doctorCheck{[]string{"calculated_at"},
			jdSQL("calculated_at") + " BETWEEN julianday(:health_from) AND julianday(:now)",
			jdSQL("calculated_at")}
	case proactive.TableDeals:
		return doctorCheck{[]string{"stage", "last_activity_date", "updated_at", "created_at"},
			"lower(stage) IN (SELECT value FROM json_each(:stages))",
			jdSQL("coalesce(last_activity_date, updated_at, created_at)")}
	case proactive.TableSyncErrors:
		return doctorCheck{[]string{"resolved_at", "created_at"},
			"resolved_at IS NULL AND " + jdSQL("created_at") + " BETWEEN julianday(:sync_from) AND julianday(:now)",
			jdSQL("created_at")}
	case proactive.TableLeads:
		return doctorCheck{[]string{"status", "last_contact_date", "created_at"},
			"lower(status) = 'new' AND last_contact_date IS NULL",
			jdSQL("created_at")}
	case proactive.TableInsights:
		return doctorCheck{[]string{"source_agent", "is_dismissed", "expires_at", "created_at"},
			"source_agent = :agent AND coalesce(is_dismissed, 0) = 0 AND (expires_at IS NULL OR expires_at > :now)",
			jdSQL("created_at")}
	}
	return doctorCheck{}
}

// expectedColumns are the columns the product uses in a table.
func expectedColumns(table string) []string {
	if table == proactive.TableInsights {
		var out []string
		for _, c := range insightColumns() {
			out = append(out, c.name)
		}
		return out
	}
	return proactive.SourceColumns(table)
}

// Doctor inspects the four source tables and proactive_insights: whether
// each exists, the columns it lacks, its rows, the rows in its check's
// window at now (deals: in the default stall stages; alerts: active), its
// newest timestamp, its newest not after now and how many rows are dated
// after now. It changes nothing.
func (d *DB) Doctor(ctx context.Context, now time.Time) (proactive.DoctorReport, error) {
	rep := proactive.DoctorReport{Database: "sqlite " + d.path, Tables: []proactive.TableReport{}}
	stages, err := stagesJSON(proactive.DefaultStallStages())
	if err != nil {
		return rep, fmt.Errorf("doctor: %w", err)
	}
	args := []any{
		sql.Named("now", formatTime(now)),
		sql.Named("health_from", formatTime(now.Add(-proactive.HealthWindowDays*24*time.Hour))),
		sql.Named("sync_from", formatTime(now.Add(-24*time.Hour))),
		sql.Named("stages", stages),
		sql.Named("agent", proactive.SourceAgent),
	}
	for _, table := range append(proactive.SourceTables(), proactive.TableInsights) {
		tr, err := d.inspect(ctx, table, args)
		if err != nil {
			return rep, translate("doctor: inspect "+table, err)
		}
		rep.Tables = append(rep.Tables, tr)
	}
	return rep, nil
}

// inspect reports on one table.
func (d *DB) inspect(ctx context.Context, table string, args []any) (proactive.TableReport, error) {
	tr := proactive.TableReport{Table: table, MissingColumns: []string{}}
	kind, cols, err := tableInfo(ctx, d.read, table)
	if err != nil || kind == "" {
		return tr, err
	}
	tr.Exists = true
	tr.MissingColumns = append(tr.MissingColumns, missingColumns(cols, expectedColumns(table))...)

	c := doctorChecks(table)
	if len(missingColumns(cols, c.columns)) > 0 {
		err := d.read.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&tr.Rows)
		return tr, err
	}
	var newest, past nullTime
	query := "SELECT count(*), count(*) FILTER (WHERE " + c.window + "), " + isoUTC("max("+c.newest+")") +
		", " + isoUTC("max("+c.newest+") FILTER (WHERE "+c.newest+" <= julianday(:now))") +
		", count(*) FILTER (WHERE " + c.newest + " > julianday(:now)) FROM " + table
	if err := d.read.QueryRowContext(ctx, query, args...).Scan(&tr.Rows, &tr.WindowRows, &newest, &past, &tr.Future); err != nil {
		return tr, err
	}
	tr.Newest, tr.NewestPast = newest.ptr(), past.ptr()
	return tr, nil
}
