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

// The four source readers reduce in SQL (docs/DESIGN.md). Each query first
// judges the rows of its check (a "verdict": a proactive.Skip* reason or
// 'ok'), then returns one result set in two parts: the skip counts per
// reason (first column not NULL), and the reduced records (first two
// columns NULL). One statement, so the table is read once: the
// judged rows the two parts share are materialised.
//
// Timestamps are compared as julianday() numbers, so that any text
// julianday() reads is placed correctly whatever its form or offset, and
// rendered back as RFC 3339 UTC by strftime(). That is also why the sync
// check scans its unresolved rows rather than an index range of
// created_at: a text range would misplace other forms and offsets, and
// every unreadable timestamp must be counted wherever it sorts. The health
// readers read ranges of indexes on the Julian day itself (healthQuery).

// verdictSQL is the CASE arms shared by every reader for the timestamp
// column whose julianday() is jd and whose raw value is raw. A time after
// :wall is in the future; one after :now but not after :wall (a read as of
// a past :now, proactive.AsOf) is laterVerdict: not there, not counted.
func verdictSQL(raw, jd string) string {
	return fmt.Sprintf(`WHEN %[1]s IS NULL THEN '%[3]s'
	            WHEN %[2]s IS NULL THEN '%[4]s'
	            WHEN %[2]s > julianday(:wall) THEN '%[5]s'
	            WHEN %[2]s > julianday(:now) THEN '%[6]s'`,
		raw, jd, proactive.SkipNullTimestamp, proactive.SkipBadTimestamp, proactive.SkipFutureTimestamp, laterVerdict)
}

// laterVerdict is the verdict of a row written after the read's now but
// not after its wall clock (proactive.AsOf): neither read nor skipped.
const laterVerdict = "later"

// skippedWhere selects the judged rows counted as skipped.
const skippedWhere = `verdict NOT IN ('ok', '` + laterVerdict + `')`

// laterSQL holds for a row whose col is a time after :now but not after
// :wall: a row not yet written as of :now.
func laterSQL(col string) string {
	jd := jdSQL(col)
	return `coalesce(` + jd + ` > julianday(:now) AND ` + jd + ` <= julianday(:wall), 0)`
}

// timeArgs are the named arguments :now and :wall of a read.
func timeArgs(now, wall time.Time) []any {
	return []any{sql.Named("now", formatTime(now)), sql.Named("wall", formatTime(proactive.AsOf(now, wall)))}
}

// healthInvalidSQL holds for a reading whose email is NULL or blank or
// whose score is not a number in 0–100: the rows of the window counted as
// skipped. It is the very WHERE of the partial index
// ptd_health_invalid_idx, so that SQLite reads those few rows through it;
// the text must stay identical to it.
const healthInvalidSQL = `email IS NULL OR trim(email) = '' OR NOT coalesce(health_score >= 0 AND health_score <= 100, 0)`

// healthSkippedSQL is the CTE judged (one column, verdict) of the health
// readings counted as skipped as of :now: NULL and unreadable timestamps,
// times after :wall, and the readings of [:from, :now] that
// healthInvalidSQL judges, each part an index range (ptd_health_jd_idx,
// ptd_health_invalid_idx): a step reads the window, not the table.
// Readings after :now but not after :wall (proactive.AsOf) and before
// :from are neither read nor counted. The health readers share it, so
// they count the same rows.
func healthSkippedSQL() string {
	jd := jdSQL("calculated_at")
	return `judged AS (
    SELECT CASE WHEN calculated_at IS NULL THEN '` + proactive.SkipNullTimestamp + `' ELSE '` + proactive.SkipBadTimestamp + `' END AS verdict
    FROM client_health_scores WHERE ` + jd + ` IS NULL
    UNION ALL
    SELECT '` + proactive.SkipFutureTimestamp + `' FROM client_health_scores WHERE ` + jd + ` > julianday(:wall)
    UNION ALL
    -- NULL and '' only, as on PostgreSQL (its partial index counts these),
    -- so that both stores skip the same rows.
    SELECT CASE WHEN email IS NULL OR trim(email) = '' THEN '` + proactive.SkipNullEmail + `' ELSE '` + proactive.SkipScoreOutOfRange + `' END
    FROM client_health_scores
    WHERE (` + healthInvalidSQL + `) AND ` + jd + ` >= julianday(:from) AND ` + jd + ` <= julianday(:now)
)`
}

