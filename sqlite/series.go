package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.HealthSeriesReader = (*DB)(nil)

// seriesQuery returns the skip counts (first column not NULL,
// healthSkippedSQL), then every valid reading of the window (email, score,
// Julian day), one email after the other in the order of healthEmailsSQL
// (emails: those of the JSON array :emails), each email's readings an
// index range of ptd_health_email_jd_idx (newest first; HealthSeries
// orders them). With names, each reading carries its names and normalised
// zone too (read from the table); without, the covering index suffices
// and each row is as narrow as it can be (a column costs about as much to
// hand over as a reading to find). With owner or value (the configured
// columns, "" for none) the reading carries them last.
func seriesQuery(emails, names bool, owner, value string) string {
	var out []string
	if names {
		out = append(out, `coalesce(firstname, '')`, `coalesce(lastname, '')`,
			`CASE upper(trim(health_zone)) WHEN 'GREEN' THEN 'GREEN' WHEN 'YELLOW' THEN 'YELLOW' WHEN 'RED' THEN 'RED' ELSE '' END`)
	}
	if owner != "" {
		out = append(out, ownerSQL(owner))
	}
	if value != "" {
		out = append(out, valueSQL(value))
	}
	return `
WITH RECURSIVE ` + healthEmailsSQL(emails) + `, ` + healthSkippedSQL() + `
SELECT verdict, count(*), NULL, NULL, NULL` + nullColumns(len(out)) + `
FROM judged GROUP BY verdict
UNION ALL
SELECT NULL, NULL, email, health_score, ` + jdSQL("calculated_at") + extraColumns(out) + `
FROM emails CROSS JOIN client_health_scores
WHERE e IS NOT NULL AND trim(e) <> '' AND ` + healthValidSQL("e")
}

// HealthSeries streams the valid readings of the last q.WindowDays days
// (14 when 0) per email as written, one client at a time, to fn: clients
// with at least q.MinReadings readings, oldest first (a tie: the higher
// score first), with the names and zone of the newest (NoNames saves
// reads neither names nor configured columns: the covering index
// suffices). Each email's readings are an index range; Go orders and
// holds one client's readings at a time.
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
	args := append(timeArgs(q.Now, q.Wall),
		sql.Named("from", formatTime(q.Now.Add(-time.Duration(windowDays)*24*time.Hour))))
	if q.Emails != nil {
		b, err := json.Marshal(q.Emails)
		if err != nil {
			return nil, fmt.Errorf("%s: encode emails: %w", op, err)
		}
		args = append(args, sql.Named("emails", string(b)))
	}
	rows, err := d.read.QueryContext(ctx, seriesQuery(q.Emails != nil, !q.NoNames, owner, value), args...)
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
		skipped                  = proactive.Skipped{}
	)
	dest := []any{&reason, &n, &email, &score, &jd}
	if !q.NoNames {
		dest = append(dest, &first, &last, &zone)
	}
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
		if err := g.add(email.String, seriesReading{first: first.String, last: last.String, zone: zone.String,
			score: score.Float64, jd: jd.Float64, owner: ownerCol.String, value: valueCol.Float64}); err != nil {
			return nil, err
		}
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

// seriesReading is one valid reading as seriesQuery returns it.
type seriesReading struct {
	first, last, zone, owner string
	score, jd, value         float64
}

// olderFirst orders one email's readings: oldest first, a tie puts the
// higher score first (so the lower is the newer, as the health check
// orders them), then by zone and names, so that the newest reading is
// deterministic.
func olderFirst(a, b seriesReading) int {
	return cmp.Or(cmp.Compare(a.jd, b.jd), cmp.Compare(b.score, a.score),
		strings.Compare(b.zone, a.zone), strings.Compare(b.first, a.first), strings.Compare(b.last, a.last),
		strings.Compare(b.owner, a.owner), cmp.Compare(b.value, a.value))
}

// seriesGrouper gathers the consecutive readings of one email (emails in
// ascending order, an email out of it is an internal error), orders them
// oldest first and hands each series of at least min readings to fn,
// reusing one series' memory.
type seriesGrouper struct {
	min      int
	fn       func(*proactive.ClientSeries) error
	email    string
	started  bool
	readings []seriesReading
	cur      proactive.ClientSeries
}

// add takes the next reading of email.
func (g *seriesGrouper) add(email string, r seriesReading) error {
	if !g.started || email != g.email {
		if err := g.flush(); err != nil {
			return err
		}
		if g.started && email < g.email {
			return proactive.Errorf(proactive.EINTERNAL, "read client health series: the readings of %q came out of order", email)
		}
		g.started, g.email = true, email
	}
	g.readings = append(g.readings, r)
	return nil
}

// flush orders the current email's readings and hands its series to fn
// when it has enough; the names, zone and configured columns of the
// newest reading are the series'.
func (g *seriesGrouper) flush() error {
	rs := g.readings
	g.readings = g.readings[:0]
	if !g.started || len(rs) < g.min || len(rs) == 0 {
		return nil
	}
	slices.SortFunc(rs, olderFirst)
	newest := rs[len(rs)-1]
	g.cur.Email, g.cur.Readings = g.email, g.cur.Readings[:0]
	g.cur.Firstname, g.cur.Lastname, g.cur.Zone = newest.first, newest.last, newest.zone
	g.cur.Owner, g.cur.Value = strings.TrimSpace(newest.owner), newest.value
	for _, r := range rs {
		g.cur.Readings = append(g.cur.Readings, proactive.SeriesPoint{Score: r.score, At: julianTime(r.jd)})
	}
	return g.fn(&g.cur)
}
