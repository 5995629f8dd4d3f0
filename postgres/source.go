package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The checks' SQL. Each reads only the contract's columns, casts ids to
// text, compares stages and statuses with lower(), and works whether ids
// are uuid, bigint or text, amounts and scores numeric or double, and
// timestamps with or without time zone (sessions run in UTC).

// healthTrendsSQL reduces the readings of the window to one row per email
// in a single ordered pass with plain aggregation (window functions cost
// three times as much on PostgreSQL 15): the index
// ptd_health_email_calculated_at_idx yields the readings in (email,
// calculated_at DESC, health_score) order without a sort, and array_agg
// collects each email's scores and times newest first, so the newest is
// element 1 and the one before it element 2. The bound on the drop,
// max(score) − newest (with a hair of slack for the rounding of a mean),
// discards most emails before week_avg (a small subquery over the arrays)
// is computed at all. Names and zone are looked
// up for the few rows that remain.
//
// Every read of client_health_scores carries the window's bounds on
// calculated_at as parameters (custom plans: plan_cache_mode), so that on
// a table range-partitioned by calculated_at the planner reads only the
// window's partitions.
//
// %[1]s is the aggregate ORDER BY: empty before PostgreSQL 16, where
// array_agg keeps the order of its sorted subquery (no partial aggregation,
// no join at that level); " ORDER BY at DESC, score" from 16 on, where the
// planner feeds presorted input to such an aggregate at no cost and
// array_agg could otherwise be combined from parallel workers. %[2]s are
// the configured owner and value columns of the newest reading, looked
// up with its names (%[3]s: their expressions over c); both "" when none
// is configured. %[4]s bounds the emails read to one half of them
// (healthLowerHalf, healthUpperHalf: $5 the pivot), "" for all. The row's last column before
// %[2]s is its sort key, lower(btrim(email)), for the merge of two halves.
//
// $1 window start, $2 now, $3 trend days, $4 minimum drop (0: all).
const healthTrendsSQL = `
WITH g AS (
	SELECT email, count(*) AS readings, max(score) AS hi,
		array_agg(score%[1]s) AS s, array_agg(at%[1]s) AS a
	FROM (
		SELECT email::text AS email, health_score::float8 AS score, calculated_at::timestamptz AS at
		FROM client_health_scores
		WHERE calculated_at >= $1 AND calculated_at <= $2
		  AND email IS NOT NULL%[4]s AND email <> '' AND health_score >= 0 AND health_score <= 100
		ORDER BY email, calculated_at DESC, health_score
		OFFSET 0
	) o
	GROUP BY email
	HAVING count(*) >= 2
), t AS MATERIALIZED (
	SELECT email, readings, s[1] AS current, a[1] AS current_at, s[2] AS previous, a[2] AS previous_at,
		(SELECT avg(x) FROM unnest(s[2:], a[2:]) AS u(x, xat) WHERE xat >= a[1] - $3::int * interval '1 day') AS week_avg
	FROM g
	WHERE $4::float8 <= 0 OR hi - s[1] >= $4::float8
)
SELECT t.email, coalesce(n.firstname, ''), coalesce(n.lastname, ''), coalesce(n.zone, ''),
	t.current, t.current_at, t.previous, t.previous_at, t.week_avg, t.readings, lower(btrim(t.email))%[2]s
FROM t
LEFT JOIN LATERAL (
	SELECT c.firstname::text AS firstname, c.lastname::text AS lastname, c.health_zone::text AS zone%[3]s
	FROM client_health_scores c
	WHERE c.email = t.email AND c.calculated_at = t.current_at AND c.health_score = t.current
	  -- The window again: on a table partitioned by calculated_at, the
	  -- planner prunes the partitions outside it from this lookup too.
	  AND c.calculated_at >= $1 AND c.calculated_at <= $2
	ORDER BY c.health_zone, c.firstname, c.lastname
	LIMIT 1
) n ON true
-- A blank email names nobody (healthSkippedSQL counts it as a null email).
-- Judged here, on the few candidates of the materialised t: a condition on
-- email any earlier would be pushed down and run once per reading.
WHERE btrim(t.email) <> ''
  AND ($4::float8 <= 0 OR greatest(t.previous - t.current, t.week_avg - t.current) >= $4::float8)
-- The emails of one client (differing in case or spaces) one after the other.
ORDER BY lower(btrim(t.email)) COLLATE "C", t.email COLLATE "C"`