// healthEmailsSQL is the CTE emails (one column, e): every email of
// client_health_scores but NULL, in the index's order, one index seek
// each (SQLite's min() of a range): a skip-scan, so that each email's
// readings of the window are then an index range of (email, Julian day),
// never the whole table. With emails, the JSON array :emails
// (SeriesQuery.Emails) instead, in order.
func healthEmailsSQL(emails bool) string {
	if emails {
		return `emails(e) AS MATERIALIZED (
    SELECT DISTINCT value FROM json_each(:emails) WHERE value IS NOT NULL ORDER BY 1
)`
	}
	return `emails(e) AS (
    SELECT min(email) FROM client_health_scores
    UNION ALL
    SELECT (SELECT min(email) FROM client_health_scores WHERE email > e) FROM emails WHERE e IS NOT NULL
)`
}

// healthValidSQL holds for a valid reading of [:from, :now] of the email
// e (not NULL, not blank): an index range of ptd_health_email_jd_idx.
func healthValidSQL(e string) string {
	jd := jdSQL("calculated_at")
	return `email = ` + e + ` AND ` + jd + ` >= julianday(:from) AND ` + jd + ` <= julianday(:now)
      AND health_score >= 0 AND health_score <= 100`
}

// healthQuery reads client_health_scores for HealthQuery in one
// statement of two parts: the skip counts per reason, and every valid
// reading of the window (email, names, zone, score, Julian day) of the
// candidate emails, which HealthTrends reduces to one trend per email.
//
// It reads index ranges only, so that a read as of a past :now (a
// backtest's step) costs the window, not the table:
//   - the rows that make no sense, counted by verdict (healthSkippedSQL);
//   - the emails, one index seek each (healthEmailsSQL);
//   - the candidates: per email one aggregate over its readings of the
//     window, an index range of the covering index ptd_health_email_jd_idx,
//     whose second column is jdSQL("calculated_at") itself (SQLite takes a
//     reading's Julian day from the index instead of parsing its text);
//     kept when it has two valid readings and (with MinDrop) the spread of
//     its valid readings reaches MinDrop, since no drop can exceed it —
//     most clients stop here;
//   - the readings of the candidates, a few index ranges, one candidate
//     after the other (CROSS JOIN: the candidates are the outer loop) in
//     the order of their lower-cased, trimmed email, then as written, so
//     that HealthTrends reduces and streams one email at a time and the
//     emails of one client come one after the other.
//
// (Window functions over the candidates' readings cost about 17 µs per
// reading in this SQLite, so the last step, a walk over each email's few
// readings, is done in Go: reduceTrend.)
//
// A score is valid when it is a number in 0–100: text compares above any
// number in SQLite, so "score >= 0 AND score <= 100" holds for numbers
// only. A blank email is judged per email, not per reading. Without the
// indexes (a view, a table migrate could not index) the same statement
// computes the expression per reading: slower, same result.
//
// extra are expressions over client_health_scores read with each reading
// of the candidates (the configured owner and value columns), after the
// Julian day; none leaves the statement as it was.
func healthQuery(extra ...string) string {
	jd := jdSQL("calculated_at")
	return `
WITH RECURSIVE ` + healthEmailsSQL(false) + `,
candidates AS MATERIALIZED (
    SELECT e AS cand FROM emails
    WHERE e IS NOT NULL AND trim(e) <> ''
      AND (SELECT count(*) >= 2 AND (:min_drop <= 0 OR max(health_score) - min(health_score) >= :min_drop)
           FROM client_health_scores WHERE ` + healthValidSQL("e") + `)
    ORDER BY lower(trim(e)), e
), ` + healthSkippedSQL() + `
SELECT verdict, count(*), NULL, NULL, NULL, NULL, NULL, NULL` + nullColumns(len(extra)) + `
FROM judged GROUP BY verdict
UNION ALL
SELECT NULL, NULL, email, firstname, lastname, health_zone, health_score, ` + jd + extraColumns(extra) + `
FROM candidates CROSS JOIN client_health_scores
WHERE ` + healthValidSQL("cand")
}

