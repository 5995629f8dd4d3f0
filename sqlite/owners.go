package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.ClientOwnerReader = (*DB)(nil)

// quoteIdent quotes a configured column name for SQL: in grave accents,
// which SQLite always reads as a name (a double-quoted name it cannot
// resolve would silently be read as a string literal).
func quoteIdent(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// ownersQuery returns the skip counts (healthSkippedSQL), then per email
// as written its newest valid reading's owner column (as text), time and,
// with a value column (not ""), that column (as a number). Each email's
// newest reading is the first of an index range of ptd_health_email_jd_idx
// (newest first, a tie on time: the lower score first), read from the
// table for that reading only.
func ownersQuery(column, value string) string {
	newest := func(expr string) string {
		return `(SELECT ` + expr + ` FROM client_health_scores WHERE ` + healthValidSQL("e") + `
            ORDER BY ` + jdSQL("calculated_at") + ` DESC, health_score LIMIT 1)`
	}
	cols, out, nulls := newest(ownerSQL(column))+` AS owner`, "", ""
	if value != "" {
		cols += ", " + newest(valueSQL(value)) + " AS ptd_value"
		out, nulls = ", ptd_value", ", NULL"
	}
	return `
WITH RECURSIVE ` + healthEmailsSQL(false) + `, ` + healthSkippedSQL() + `,
newest AS MATERIALIZED (
    SELECT e, ` + newest(jdSQL("calculated_at")) + ` AS jd, ` + cols + `
    FROM emails WHERE e IS NOT NULL AND trim(e) <> ''
)
SELECT verdict, count(*), NULL, NULL, NULL` + nulls + `
FROM judged GROUP BY verdict
UNION ALL
SELECT NULL, NULL, e, coalesce(owner, ''), ` + isoUTC("jd") + out + `
FROM newest WHERE jd IS NOT NULL`
}

// ClientOwners streams, per email as written with a valid reading in the
// last q.WindowDays days (14 when 0), the trimmed q.Column of its newest
// valid reading (a tie on time: the lower score is the newer), and its
// q.ValueColumn where the table has it. A missing q.Column is ENOTFOUND
// naming it.
func (d *DB) ClientOwners(ctx context.Context, q proactive.OwnerQuery, fn func(proactive.ClientOwner) error) (proactive.Skipped, error) {
	const op = "read client owners"
	if !proactive.Identifier(q.Column) {
		return nil, proactive.Errorf(proactive.EINVALID, "%s: %q is no column name: use letters, digits and underscores", op, q.Column)
	}
	windowDays := q.WindowDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	use, err := d.optionalColumns(ctx, proactive.TableHealthScores, q.ValueColumn)
	if err != nil {
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	value := ""
	if use[0] {
		value = q.ValueColumn
	}
	rows, err := d.read.QueryContext(ctx, ownersQuery(q.Column, value),
		append(timeArgs(q.Now, q.Wall),
			sql.Named("from", formatTime(q.Now.Add(-time.Duration(windowDays)*24*time.Hour))))...)
	if err != nil {
		if value != "" {
			d.cat.forget() // a column dropped since it was looked up
		}
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	defer rows.Close()
	var (
		reason       sql.NullString
		n            sql.NullInt64
		email, owner sql.NullString
		val          sql.NullFloat64
		at           nullTime
		skipped      = proactive.Skipped{}
		dest         = []any{&reason, &n, &email, &owner, &at}
	)
	if value != "" {
		dest = append(dest, &val)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, tableError(op, proactive.TableHealthScores, err)
		}
		if reason.Valid {
			skipped.Add(reason.String, int(n.Int64))
			continue
		}
		if err := fn(proactive.ClientOwner{Email: email.String, Owner: strings.TrimSpace(owner.String), At: at.Time, Value: val.Float64}); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	return skipped, nil
}