// healthSkippedSQL counts the health rows that make no sense: null or
// future timestamps (through ptd_health_calculated_at_idx) and, within the
// window, no email or a score outside 0–100 (through the partial index
// ptd_health_invalid_idx, whose predicate is healthInvalid). None of it
// scans the window again. A reading after now but not after the wall
// clock (a read as of a past now, proactive.AsOf) is not there: not counted.
//
// $1 window start, $2 now, $3 the wall clock (proactive.AsOf: now in a
// live read).
const healthSkippedSQL = `
SELECT
	count(*) FILTER (WHERE calculated_at IS NULL),
	count(*) FILTER (WHERE calculated_at > $3),
	count(*) FILTER (WHERE calculated_at <= $2 AND (email IS NULL OR btrim(email::text) = '')),
	count(*) FILTER (WHERE calculated_at <= $2 AND NOT (email IS NULL OR btrim(email::text) = ''))
FROM client_health_scores
WHERE calculated_at IS NULL OR calculated_at > $3
   OR (calculated_at >= $1 AND calculated_at <= $2 AND ` + healthInvalid + `)`

// stalledDealsSQL returns the deals in a stall stage whose last activity is
// at or before the cutoff, and (to be counted as skipped) those with a
// negative amount, no timestamp at all or a last activity in the future.
// %[1]s are more columns of deals the deal context reads, %[2]s what is
// returned of them, %[3]s the lookup of the contact (dealContext); all ""
// when it reads none. %[4]s is the last activity and %[5]s more conditions
// on the deals: dealsLive, or dealsAsOf for a read as of a past now.
// %[6]s is the stage condition: stagesText, or on an enum stage the column
// compared with its matching labels.
//
// $1 lower-cased stages (an enum stage: its labels that match them), $2
// now, $3 cutoff; $4 the wall clock with dealsAsOf.
const stalledDealsSQL = `
SELECT d.id, d.name, d.stage, d.amount, d.last_activity%[2]s
FROM (
	SELECT id::text AS id, coalesce(name::text, '') AS name, coalesce(stage::text, '') AS stage,
		amount::float8 AS amount,
		%[4]s::timestamptz AS last_activity%[1]s
	FROM deals
	WHERE %[6]s%[5]s
) d%[3]s
WHERE d.amount < 0 OR d.last_activity IS NULL OR d.last_activity > $2 OR d.last_activity <= $3
-- In the order of the deals' case keys ("deal-" and the id), so that the
-- scan reads their cases as ranges of the key index (SeenCasesBetween).
ORDER BY d.id COLLATE "C"`

// stagesText is the stage condition of stalledDealsSQL on a text stage:
// $1 the watched stages in lower case.
const stagesText = `lower(stage::text) = ANY($1::text[])`

// The last activity of a deal and the conditions on deals of
// stalledDealsSQL: live, and as of a past now ($2) read at the wall clock
// $4 (proactive.AsOf), where a deal created after now (not after $4) is
// not there, last_activity_date and updated_at after now (not after $4)
// read as NULL, and a deal that leaves without any time is not there
// either.
const (
	dealsLive       = `coalesce(last_activity_date, updated_at, created_at)`
	dealsAsOfActive = `coalesce(CASE WHEN last_activity_date > $2 AND last_activity_date <= $4 THEN NULL ELSE last_activity_date END,
			CASE WHEN updated_at > $2 AND updated_at <= $4 THEN NULL ELSE updated_at END, created_at)`
	dealsAsOf = `
	  AND NOT coalesce(created_at > $2 AND created_at <= $4, false)
	  AND (` + dealsAsOfActive + ` IS NOT NULL OR ` + dealsLive + ` IS NULL)`
)