// nullColumns is n more NULL columns of a select list.
func nullColumns(n int) string { return strings.Repeat(", NULL", n) }

// extraColumns is more columns of a select list.
func extraColumns(exprs []string) string {
	if len(exprs) == 0 {
		return ""
	}
	return ", " + strings.Join(exprs, ", ")
}

// healthReading is one valid reading of a candidate email, as healthQuery
// returns it.
type healthReading struct {
	first, last, zone sql.NullString
	score, jd         float64
}

// readingExtra are the configured columns of one reading, kept beside the
// readings (same index) only when a column is read, so that the readings
// cost nothing more without.
type readingExtra struct {
	owner sql.NullString
	value sql.NullFloat64
}

// newestIndex is the index of the newest of rs in newerFirst order (the
// reading reduceTrend makes current).
func newestIndex(rs []healthReading) int {
	best := 0
	for i := 1; i < len(rs); i++ {
		if newerFirst(rs[i], rs[best]) < 0 {
			best = i
		}
	}
	return best
}

// newerFirst orders one email's readings: newest first, a tie puts the
// lower score first (deterministic and pessimistic), then by zone, first
// and last name (NULL first), so that the newest reading's names are
// deterministic too.
func newerFirst(a, b healthReading) int {
	return cmp.Or(cmp.Compare(b.jd, a.jd), cmp.Compare(a.score, b.score),
		compareNull(a.zone, b.zone), compareNull(a.first, b.first), compareNull(a.last, b.last))
}

// compareNull orders nullable text as SQLite does: NULL first, then bytes.
func compareNull(a, b sql.NullString) int {
	if a.Valid != b.Valid {
		if !a.Valid {
			return -1
		}
		return 1
	}
	return strings.Compare(a.String, b.String)
}

// reduceTrend reduces one email's valid readings of the window (at least
// two) to its trend (docs/DESIGN.md): current = the newest, previous = the
// one after it in newerFirst order, week_avg = the mean of the readings
// other than the newest whose Julian day is at least the newest's less
// trendDays. Times are the Julian days rounded to the millisecond, as
// SQLite's strftime renders them.
func reduceTrend(email string, rs []healthReading, trendDays int) proactive.HealthTrend {
	slices.SortFunc(rs, newerFirst)
	cur, prev := rs[0], rs[1]
	t := proactive.HealthTrend{
		Email: email, Firstname: cur.first.String, Lastname: cur.last.String,
		Zone: normalizeZone(cur.zone.String), Current: cur.score, CurrentAt: julianTime(cur.jd),
		Previous: prev.score, PreviousAt: julianTime(prev.jd), Readings: len(rs),
	}
	from := cur.jd - float64(trendDays)
	sum, n := 0.0, 0
	for _, r := range rs[1:] {
		if r.jd >= from {
			sum += r.score
			n++
		}
	}
	if n > 0 {
		avg := sum / float64(n)
		t.WeekAvg = &avg
	}
	return t
}

// julianEpochMS is the Unix epoch as a Julian day in milliseconds.
const julianEpochMS = 210866760000000

// julianTime converts a Julian day number to UTC, rounded to the
// millisecond the way SQLite does (iJD = jd × 86,400,000 + 0.5).
func julianTime(jd float64) time.Time {
	ms := int64(jd*86400000.0+0.5) - julianEpochMS
	return time.UnixMilli(ms).UTC()
}

// normalizeZone upper-cases a health zone; "" for anything but GREEN,
// YELLOW and RED.
func normalizeZone(z string) string {
	switch z = strings.ToUpper(strings.TrimSpace(z)); z {
	case "GREEN", "YELLOW", "RED":
		return z
	}
	return ""
}

