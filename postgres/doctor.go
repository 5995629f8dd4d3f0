package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// doctorSQL is, per table, the statement that counts its rows, the rows in
// its check's window, its newest timestamp, its newest not after now and
// its rows dated after now ($1), its arguments, and the columns it needs.
func doctorSQL(table string, now time.Time, stages []string) (sql string, args []any, needs []string) {
	at := []any{now.UTC()}
	// recency is the three columns after the window's count over the
	// table's time expression.
	recency := func(t string) string {
		return "max(" + t + "), max(" + t + ") FILTER (WHERE " + t + " <= $1), count(*) FILTER (WHERE " + t + " > $1)"
	}
	switch table {
	case proactive.TableHealthScores:
		return `SELECT count(*),
			count(*) FILTER (WHERE calculated_at >= $1::timestamptz - interval '14 days' AND calculated_at <= $1),
			` + recency("calculated_at::timestamptz") + `
			FROM client_health_scores`, at, []string{"calculated_at"}
	case proactive.TableDeals:
		return `SELECT count(*),
			count(*) FILTER (WHERE lower(stage::text) = ANY($2::text[])),
			` + recency("coalesce(last_activity_date, updated_at, created_at)::timestamptz") + `
			FROM deals`, append(at, stages), []string{"stage", "last_activity_date", "updated_at", "created_at"}
	case proactive.TableSyncErrors:
		return `SELECT count(*),
			count(*) FILTER (WHERE resolved_at IS NULL AND created_at >= $1::timestamptz - interval '24 hours' AND created_at <= $1),
			` + recency("created_at::timestamptz") + `
			FROM sync_errors`, at, []string{"resolved_at", "created_at"}
	case proactive.TableLeads:
		return `SELECT count(*),
			count(*) FILTER (WHERE ` + leadWaiting + `),
			` + recency("created_at::timestamptz") + `
			FROM leads`, at, []string{"status", "last_contact_date", "created_at"}
	case proactive.TableInsights:
		return `SELECT count(*),
			count(*) FILTER (WHERE source_agent = '` + proactive.SourceAgent + `' AND is_dismissed IS NOT TRUE AND (expires_at IS NULL OR expires_at > $1)),
			` + recency("created_at::timestamptz") + `
			FROM proactive_insights`, at, []string{"source_agent", "is_dismissed", "expires_at", "created_at"}
	}
	return "", nil, nil
}

// Doctor inspects the four source tables and proactive_insights without
// changing anything: whether each exists, which of the contract's columns
// it lacks (information_schema: a column the user may not read counts as
// missing), its rows, the rows in its check's window (health: 14 days;
// deals: in the default stall stages; sync: unresolved in the last 24 h;
// leads: new and never contacted; alerts: active), its newest timestamp,
// its newest not after now and how many rows are dated after now.
func (d *DB) Doctor(ctx context.Context, now time.Time) (proactive.DoctorReport, error) {
	rep := proactive.DoctorReport{Database: "postgres " + d.where, Tables: []proactive.TableReport{}}
	if err := d.Ping(ctx); err != nil {
		return rep, err
	}
	stages := proactive.DefaultStallStages()
	for i, s := range stages {
		stages[i] = strings.ToLower(s)
	}
	tables := append(proactive.SourceTables(), proactive.TableInsights)
	for _, table := range tables {
		tr := proactive.TableReport{Table: table, MissingColumns: []string{}}
		cols, exists, err := d.visibleColumns(ctx, table)
		if err != nil {
			return rep, d.fail("doctor: read the columns of "+table, err)
		}
		tr.Exists = exists
		if !exists {
			rep.Tables = append(rep.Tables, tr)
			continue
		}
		want := proactive.SourceColumns(table)
		if table == proactive.TableInsights {
			want = nil
			for _, c := range insightColumns() {
				want = append(want, c.name)
			}
		}
		for _, c := range want {
			if !contains(cols, c) {
				tr.MissingColumns = append(tr.MissingColumns, c)
			}
		}
		sql, args, needs := doctorSQL(table, now, stages)
		complete := true
		for _, c := range needs {
			complete = complete && contains(cols, c)
		}
		if complete {
			err = d.pool.QueryRow(ctx, sql, args...).Scan(&tr.Rows, &tr.WindowRows, &tr.Newest, &tr.NewestPast, &tr.Future)
		} else {
			err = d.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&tr.Rows)
		}
		if err != nil {
			return rep, d.tableFail("doctor: read "+table, table, err)
		}
		tr.Newest, tr.NewestPast = utcPtr(tr.Newest), utcPtr(tr.NewestPast)
		rep.Tables = append(rep.Tables, tr)
	}
	rs, err := d.RowSecurity(ctx, tables)
	if err != nil {
		return rep, err
	}
	rep.User = rs.User
	for i := range rep.Tables {
		rep.Tables[i].RowSecurity = slices.Contains(rs.Tables, rep.Tables[i].Table)
	}
	return rep, nil
}

// rowSecuritySQL returns the user and those of the tables $1 (names the
// search path resolves) that exist and whose rows row-level security
// filters for the user (row_security_active: RLS enabled, the user not the
// owner, or FORCE ROW LEVEL SECURITY, and no BYPASSRLS), in the order given.
const rowSecuritySQL = `
SELECT current_user::text, coalesce(array_agg(t ORDER BY n) FILTER (WHERE row_security_active(to_regclass(t))), '{}')
FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n)
WHERE to_regclass(t) IS NOT NULL`

var _ proactive.RowSecurityInspector = (*DB)(nil)

// RowSecurity implements proactive.RowSecurityInspector.
func (d *DB) RowSecurity(ctx context.Context, tables []string) (proactive.RowSecurity, error) {
	var rs proactive.RowSecurity
	if err := d.pool.QueryRow(ctx, rowSecuritySQL, tables).Scan(&rs.User, &rs.Tables); err != nil {
		return rs, d.fail("look up row-level security", err)
	}
	return rs, nil
}

// visibleColumns returns the columns of the table the search path resolves
// name to, as information_schema shows them to the database user, and
// whether the table exists.
func (d *DB) visibleColumns(ctx context.Context, name string) ([]string, bool, error) {
	var schema *string
	if err := d.pool.QueryRow(ctx, `
		SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1)`, name).Scan(&schema); err != nil && !isNoRows(err) {
		return nil, false, err
	}
	if schema == nil {
		return nil, false, nil
	}
	rows, err := d.pool.Query(ctx, `
		SELECT column_name::text FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2
		ORDER BY ordinal_position`, *schema, name)
	if err != nil {
		return nil, true, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, true, err
		}
		cols = append(cols, c)
	}
	return cols, true, rows.Err()
}