// The lookups of a deal's contact email in contacts (CONTRACT §11.4): by
// contacts' key when contacts.id and deals.contact_id have one type (an
// index lookup per deal), else once over contacts by the ids' text (a
// hash join; a cast per lookup would scan contacts per deal). A contact
// whose email is blank is none.
const (
	contactByKeySQL = `
LEFT JOIN LATERAL (
	SELECT btrim(c.email::text) AS email FROM contacts c
	WHERE c.id = d.ptd_contact_id AND btrim(c.email::text) <> ''
	ORDER BY 1 LIMIT 1
) ct ON true`
	contactByTextSQL = `
LEFT JOIN (
	SELECT c.id::text AS id, min(btrim(c.email::text)) AS email FROM contacts c
	WHERE btrim(c.email::text) <> ''
	GROUP BY 1
) ct ON ct.id = d.ptd_contact_id::text`
)

// dealContext is what the deal query reads besides the contract's columns
// (CONTRACT §11.1, §11.4): the configured owner column, contacts and
// deals.contact_email, each only where it exists; the three parts of
// stalledDealsSQL and whether it reads a contact and an owner.
type dealContext struct {
	inner, outer, join string
	contact, owner     bool
}

// dealContext looks up what the deal query may read.
func (d *DB) dealContext(ctx context.Context, ownerColumn string) (dealContext, error) {
	var c dealContext
	cols := []string{"contact_id", proactive.ColumnContactEmail}
	if ownerColumn != "" && proactive.Identifier(ownerColumn) {
		cols = append(cols, ownerColumn)
	}
	types, _, err := d.columnTypesOf(ctx, proactive.TableDeals, cols...)
	if err != nil {
		return c, err
	}
	var contact []string
	if types[0] != "" {
		ct, _, err := d.columnTypesOf(ctx, proactive.TableContacts, "id", "email")
		if err != nil {
			return c, err
		}
		if ct[0] != "" && ct[1] != "" {
			c.inner += ", contact_id AS ptd_contact_id"
			c.join = contactByTextSQL
			if ct[0] == types[0] {
				c.join = contactByKeySQL
			}
			contact = append(contact, "ct.email")
		}
	}
	if types[1] != "" {
		c.inner += ", nullif(btrim(" + proactive.ColumnContactEmail + "::text), '') AS ptd_contact_email"
		contact = append(contact, "d.ptd_contact_email")
	}
	switch len(contact) {
	case 1:
		c.outer, c.contact = ", "+contact[0], true
	case 2:
		c.outer, c.contact = ", coalesce("+contact[0]+", "+contact[1]+")", true
	}
	if len(types) > 2 && types[2] != "" {
		c.inner += ", " + ownerSQL("deals", ownerColumn) + " AS ptd_owner"
		c.outer += ", d.ptd_owner"
		c.owner = true
	}
	return c, nil
}

// syncFailuresSQL groups the unresolved sync errors since the window start
// by (source, error_type), both kept whole, through the partial index
// ptd_sync_errors_unresolved_idx. Rows created after the wall clock, and
// rows without created_at, are counted apart (skipped); those created
// after now but not after the wall clock (a read as of a past now,
// proactive.AsOf) are not there; groups with a null key are skipped by the
// caller. %[1]s is what unresolved means: syncUnresolved, or
// syncUnresolvedAsOf (resolved after now reads as unresolved).
//
// $1 since, $2 now, $3 the wall clock (proactive.AsOf: now in a live read).
const syncFailuresSQL = `
SELECT source::text, error_type::text,
	count(*) FILTER (WHERE created_at <= $2),
	count(*) FILTER (WHERE created_at > $3),
	count(*) FILTER (WHERE created_at IS NULL),
	max(created_at::timestamptz) FILTER (WHERE created_at <= $2),
	(array_agg(error_message::text ORDER BY created_at DESC, error_message::text) FILTER (WHERE created_at <= $2))[1],
	coalesce(array_agg(DISTINCT object_type::text) FILTER (WHERE created_at <= $2 AND object_type IS NOT NULL), '{}')
FROM sync_errors
WHERE %[1]s AND (created_at >= $1 OR created_at IS NULL)
GROUP BY source, error_type
-- The window's errors resolved after the wall clock: in the future, so
-- skipped and counted (one row, its key NULL, through
-- ptd_sync_errors_resolved_idx).
UNION ALL
SELECT NULL, NULL, 0, count(*), 0, NULL, NULL, '{}'
FROM sync_errors
WHERE resolved_at > $3 AND (created_at >= $1 OR created_at IS NULL)`