// HealthTrends reduces the health readings of the last q.WindowDays days
// (14 when 0) to one trend per email with at least two valid readings and
// streams them to fn, one email at a time (see healthQuery for the order);
// the week average spans q.TrendDays (the default 7 when 0). With
// q.MinDrop, only trends whose drop reaches it (less
// proactive.DropTolerance). The configured owner and value columns of q
// that the table has are read from the newest reading; one it lacks reads
// as unset.
func (d *DB) HealthTrends(ctx context.Context, q proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	const op = "read client health scores"
	use, err := d.optionalColumns(ctx, proactive.TableHealthScores, q.OwnerColumn, q.ValueColumn)
	if err != nil {
		return nil, tableError(op, proactive.TableHealthScores, err)
	}
	windowDays, trendDays := q.WindowDays, q.TrendDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	if trendDays <= 0 {
		trendDays = proactive.DefaultThresholds().HealthTrendDays
	}
	var (
		email sql.NullString
		r     healthReading
		score sql.NullFloat64
		jd    sql.NullFloat64
		extra []string
		x     readingExtra
	)
	g := trendGrouper{minDrop: q.MinDropBound(), trendDays: trendDays, fn: fn}
	dest := []any{&email, &r.first, &r.last, &r.zone, &score, &jd}
	if use[0] {
		extra, dest = append(extra, ownerSQL(q.OwnerColumn)), append(dest, &x.owner)
	}
	if use[1] {
		extra, dest = append(extra, valueSQL(q.ValueColumn)), append(dest, &x.value)
	}
	g.extras = len(extra) > 0
	skipped, err := d.readSource(ctx, op, proactive.TableHealthScores, healthQuery(extra...),
		append(timeArgs(q.Now, q.Wall),
			sql.Named("from", formatTime(q.Now.Add(-time.Duration(windowDays)*24*time.Hour))),
			sql.Named("min_drop", g.minDrop),
		),
		dest,
		func() error {
			r.score, r.jd = score.Float64, jd.Float64
			return g.add(email.String, r, x)
		})
	if err == nil {
		err = g.flush()
	}
	if err != nil {
		if len(extra) > 0 {
			d.cat.forget() // a column dropped since it was looked up
		}
		return nil, err
	}
	return skipped, nil
}

// trendGrouper gathers the consecutive readings of one email, reduces
// them to a trend (reduceTrend) and hands it to fn when it reaches
// minDrop: one email's readings in memory at a time.
type trendGrouper struct {
	minDrop   float64
	trendDays int
	extras    bool // whether the readings carry the configured columns
	fn        func(proactive.HealthTrend) error

	email    string
	started  bool
	readings []healthReading
	columns  []readingExtra // beside readings, when extras
	// prevKey is the previous email's place in the order healthQuery
	// promises; an email out of it would split a client.
	prevKey string
}

// add takes the next reading of email.
func (g *trendGrouper) add(email string, r healthReading, x readingExtra) error {
	if !g.started || email != g.email {
		if err := g.flush(); err != nil {
			return err
		}
		key := sqliteLower(strings.Trim(email, " ")) + "\x00" + email
		if g.started && key <= g.prevKey {
			return proactive.Errorf(proactive.EINTERNAL, "read client health scores: the readings of %q came out of order", email)
		}
		g.started, g.email, g.prevKey = true, email, key
	}
	g.readings = append(g.readings, r)
	if g.extras {
		g.columns = append(g.columns, x)
	}
	return nil
}

// flush reduces the current email's readings and hands the trend to fn.
func (g *trendGrouper) flush() error {
	if len(g.readings) < 2 {
		g.readings, g.columns = g.readings[:0], g.columns[:0]
		return nil
	}
	var ex readingExtra
	if g.extras {
		ex = g.columns[newestIndex(g.readings)] // before reduceTrend sorts the readings
	}
	t := reduceTrend(g.email, g.readings, g.trendDays)
	g.readings, g.columns = g.readings[:0], g.columns[:0]
	t.Owner, t.Value = strings.TrimSpace(ex.owner.String), ex.value.Float64
	drop := t.Previous - t.Current
	if t.WeekAvg != nil {
		drop = max(drop, *t.WeekAvg-t.Current)
	}
	if g.minDrop > 0 && drop < g.minDrop {
		return nil
	}
	return g.fn(t)
}

