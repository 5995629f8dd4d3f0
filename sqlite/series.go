package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.HealthSeriesReader = (*DB)(nil)

// judgedHealthSQL is the health readings of the window and those whose
// time cannot be placed, each judged as the health check judges it (a
// proactive.Skip* reason or 'ok'), with extra columns. The judgement is
// the health check's (healthQuery), so both count the same skipped rows;
// the storetest suite holds them to it.
func judgedHealthSQL(extra, where string) string {
	return `judged AS MATERIALIZED (
    SELECT email, health_score AS score, ` + extra + `
           ` + jdSQL("calculated_at") + ` AS jd,
           CASE ` + verdictSQL("calculated_at", jdSQL("calculated_at")) + `
                WHEN email IS NULL OR trim(email) = '' THEN '` + proactive.SkipNullEmail + `'
                WHEN typeof(health_score) NOT IN ('integer', 'real') OR health_score < 0 OR health_score > 100
                    THEN '` + proactive.SkipScoreOutOfRange + `'
                ELSE 'ok' END AS verdict
    FROM client_health_scores
    WHERE coalesce(` + jdSQL("calculated_at") + ` >= julianday(:from), 1)` + where + `
)`
}

// seriesEmailsSQL restricts judgedHealthSQL to the emails of the JSON
// array :emails (SeriesQuery.Emails), through the index on email.
const seriesEmailsSQL = `
      AND email IN (SELECT value FROM json_each(:emails))`

// seriesQuery returns the skip counts (first column not NULL), then every
// valid reading of the window ordered by email, time, and the higher
// score first on a tie: one client's readings are consecutive, oldest
// first, the newest last. With owner or value (the configured columns,
// "" for none) each reading carries them too, after the Julian day.
func seriesQuery(where, owner, value string) string {
	var judged, out []string
	if owner != "" {
		judged, out = append(judged, ownerSQL(owner)+" AS ptd_owner,"), append(out, "ptd_owner")
	}
	if value != "" {
		judged, out = append(judged, valueSQL(value)+" AS ptd_value,"), append(out, "ptd_value")
	}
	return `
WITH ` + judgedHealthSQL("firstname, lastname, health_zone AS zone, "+strings.Join(judged, " "), where) + `
SELECT verdict, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL` + nullColumns(len(out)) + `
FROM judged WHERE ` + skippedWhere + ` GROUP BY verdict
UNION ALL
SELECT NULL, NULL, email, coalesce(firstname, ''), coalesce(lastname, ''),
       CASE upper(trim(zone)) WHEN 'GREEN' THEN 'GREEN' WHEN 'YELLOW' THEN 'YELLOW' WHEN 'RED' THEN 'RED' ELSE '' END,
       score, ` + isoUTC("jd") + `, jd` + extraColumns(out) + `
FROM judged WHERE verdict = 'ok'
ORDER BY 3, 9, 7 DESC`
}

// HealthSeries streams the valid readings of the last q.WindowDays days
// (14 when 0) per email as written, one client at a time, to fn: clients
// with at least q.MinReadings readings, oldest first (a tie: the higher
// score first), with the names and zone of the newest (NoNames saves
// nothing here). SQLite sorts; Go holds one client's readings at a time.
// q.Emails restricts the emails; the other prefilters are left to the
// check. Rows that make no sense are skipped and counted as HealthTrends
// counts them (not with q.Emails). The configured owner and value columns
// of q that the table has are read from the newest reading, unless
// q.NoNames (a first pass needs neither).
func (d *DB) HealthSeries(ctx context.Context, q proactive.SeriesQuery, fn func(*proactive.ClientSeries) error) (proactive.Skipped, error) {
	const op = "read client health series"
	var owner, value string
	if !q.NoNames {
		use, err := d.optionalColumns(ctx, proactive.TableHealthScores, q.OwnerColumn, q.ValueColumn)
		if err != nil {
			return nil, tableError(op, proactive.TableHealthScores, err)
		}
		if use[0] {
			owner = q.OwnerColumn
		}
		if use[1] {
			value = q.ValueColumn
		}
	}
	windowDays := q.WindowDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	where, args := "", append(timeArgs(q.Now, q.Wall),
		sql.Named("from", formatTime(q.Now.Add(-time.Duration(windowDays)*24*time.Hour))))
	if q.Emails != nil {
		b, err := json.Marshal(q.Emails)
		if err != nil {
			return nil, fmt.Errorf("%s: encode emails: %w", op, err)
		}
		where = seriesEmailsSQL
		args = append(args, sql.Named("emails", string(b)))
	}
	rows, err := d.read.QueryContext(ctx, seriesQuery(where, owner, value), args...)
	if err != nil {
		if owner != "" || value != "" {
			d.cat.forget() // a column dropped since it was looked up
		}
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	defer rows.Close()
	var (
		reason                   sql.NullString
		n                        sql.NullInt64
		email, first, last, zone sql.NullString
		score, jd                sql.NullFloat64
		ownerCol                 sql.NullString
		valueCol                 sql.NullFloat64
		at                       nullTime
		skipped                  = proactive.Skipped{}
	)
	dest := []any{&reason, &n, &email, &first, &last, &zone, &score, &at, &jd}
	if owner != "" {
		dest = append(dest, &ownerCol)
	}
	if value != "" {
		dest = append(dest, &valueCol)
	}
	g := seriesGrouper{min: q.MinReadings, fn: fn}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, tableError(op, proactive.TableHealthScores, err)
		}
		if reason.Valid {
			skipped.Add(reason.String, int(n.Int64))
			continue
		}
		if err := g.add(email.String, first.String, last.String, zone.String, score.Float64, at.Time); err != nil {
			return nil, err
		}
		g.cur.Owner, g.cur.Value = strings.TrimSpace(ownerCol.String), valueCol.Float64
	}
	if err := rows.Err(); err != nil {
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	if err := g.flush(); err != nil {
		return nil, err
	}
	if q.Emails != nil {
		return nil, nil
	}
	return skipped, nil
}

// seriesGrouper gathers consecutive readings of one email into a series
// and hands each series of at least min readings to fn, reusing one
// series' memory.
type seriesGrouper struct {
	min     int
	fn      func(*proactive.ClientSeries) error
	cur     proactive.ClientSeries
	started bool
}

// add takes the next reading (emails in order, each oldest first); the
// names and zone of the last reading of an email are the series'.
func (g *seriesGrouper) add(email, first, last, zone string, score float64, at time.Time) error {
	if !g.started || email != g.cur.Email {
		if err := g.flush(); err != nil {
			return err
		}
		g.started = true
		g.cur.Email, g.cur.Readings = email, g.cur.Readings[:0]
		g.cur.Owner, g.cur.Value = "", 0
	}
	g.cur.Firstname, g.cur.Lastname, g.cur.Zone = first, last, zone
	g.cur.Readings = append(g.cur.Readings, proactive.SeriesPoint{Score: score, At: at})
	return nil
}

// flush hands the current series to fn when it has enough readings.
func (g *seriesGrouper) flush() error {
	if !g.started || len(g.cur.Readings) < g.min {
		return nil
	}
	return g.fn(&g.cur)
}