// What unresolved means to syncFailuresSQL: live, and as of a past now.
const (
	syncUnresolved     = `resolved_at IS NULL`
	syncUnresolvedAsOf = `(resolved_at IS NULL OR resolved_at > $2 AND resolved_at <= $3)`
)

// waitingLeadsSQL returns the new, never contacted leads created at or
// before the cutoff, and (to be counted as skipped) those with a null
// created_at or one after the wall clock, through the partial index
// ptd_leads_new_idx. %[1]s is what waiting means: leadWaiting, or
// leadWaitingAsOf for a read as of a past now (a lead contacted after now
// was new and not contacted then).
//
// $1 the wall clock (proactive.AsOf: now in a live read), $2 cutoff; $3
// now with leadWaitingAsOf.
const waitingLeadsSQL = `
SELECT id::text, coalesce(name::text, ''), coalesce(email::text, ''), coalesce(source::text, ''),
	created_at::timestamptz
FROM leads
WHERE %[1]s
  AND (created_at IS NULL OR created_at > $1 OR created_at <= $2)
-- In the order of the leads' case keys ("lead-" and the id): see
-- stalledDealsSQL.
ORDER BY id::text COLLATE "C"`

// futureContactSQL counts the new leads (any case: statusNew, see
// leadStatusNew) whose last_contact_date is after the wall clock $1: in
// the future, so skipped and counted, through ptd_leads_new_contacted_idx.
func futureContactSQL(statusNew string) string {
	return `SELECT count(*) FROM leads WHERE ` + leadNewContactedWith(statusNew) + ` AND last_contact_date > $1`
}

// leadWaitingAsOf is leadWaiting (status condition statusNew) as of a past
// now $3 read at the wall clock $1.
func leadWaitingAsOf(statusNew string) string {
	return `(` + leadWaitingWith(statusNew) + ` OR last_contact_date > $3 AND last_contact_date <= $1)`
}

// HealthTrends reduces the readings of the last q.WindowDays days (14 when
// 0) to one trend per email with at least two valid readings (DESIGN.md).
// With q.MinDrop > 0 only trends whose drop reaches it are returned. Rows
// without an email, with a score outside 0–100 or a null or future
// timestamp are skipped and counted. The configured owner and value
// columns of q that the table has are read from the newest reading; one it
// lacks reads as unset. A table of halveRows readings or more is read in
// two halves at once, on two sessions (readTrends).
func (d *DB) HealthTrends(ctx context.Context, q proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	const op = "read client health scores"
	now := q.Now.UTC()
	use, err := d.optionalColumns(ctx, proactive.TableHealthScores, q.OwnerColumn, q.ValueColumn)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	outer, inner := nameExtras(q.OwnerColumn, q.ValueColumn, use)
	windowDays := q.WindowDays
	if windowDays <= 0 {
		windowDays = proactive.HealthWindowDays
	}
	trendDays := q.TrendDays
	if trendDays <= 0 {
		trendDays = proactive.DefaultThresholds().HealthTrendDays
	}
	from := now.Add(-time.Duration(windowDays) * 24 * time.Hour)

	order := ""
	if d.major >= 16 {
		order = " ORDER BY at DESC, score"
	}
	sql := func(half string) string { return fmt.Sprintf(healthTrendsSQL, order, outer, inner, half) }
	fail := func(err error) error {
		if outer != "" {
			d.cat.forget() // a column dropped or retyped since it was looked up
		}
		return d.tableFail(op, proactive.TableHealthScores, err)
	}
	if err := d.readTrends(ctx, sql, []any{from, now, trendDays, q.MinDropBound()}, d.healthPivot(ctx), use, fn, fail); err != nil {
		return nil, err
	}

	skipped, err := d.healthSkipped(ctx, from, now, proactive.AsOf(now, q.Wall))
	if err != nil {
		return nil, d.tableFail(op, proactive.TableHealthScores, err)
	}
	return skipped, nil
}