// sqliteLower lower-cases ASCII letters only, as SQLite's lower() does.
func sqliteLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// dealContext says which optional columns and tables the deal query reads
// (CONTRACT §11.1, §11.4): the configured owner column, contacts and
// deals.contact_email; each only where it exists.
type dealContext struct {
	owner        string // the owner column, "" for none
	contacts     bool   // contacts(id, email) exists
	contactEmail bool   // deals.contact_email exists
}

// dealQuery selects the deals in the stall stages (a JSON array of
// lower-cased stages) with their last activity, then the columns of c:
// the contact email (contacts.email of the contact whose id is
// contact_id, when not blank, else contact_email), then the owner. The
// contact is looked up for the stalled deals only, through contacts' key.
//
// asOf reads the deals as of a past :now (proactive.AsOf): a deal created
// after it (not after :wall) is not there; its last_activity_date and
// updated_at after it (not after :wall) read as NULL, and a deal that
// leaves without any time is not there either.
func dealQuery(c dealContext, asOf bool) string {
	from, lad, ua, visible, with := "deals", "last_activity_date", "updated_at", "", ""
	activity := "coalesce(last_activity_date, updated_at, created_at)"
	jd := jdSQL(activity)
	if asOf {
		// The Julian day of each time, once per deal of the stages (a
		// materialised CTE: the expressions would otherwise be inlined and
		// each computed again wherever it is compared).
		with = `asof AS MATERIALIZED (
    SELECT *, ` + jdSQL("last_activity_date") + ` AS ptd_jlad, ` + jdSQL("updated_at") + ` AS ptd_jua,
           ` + jdSQL("created_at") + ` AS ptd_jca
    FROM deals WHERE lower(stage) IN (SELECT value FROM json_each(:stages))
), `
		later := func(j string) string {
			return j + ` > julianday(:now) AND ` + j + ` <= julianday(:wall)`
		}
		from = `(SELECT *, CASE WHEN ` + later("ptd_jlad") + ` THEN NULL ELSE last_activity_date END AS ptd_lad,
                 CASE WHEN ` + later("ptd_jua") + ` THEN NULL ELSE updated_at END AS ptd_ua
          FROM asof WHERE NOT coalesce(` + later("ptd_jca") + `, 0)) AS deals`
		lad, ua = "ptd_lad", "ptd_ua"
		visible = `
      AND (coalesce(ptd_lad, ptd_ua, created_at) IS NOT NULL OR coalesce(last_activity_date, updated_at, created_at) IS NULL)`
		activity = "coalesce(" + lad + ", " + ua + ", created_at)"
		// jdSQL of the time coalesce picks.
		jd = `CASE WHEN ptd_lad IS NOT NULL THEN ptd_jlad WHEN ptd_ua IS NOT NULL THEN ptd_jua ELSE ptd_jca END`
	}
	var base, out, nulls []string
	var contact []string
	if c.contacts {
		base = append(base, "contact_id")
		contact = append(contact, `(SELECT trim(c.email) FROM contacts c
            WHERE c.id = judged.contact_id AND trim(c.email) <> '' ORDER BY 1 LIMIT 1)`)
	}
	if c.contactEmail {
		base = append(base, proactive.ColumnContactEmail)
		contact = append(contact, "nullif(trim("+proactive.ColumnContactEmail+"), '')")
	}
	switch len(contact) {
	case 1:
		out = append(out, contact[0])
	case 2:
		out = append(out, "coalesce("+contact[0]+", "+contact[1]+")")
	}
	if c.owner != "" {
		base = append(base, ownerSQL(c.owner)+" AS ptd_owner")
		out = append(out, "ptd_owner")
	}
	for range out {
		nulls = append(nulls, "NULL")
	}
	return `
WITH ` + with + `base AS (
    SELECT CAST(id AS TEXT) AS id, name, stage, amount` + extraColumns(base) + `,
           ` + activity + ` AS activity,
           ` + jd + ` AS jd
    FROM ` + from + `
    WHERE lower(stage) IN (SELECT value FROM json_each(:stages))` + visible + `
), judged AS MATERIALIZED (
    SELECT *, CASE
                WHEN typeof(amount) IN ('integer', 'real') AND amount < 0 THEN '` + proactive.SkipNegativeAmount + `'
                ` + verdictSQL("activity", "jd") + `
                ELSE 'ok' END AS verdict
    FROM base
)
SELECT verdict, count(*), NULL, NULL, NULL, NULL, NULL` + extraColumns(nulls) + `
FROM judged WHERE ` + skippedWhere + ` GROUP BY verdict
UNION ALL
SELECT NULL, NULL, id, coalesce(name, ''), stage,
       CASE WHEN typeof(amount) IN ('integer', 'real') THEN amount END, ` + isoUTC("jd") + extraColumns(out) + `
FROM judged
WHERE verdict = 'ok' AND (:min_days <= 0 OR jd <= julianday(:cutoff))
-- The counts (no id) first, then the deals in the order of their case
-- keys ("deal-" and the id), so that the scan reads their cases as ranges
-- of the key index (SeenCasesBetween).
ORDER BY 3`
}

