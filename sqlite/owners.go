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

// ownersQuery returns the skip counts, then per email as written its
// newest valid reading's owner column (as text) and time.
func ownersQuery(column string) string {
	return `
WITH ` + judgedHealthSQL("CAST("+quoteIdent(column)+" AS TEXT) AS owner,", "") + `,
newest AS (
    SELECT email, owner, jd, row_number() OVER (PARTITION BY email ORDER BY jd DESC, score ASC) AS rn
    FROM judged WHERE verdict = 'ok'
)
SELECT verdict, count(*), NULL, NULL, NULL
FROM judged WHERE verdict <> 'ok' GROUP BY verdict
UNION ALL
SELECT NULL, NULL, email, coalesce(owner, ''), ` + isoUTC("jd") + `
FROM newest WHERE rn = 1`
}

// ClientOwners streams, per email as written with a valid reading in the
// last q.WindowDays days (14 when 0), the trimmed q.Column of its newest
// valid reading (a tie on time: the lower score is the newer). A missing
// column is ENOTFOUND naming it.
func (d *DB) ClientOwners(ctx context.Context, q proactive.OwnerQuery, fn func(proactive.ClientOwner) error) (proactive.Skipped, error) {
	const op = "read client owners"
	if !proactive.Identifier(q.Column) {
		return nil, proactive.Errorf(proactive.EINVALID, "%s: %q is no column name: use letters, digits and underscores", op, q.Column)
	}
	windowDays := q.WindowDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	rows, err := d.read.QueryContext(ctx, ownersQuery(q.Column),
		sql.Named("now", formatTime(q.Now)),
		sql.Named("from", formatTime(q.Now.Add(-time.Duration(windowDays)*24*time.Hour))))
	if err != nil {
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	defer rows.Close()
	var (
		reason       sql.NullString
		n            sql.NullInt64
		email, owner sql.NullString
		at           nullTime
		skipped      = proactive.Skipped{}
	)
	for rows.Next() {
		if err := rows.Scan(&reason, &n, &email, &owner, &at); err != nil {
			return nil, tableError(op, proactive.TableHealthScores, err)
		}
		if reason.Valid {
			skipped.Add(reason.String, int(n.Int64))
			continue
		}
		if err := fn(proactive.ClientOwner{Email: email.String, Owner: strings.TrimSpace(owner.String), At: at.Time}); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	return skipped, nil
}