// nameExtras are the select lists that read the configured owner and value
// columns (owner, value; types the column types optionalColumns found, ""
// for one not read) of the newest reading where its names are looked up:
// outer over the lookup n, inner over the reading c. Both "" when neither
// is read.
func nameExtras(owner, value string, types []string) (outer, inner string) {
	if types[0] != "" {
		outer += ", n.ptd_owner"
		inner += ", " + ownerSQL("c", owner) + " AS ptd_owner"
	}
	if types[1] != "" {
		outer += ", n.ptd_value"
		inner += ", " + valueSQL("c", value, types[1]) + " AS ptd_value"
	}
	return outer, inner
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

// StalledDeals returns the deals whose stage is one of q.Stages (the
// default stall stages when empty; compared case-insensitively) and whose
// last activity, coalesce(last_activity_date, updated_at, created_at), is
// at least q.MinDays whole days before q.Now. Deals in those stages with a
// negative amount, no timestamp or a last activity in the future are
// skipped and counted. Each carries its contact email (CONTRACT §11.4:
// contacts, else deals.contact_email, where they exist) and q.OwnerColumn
// where the table has it.
func (d *DB) StalledDeals(ctx context.Context, q proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error) {
	const op = "read deals"
	now := q.Now.UTC()
	dc, err := d.dealContext(ctx, q.OwnerColumn)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableDeals, err)
	}
	stages := q.Stages
	if len(stages) == 0 {
		stages = proactive.DefaultStallStages()
	}
	lower := make([]string, len(stages))
	for i, s := range stages {
		lower[i] = strings.ToLower(strings.TrimSpace(s))
	}
	cutoff := now
	if q.MinDays > 0 {
		cutoff = now.Add(-time.Duration(q.MinDays) * 24 * time.Hour)
	}
	wall := proactive.AsOf(now, q.Wall)
	inStages, stageArg, err := d.dealStages(ctx, lower)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableDeals, err)
	}
	activity, cond, args := dealsLive, "", []any{stageArg, now, cutoff}
	if wall.After(now) {
		activity, cond, args = dealsAsOfActive, dealsAsOf, append(args, wall)
	}
	rows, err := d.pool.Query(ctx, fmt.Sprintf(stalledDealsSQL, dc.inner, dc.outer, dc.join, activity, cond, inStages), args...)
	if err != nil {
		if dc.inner != "" {
			d.cat.forget() // a column or table dropped since it was looked up
		}
		return nil, d.tableFail(op, proactive.TableDeals, err)
	}
	defer rows.Close()
	skipped := proactive.Skipped{}
	var (
		dl             proactive.Deal
		last           *time.Time
		contact, owner *string
		dest           = []any{&dl.ID, &dl.Name, &dl.Stage, &dl.Amount, &last}
	)
	if dc.contact {
		dest = append(dest, &contact)
	}
	if dc.owner {
		dest = append(dest, &owner)
	}
	for rows.Next() {
		dl, last, contact, owner = proactive.Deal{}, nil, nil, nil
		if err := rows.Scan(dest...); err != nil {
			return nil, d.tableFail(op, proactive.TableDeals, err)
		}
		if contact != nil {
			dl.ContactEmail = proactive.NormEmail(*contact)
		}
		if owner != nil {
			dl.Owner = strings.TrimSpace(*owner)
		}
		switch {
		case dl.Amount != nil && *dl.Amount < 0:
			skipped.Add(proactive.SkipNegativeAmount, 1)
		case last == nil:
			skipped.Add(proactive.SkipNullTimestamp, 1)
		case last.After(wall):
			skipped.Add(proactive.SkipFutureTimestamp, 1)
		default:
			dl.LastActivity = last.UTC()
			if err := fn(dl); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.tableFail(op, proactive.TableDeals, err)
	}
	return skipped, nil
}