// dealContext looks up what the deal query may read besides the
// contract's columns.
func (d *DB) dealContext(ctx context.Context, ownerColumn string) (dealContext, error) {
	var c dealContext
	found, _, err := d.has(ctx, proactive.TableDeals, proactive.ColumnContactEmail, "contact_id")
	if err != nil {
		return c, err
	}
	c.contactEmail = found[0]
	if found[1] { // contacts are looked up by deals.contact_id
		if found, _, err = d.has(ctx, proactive.TableContacts, "id", "email"); err != nil {
			return c, err
		}
		c.contacts = found[0] && found[1]
	}
	use, err := d.optionalColumns(ctx, proactive.TableDeals, ownerColumn)
	if err != nil {
		return c, err
	}
	if use[0] {
		c.owner = ownerColumn
	}
	return c, nil
}

// stagesJSON renders stall stages as the JSON array of lower-cased names
// the deal queries read with json_each.
func stagesJSON(stages []string) (string, error) {
	lower := make([]string, len(stages))
	for i, s := range stages {
		lower[i] = strings.ToLower(s)
	}
	b, err := json.Marshal(lower)
	if err != nil {
		return "", fmt.Errorf("encode stages: %w", err)
	}
	return string(b), nil
}

// StalledDeals returns the deals in q.Stages (compared case-insensitively)
// with their last activity, coalesce(last_activity_date, updated_at,
// created_at); with q.MinDays, only those idle at least that many days.
// Each carries its contact email (CONTRACT §11.4: contacts, else
// deals.contact_email, where they exist) and q.OwnerColumn where the table
// has it.
func (d *DB) StalledDeals(ctx context.Context, q proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error) {
	const op = "read deals"
	stages, err := stagesJSON(q.Stages)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	dc, err := d.dealContext(ctx, q.OwnerColumn)
	if err != nil {
		return nil, tableError(op, proactive.TableDeals, err)
	}
	var (
		id, name, stage sql.NullString
		contact, owner  sql.NullString
		amount          sql.NullFloat64
		activity        nullTime
		dest            = []any{&id, &name, &stage, &amount, &activity}
		optional        = dc.contacts || dc.contactEmail || dc.owner != ""
	)
	if dc.contacts || dc.contactEmail {
		dest = append(dest, &contact)
	}
	if dc.owner != "" {
		dest = append(dest, &owner)
	}
	skipped, err := d.readSource(ctx, op, proactive.TableDeals, dealQuery(dc, q.Wall.After(q.Now)),
		append(timeArgs(q.Now, q.Wall),
			sql.Named("stages", stages),
			sql.Named("min_days", q.MinDays),
			sql.Named("cutoff", formatTime(q.Now.Add(-time.Duration(q.MinDays)*24*time.Hour))),
		),
		dest,
		func() error {
			deal := proactive.Deal{ID: id.String, Name: name.String, Stage: stage.String, LastActivity: activity.Time,
				ContactEmail: proactive.NormEmail(contact.String), Owner: strings.TrimSpace(owner.String)}
			if amount.Valid {
				a := amount.Float64
				deal.Amount = &a
			}
			return fn(deal)
		})
	if err != nil {
		if optional {
			d.cat.forget() // a column or table dropped since it was looked up
		}
		return nil, err
	}
	return skipped, nil
}

