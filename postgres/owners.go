package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.ClientOwnerReader = (*DB)(nil)

// clientOwnersSQL returns, per email as written with a valid reading in
// the window, the owner column (%[1]s, quoted) of its newest valid reading
// (a tie on time: the lower score is the newer, as for the health check),
// that reading's time and %[2]s (the value column as float8, or "").
// DISTINCT ON walks ptd_health_email_calculated_at_idx in its order.
//
// $1 window start, $2 now.
const clientOwnersSQL = `
SELECT DISTINCT ON (email) email::text, %[1]s::text, calculated_at::timestamptz%[2]s
FROM client_health_scores
WHERE calculated_at >= $1 AND calculated_at <= $2
  AND email IS NOT NULL AND btrim(email::text) <> '' AND health_score >= 0 AND health_score <= 100
ORDER BY email, calculated_at DESC, health_score`

// ClientOwners streams, per email as written with a valid reading in the
// last q.WindowDays days (14 when 0), the trimmed q.Column of its newest
// valid reading, and its q.ValueColumn where the table has it. A missing
// q.Column is ENOTFOUND naming it; rows that make no sense are skipped and
// counted as HealthTrends counts them.
func (d *DB) ClientOwners(ctx context.Context, q proactive.OwnerQuery, fn func(proactive.ClientOwner) error) (proactive.Skipped, error) {
	const op = "read client owners"
	if !proactive.Identifier(q.Column) {
		return nil, proactive.Errorf(proactive.EINVALID, "%s: %q is no column name: use letters, digits and underscores", op, q.Column)
	}
	now := q.Now.UTC()
	windowDays := q.WindowDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	from := now.Add(-time.Duration(windowDays) * 24 * time.Hour)
	use, err := d.optionalColumns(ctx, proactive.TableHealthScores, q.ValueColumn)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	value := ""
	if use[0] != "" {
		value = ", " + valueSQL("client_health_scores", q.ValueColumn, use[0])
	}
	rows, err := d.pool.Query(ctx, fmt.Sprintf(clientOwnersSQL, pgx.Identifier{q.Column}.Sanitize(), value), from, now)
	if err != nil {
		if value != "" {
			d.cat.forget() // a column dropped or retyped since it was looked up
		}
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	defer rows.Close()
	var (
		c     proactive.ClientOwner
		owner *string
		val   pgtype.Float8 // a value, not a pointer: no allocation per client
		dest  = []any{&c.Email, &owner, &c.At}
	)
	if value != "" {
		dest = append(dest, &val)
	}
	for rows.Next() {
		c, owner, val = proactive.ClientOwner{}, nil, pgtype.Float8{}
		if err := rows.Scan(dest...); err != nil {
			return nil, d.tableFail(op, proactive.TableHealthScores, err)
		}
		if owner != nil {
			c.Owner = strings.TrimSpace(*owner)
		}
		if val.Valid {
			c.Value = val.Float64
		}
		c.At = c.At.UTC()
		if err := fn(c); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	skipped, err := d.healthSkipped(ctx, from, now, proactive.AsOf(now, q.Wall))
	if err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	return skipped, nil
}