// SyncFailures groups the unresolved sync errors created in [q.Since,
// q.Now] by (source, error_type), both kept whole, with the count, the
// newest created_at and its message, and the distinct object types.
// Unresolved rows created after q.Now or without created_at, and rows with
// a null source or error_type, are skipped and counted.
func (d *DB) SyncFailures(ctx context.Context, q proactive.SyncQuery, fn func(proactive.SyncFailureGroup) error) (proactive.Skipped, error) {
	const op = "read sync errors"
	now := q.Now.UTC()
	since := q.Since.UTC()
	if q.Since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	wall, unresolved := proactive.AsOf(now, q.Wall), syncUnresolved
	if wall.After(now) {
		unresolved = syncUnresolvedAsOf
	}
	rows, err := d.pool.Query(ctx, fmt.Sprintf(syncFailuresSQL, unresolved), since, now, wall)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableSyncErrors, err)
	}
	defer rows.Close()
	out := []proactive.SyncFailureGroup{}
	skipped := proactive.Skipped{}
	for rows.Next() {
		var source, errType, msg *string
		var count, future, nullTS int64
		var latest *time.Time
		var objectTypes []string
		if err := rows.Scan(&source, &errType, &count, &future, &nullTS, &latest, &msg, &objectTypes); err != nil {
			return nil, d.tableFail(op, proactive.TableSyncErrors, err)
		}
		skipped.Add(proactive.SkipFutureTimestamp, int(future))
		skipped.Add(proactive.SkipNullTimestamp, int(nullTS))
		if source == nil || errType == nil {
			skipped.Add(proactive.SkipNullKey, int(count))
			continue
		}
		if count == 0 {
			continue
		}
		g := proactive.SyncFailureGroup{Source: *source, ErrorType: *errType, Count: int(count), ObjectTypes: objectTypes}
		if latest != nil {
			g.LatestAt = latest.UTC()
		}
		if msg != nil {
			g.LatestMessage = *msg
		}
		slices.Sort(g.ObjectTypes)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, d.tableFail(op, proactive.TableSyncErrors, err)
	}
	slices.SortFunc(out, func(a, b proactive.SyncFailureGroup) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.ErrorType, b.ErrorType)
	})
	// One group per source and error type: few, sorted here.
	for _, g := range out {
		if err := fn(g); err != nil {
			return nil, err
		}
	}
	return skipped, nil
}

// WaitingLeads returns the leads with status new (any case) and no
// last_contact_date created at least q.MinHours before q.Now. Such leads
// with a null or future created_at are skipped and counted, and so are
// new leads whose last_contact_date is in the future.
func (d *DB) WaitingLeads(ctx context.Context, q proactive.LeadQuery, fn func(proactive.Lead) error) (proactive.Skipped, error) {
	const op = "read leads"
	now := q.Now.UTC()
	cutoff := now
	if q.MinHours > 0 {
		cutoff = now.Add(-time.Duration(q.MinHours * float64(time.Hour)))
	}
	wall := proactive.AsOf(now, q.Wall)
	statusNew, err := d.leadStatusNew(ctx)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableLeads, err)
	}
	waiting, args := leadWaitingWith(statusNew), []any{wall, cutoff}
	if wall.After(now) {
		waiting, args = leadWaitingAsOf(statusNew), append(args, now)
	}
	skipped := proactive.Skipped{}
	var future int64
	if err := d.pool.QueryRow(ctx, futureContactSQL(statusNew), wall).Scan(&future); err != nil {
		return nil, d.tableFail(op, proactive.TableLeads, err)
	}
	skipped.Add(proactive.SkipFutureTimestamp, int(future))
	rows, err := d.pool.Query(ctx, fmt.Sprintf(waitingLeadsSQL, waiting), args...)
	if err != nil {
		return nil, d.tableFail(op, proactive.TableLeads, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l proactive.Lead
		var created *time.Time
		if err := rows.Scan(&l.ID, &l.Name, &l.Email, &l.Source, &created); err != nil {
			return nil, d.tableFail(op, proactive.TableLeads, err)
		}
		switch {
		case created == nil:
			skipped.Add(proactive.SkipNullTimestamp, 1)
		case created.After(wall):
			skipped.Add(proactive.SkipFutureTimestamp, 1)
		default:
			l.CreatedAt = created.UTC()
			if err := fn(l); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.tableFail(op, proactive.TableLeads, err)
	}
	return skipped, nil
}

// ConcurrentReads reports that checks may read at the same time, each on
// a connection of the pool (scan.ConcurrentSource).
func (d *DB) ConcurrentReads() bool { return true }