// syncQuery groups the unresolved sync errors of [since, now] by (source,
// error_type), both as written. asOf reads them as of a past :now
// (proactive.AsOf): a resolved_at after it reads as NULL.
func syncQuery(asOf bool) string {
	unresolved := "resolved_at IS NULL"
	if asOf {
		unresolved = "(resolved_at IS NULL OR " + laterSQL("resolved_at") + ")"
	}
	return `
WITH judged AS MATERIALIZED (
    SELECT source, error_type, object_type, error_message,
           ` + jdSQL("created_at") + ` AS jd,
           CASE ` + verdictSQL("created_at", jdSQL("created_at")) + `
                WHEN source IS NULL OR error_type IS NULL THEN '` + proactive.SkipNullKey + `'
                ELSE 'ok' END AS verdict
    FROM sync_errors
    -- Unresolved rows of the window, and those whose time cannot be placed.
    WHERE ` + unresolved + ` AND coalesce(` + jdSQL("created_at") + ` >= julianday(:since), 1)
), ranked AS (
    SELECT source, error_type, error_message, jd,
           row_number() OVER (PARTITION BY source, error_type ORDER BY jd DESC, error_message) AS rn,
           count(*) OVER (PARTITION BY source, error_type) AS n
    FROM judged WHERE verdict = 'ok'
), types AS (
    SELECT source, error_type, json_group_array(DISTINCT object_type) AS object_types
    FROM judged WHERE verdict = 'ok' AND object_type IS NOT NULL
    GROUP BY source, error_type
)
SELECT verdict, count(*), NULL, NULL, NULL, NULL, NULL, NULL
FROM judged WHERE ` + skippedWhere + ` GROUP BY verdict
UNION ALL
-- The window's errors resolved after the wall clock: in the future.
SELECT '` + proactive.SkipFutureTimestamp + `', count(*), NULL, NULL, NULL, NULL, NULL, NULL
FROM sync_errors
WHERE resolved_at IS NOT NULL AND ` + jdSQL("resolved_at") + ` > julianday(:wall)
  AND coalesce(` + jdSQL("created_at") + ` >= julianday(:since), 1)
HAVING count(*) > 0
UNION ALL
SELECT NULL, NULL, r.source, r.error_type, r.n, ` + isoUTC("r.jd") + `, coalesce(r.error_message, ''), t.object_types
FROM ranked r
LEFT JOIN types t ON t.source = r.source AND t.error_type = r.error_type
WHERE r.rn = 1`
}

// SyncFailures groups the unresolved sync errors created in [q.Since,
// q.Now] by (source, error_type), kept as written.
func (d *DB) SyncFailures(ctx context.Context, q proactive.SyncQuery, fn func(proactive.SyncFailureGroup) error) (proactive.Skipped, error) {
	const op = "read sync errors"
	var (
		source, errorType, message, objectTypes sql.NullString
		count                                   sql.NullInt64
		latest                                  nullTime
		out                                     []proactive.SyncFailureGroup
		decodeErr                               error
	)
	skipped, err := d.readSource(ctx, op, proactive.TableSyncErrors, syncQuery(q.Wall.After(q.Now)),
		append(timeArgs(q.Now, q.Wall), sql.Named("since", formatTime(q.Since))),
		[]any{&source, &errorType, &count, &latest, &message, &objectTypes},
		func() error {
			g := proactive.SyncFailureGroup{
				Source: source.String, ErrorType: errorType.String, Count: int(count.Int64),
				LatestAt: latest.Time, LatestMessage: message.String, ObjectTypes: []string{},
			}
			if objectTypes.Valid {
				if err := json.Unmarshal([]byte(objectTypes.String), &g.ObjectTypes); err != nil && decodeErr == nil {
					decodeErr = fmt.Errorf("%s: decode object types: %w", op, err)
				}
				slices.Sort(g.ObjectTypes)
			}
			out = append(out, g)
			return nil
		})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return nil, err
	}
	// One group per source and error type: few, sorted here.
	slices.SortFunc(out, func(a, b proactive.SyncFailureGroup) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.ErrorType, b.ErrorType))
	})
	for _, g := range out {
		if err := fn(g); err != nil {
			return nil, err
		}
	}
	return skipped, nil
}

// leadQuery selects the leads with status new (any case) never contacted.
// asOf reads them as of a past :now (proactive.AsOf): a lead whose
// last_contact_date is after it was not contacted yet, so it is new.
func leadQuery(asOf bool) string {
	// New leads never contacted, and those contacted after the wall
	// clock: in the future, skipped and counted.
	contactedLater := jdSQL("last_contact_date") + " > julianday(:wall)"
	waiting := "lower(status) = 'new' AND (last_contact_date IS NULL OR " + contactedLater + ")"
	if asOf {
		waiting = "(" + waiting + " OR " + laterSQL("last_contact_date") + ")"
	}
	return `
WITH judged AS MATERIALIZED (
    SELECT CAST(id AS TEXT) AS id, name, email, source,
           ` + jdSQL("created_at") + ` AS jd,
           CASE WHEN last_contact_date IS NOT NULL AND ` + contactedLater + ` THEN '` + proactive.SkipFutureTimestamp + `'
                ` + verdictSQL("created_at", jdSQL("created_at")) + `
                ELSE 'ok' END AS verdict
    FROM leads
    WHERE ` + waiting + `
)
SELECT verdict, count(*), NULL, NULL, NULL, NULL, NULL
FROM judged WHERE ` + skippedWhere + ` GROUP BY verdict
UNION ALL
SELECT NULL, NULL, id, coalesce(name, ''), coalesce(email, ''), coalesce(source, ''), ` + isoUTC("jd") + `
FROM judged
WHERE verdict = 'ok' AND (:min_hours <= 0 OR jd <= julianday(:cutoff))
-- The counts first, then the leads in their case keys' order (dealQuery).
ORDER BY 3`
}

// WaitingLeads returns the leads with status new (any case) and no
// last_contact_date; with q.MinHours, only those created at least that many
// hours before q.Now.
func (d *DB) WaitingLeads(ctx context.Context, q proactive.LeadQuery, fn func(proactive.Lead) error) (proactive.Skipped, error) {
	const op = "read leads"
	var (
		id, name, email, source sql.NullString
		created                 nullTime
	)
	skipped, err := d.readSource(ctx, op, proactive.TableLeads, leadQuery(q.Wall.After(q.Now)),
		append(timeArgs(q.Now, q.Wall),
			sql.Named("min_hours", q.MinHours),
			sql.Named("cutoff", formatTime(q.Now.Add(-time.Duration(q.MinHours*float64(time.Hour))))),
		),
		[]any{&id, &name, &email, &source, &created},
		func() error {
			return fn(proactive.Lead{ID: id.String, Name: name.String, Email: email.String,
				Source: source.String, CreatedAt: created.Time})
		})
	if err != nil {
		return nil, err
	}
	return skipped, nil
}

// readSource runs a reader's query. Rows whose first column is not NULL
// count skipped rows: reason, count. The others are records: their
// remaining columns are scanned into dest and record is called; its error
// stops the read and is returned as it is.
func (d *DB) readSource(ctx context.Context, op, table, query string, args, dest []any, record func() error) (proactive.Skipped, error) {
	rows, err := d.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, tableError(op, table, err)
	}
	defer rows.Close()
	skipped := proactive.Skipped{}
	var (
		reason sql.NullString
		n      sql.NullInt64
	)
	all := append([]any{&reason, &n}, dest...)
	for rows.Next() {
		if err := rows.Scan(all...); err != nil {
			return nil, tableError(op, table, err)
		}
		if reason.Valid {
			skipped.Add(reason.String, int(n.Int64))
			continue
		}
		if err := record(); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, tableError(op, table, err)
	}
	return skipped, nil
}

// ConcurrentReads reports whether checks may read at the same time
// (scan.ConcurrentSource): each on a WAL reader of its own beside the
// desk's write connection; not on ":memory:", whose one connection the
// desk holds.
func (d *DB) ConcurrentReads() bool { return d.read != d.write }
