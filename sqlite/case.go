package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// caseColumns is the select list scanCase reads, each column qualified
// with alias ("" or "c."); caseArgs renders a case in the same order.
func caseColumns(alias string) string {
	cols := strings.Split(caseColumnNames, ", ")
	for i, c := range cols {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

// caseColumnNames are the columns of ptd_cases, in caseArgs' order.
const caseColumnNames = "id, type, key, label, state, severity, peak_severity, urgency, opened_at, last_seen_at, " +
	"resolved_at, resolve_reason, owner, acknowledged_by, acknowledged_at, ack_severity, snoozed_until, " +
	"snooze_reason, inhibited_by, note, previous_case_id, details, seq, updated_at, assigned, woke_at, metric"

// caseOrder is the order of FindCases.
const caseOrder = "ORDER BY urgency DESC, opened_at, key, id"

// nullText is s, or NULL for "".
func nullText[T ~string](s T) any {
	if s == "" {
		return nil
	}
	return string(s)
}

// caseArgs renders every column of a case, in caseColumnNames' order:
// empty texts as NULL, times in the canonical form.
func caseArgs(c *proactive.Case) []any {
	var details any
	if len(c.Details) > 0 {
		details = string(c.Details)
	}
	return []any{
		c.ID, string(c.Type), c.Key, nullText(c.Label), string(c.State), nullText(c.Severity),
		nullText(c.PeakSeverity), c.Urgency, formatTime(c.OpenedAt), formatTime(c.LastSeenAt),
		nullTimeText(c.ResolvedAt), nullText(c.ResolveReason), nullText(c.Owner), nullText(c.AcknowledgedBy),
		nullTimeText(c.AcknowledgedAt), nullText(c.AckSeverity), nullTimeText(c.SnoozedUntil),
		nullText(c.SnoozeReason), nullText(c.InhibitedBy), nullText(c.Note), nullText(c.PreviousCaseID),
		details, c.Seq, formatTime(c.UpdatedAt), c.Assigned, nullTimeText(c.WokeAt), c.Metric,
	}
}

// scanCase reads one row of caseColumns.
func scanCase(r rowScanner) (proactive.Case, error) {
	var (
		c                                                     proactive.Case
		typ, state                                            string
		label, severity, peak, reason, owner, ackBy, ackSev   sql.NullString
		snoozeReason, inhibitedBy, note, previous, details    sql.NullString
		opened, lastSeen, resolved, ackAt, snoozed, upd, woke nullTime
	)
	if err := r.Scan(&c.ID, &typ, &c.Key, &label, &state, &severity, &peak, &c.Urgency, &opened, &lastSeen,
		&resolved, &reason, &owner, &ackBy, &ackAt, &ackSev, &snoozed, &snoozeReason, &inhibitedBy, &note,
		&previous, &details, &c.Seq, &upd, &c.Assigned, &woke, &c.Metric); err != nil {
		return c, err
	}
	c.Type, c.State, c.Label = proactive.AnomalyType(typ), proactive.CaseState(state), label.String
	c.Severity, c.PeakSeverity = proactive.Severity(severity.String), proactive.Severity(peak.String)
	c.OpenedAt, c.LastSeenAt, c.ResolvedAt, c.ResolveReason = opened.Time, lastSeen.Time, resolved.ptr(), reason.String
	c.Owner, c.AcknowledgedBy, c.AcknowledgedAt = owner.String, ackBy.String, ackAt.ptr()
	c.AckSeverity, c.SnoozedUntil, c.SnoozeReason = proactive.Severity(ackSev.String), snoozed.ptr(), snoozeReason.String
	c.InhibitedBy, c.Note, c.PreviousCaseID = inhibitedBy.String, note.String, previous.String
	c.UpdatedAt, c.WokeAt = upd.Time, woke.ptr()
	if details.Valid && details.String != "" {
		c.Details = json.RawMessage(details.String)
	}
	return c, nil
}

// queryCases runs a query of caseColumns and reads every row.
func (t *deskTx) queryCases(ctx context.Context, op, query string, args ...any) ([]proactive.Case, error) {
	return t.queryCasesInto(ctx, nil, scanCase, op, query, args...)
}

// queryCasesInto runs a query of cases, reading every row with scan and
// appending it to out.
func (t *deskTx) queryCasesInto(ctx context.Context, out []proactive.Case, scan func(rowScanner) (proactive.Case, error), op, query string, args ...any) ([]proactive.Case, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, translate(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// UnresolvedCases implements proactive.DeskTx: the keys travel as one JSON
// array (json_each), each looked up in the unique index of unresolved
// cases.
func (t *deskTx) UnresolvedCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	const op = "read unresolved cases"
	list, err := jsonList(keys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t.queryCases(ctx, op, `
		SELECT `+caseColumns("")+` FROM ptd_cases
		WHERE resolved_at IS NULL AND key IN (SELECT value FROM json_each(?))`, list)
}

// seenCaseColumns are the columns of SeenCases (scanSeenCase).
const seenCaseColumns = `id, type, key, coalesce(label, ''), state, coalesce(severity, ''), coalesce(peak_severity, ''),
			coalesce(ack_severity, ''), urgency, last_seen_at, coalesce(owner, ''), assigned, metric, details, seq,
			updated_at, woke_at`

// SeenCases implements proactive.DeskTx: UnresolvedCases' lookup, reading
// only the columns of Case.ScanView (each column read costs the driver a
// call into SQLite, and a scan reads thousands of cases).
func (t *deskTx) SeenCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	const op = "read unresolved cases"
	list, err := jsonList(keys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// At most one case per key: room for all of them up front.
	return t.queryCasesInto(ctx, make([]proactive.Case, 0, len(keys)), scanSeenCase, op, `
		SELECT `+seenCaseColumns+`
		FROM ptd_cases
		WHERE resolved_at IS NULL AND key IN (SELECT value FROM json_each(?))`, list)
}

// seenCasesBetweenSQL reads the unresolved cases whose key lies between
// ?1 and ?2 (an index range: TestSeenCasesBetweenWalksAKeyIndex).
const seenCasesBetweenSQL = `
		SELECT ` + seenCaseColumns + `
		FROM ptd_cases
		WHERE resolved_at IS NULL AND key >= ?1 AND key <= ?2`

// SeenCasesBetween implements proactive.DeskTx: one walk of the unique
// index of unresolved cases from lo to hi (SQLite compares TEXT byte by
// byte), keeping the rows of keys; the others are cases the scan did not
// see (it resolves them apart).
func (t *deskTx) SeenCasesBetween(ctx context.Context, keys []string, lo, hi string) ([]proactive.Case, error) {
	const op = "read unresolved cases"
	want, err := proactive.KeysBetween(keys, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(want) == 0 {
		return nil, nil
	}
	// Room for one case per key; the few others (cases not seen) are
	// dropped after.
	out, err := t.queryCasesInto(ctx, make([]proactive.Case, 0, len(keys)), scanSeenCase, op, seenCasesBetweenSQL, lo, hi)
	return slices.DeleteFunc(out, func(c proactive.Case) bool {
		_, asked := want[c.Key]
		return !asked
	}), err
}

// scanSeenCase reads one row of SeenCases' columns.
func scanSeenCase(r rowScanner) (proactive.Case, error) {
	var (
		c                                  proactive.Case
		typ, state, severity, peak, ackSev string
		details                            sql.NullString
		lastSeen, updated, woke            nullTime
	)
	if err := r.Scan(&c.ID, &typ, &c.Key, &c.Label, &state, &severity, &peak, &ackSev, &c.Urgency, &lastSeen,
		&c.Owner, &c.Assigned, &c.Metric, &details, &c.Seq, &updated, &woke); err != nil {
		return c, err
	}
	c.Type, c.State = proactive.AnomalyType(typ), proactive.CaseState(state)
	c.Severity, c.PeakSeverity, c.AckSeverity = proactive.Severity(severity), proactive.Severity(peak), proactive.Severity(ackSev)
	c.LastSeenAt, c.UpdatedAt, c.WokeAt = lastSeen.Time, updated.Time, woke.ptr()
	if details.Valid && details.String != "" {
		c.Details = json.RawMessage(details.String)
	}
	return c, nil
}

// CasesByID implements proactive.DeskTx: in the order of ids.
func (t *deskTx) CasesByID(ctx context.Context, ids []string) ([]proactive.Case, error) {
	const op = "read cases by id"
	list, err := jsonList(ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t.queryCases(ctx, op, `
		SELECT `+caseColumns("c.")+` FROM json_each(?) j CROSS JOIN ptd_cases c ON c.id = j.value
		ORDER BY j.key`, list)
}

// FindCases implements proactive.DeskTx. Owner and Search ignore case as
// Go does (SQLite's lower() folds ASCII only), so they are applied here,
// after the query, and the limit with them.
func (t *deskTx) FindCases(ctx context.Context, q proactive.CaseQuery) ([]proactive.Case, error) {
	const op = "find cases"
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.Unresolved {
		add("resolved_at IS NULL")
	}
	if len(q.States) > 0 {
		list, err := jsonList(q.States)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		add("state IN (SELECT value FROM json_each(?))", list)
	}
	if len(q.Types) > 0 {
		list, err := jsonList(q.Types)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		add("type IN (SELECT value FROM json_each(?))", list)
	}
	if q.Key != "" {
		add("key = ?", q.Key)
	}
	if q.IDPrefix != "" {
		p := strings.ToLower(q.IDPrefix)
		add("substr(id, 1, ?) = ?", len(p), p)
	}
	if q.SnoozedUntilAtMost != nil {
		add("state = 'snoozed' AND snoozed_until IS NOT NULL AND snoozed_until <= ?", formatTime(*q.SnoozedUntilAtMost))
	}
	if q.LastSeenAtMost != nil {
		add("last_seen_at <= ?", formatTime(*q.LastSeenAtMost))
	}
	if q.ResolvedSince != nil {
		add("resolved_at > ?", formatTime(*q.ResolvedSince))
	}
	query := `SELECT ` + caseColumns("") + ` FROM ptd_cases`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " " + caseOrder
	inGo := q.Owner != "" || q.Search != ""
	if q.Limit > 0 && !inGo {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	cs, err := t.queryCases(ctx, op, query, args...)
	if err != nil || !inGo {
		return cs, err
	}
	search := strings.ToLower(q.Search)
	out := cs[:0]
	for _, c := range cs {
		if q.Owner != "" && !strings.EqualFold(q.Owner, c.Owner) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(c.Key), search) && !strings.Contains(strings.ToLower(c.Label), search) {
			continue
		}
		out = append(out, c)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

// NewestResolvedCaseIDs implements proactive.DeskTx.
func (t *deskTx) NewestResolvedCaseIDs(ctx context.Context, keys []string) (map[string]string, error) {
	const op = "read the newest resolved cases"
	list, err := jsonList(keys)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := t.tx.QueryContext(ctx, `
		SELECT key, id FROM ptd_cases
		WHERE resolved_at IS NOT NULL AND key IN (SELECT value FROM json_each(?))
		ORDER BY key, resolved_at DESC, opened_at DESC`, list)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var key, id string
		if err := rows.Scan(&key, &id); err != nil {
			return nil, translate(op, err)
		}
		if _, seen := out[key]; !seen {
			out[key] = id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// rowsPerInsert is how many rows one INSERT statement of the desk writes:
// each statement costs a fixed overhead (binding, a context watch), so a
// scan's thousands of rows go in statements of many rows, well under
// SQLite's limit on parameters (32,766).
const rowsPerInsert = 64

// insertRows inserts n rows into table (cols, comma-separated) with
// multi-row INSERT statements; args(i) renders row i. what names a row in
// errors.
func (t *deskTx) insertRows(ctx context.Context, table, cols string, n int, args func(i int) []any, what func(i int) string) error {
	width := strings.Count(cols, ",") + 1
	row := "(?" + strings.Repeat(", ?", width-1) + ")"
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	for from := 0; from < n; from += rowsPerInsert {
		to := min(from+rowsPerInsert, n)
		stmt, ok := stmts[to-from]
		if !ok {
			var err error
			stmt, err = t.tx.PrepareContext(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+row+strings.Repeat(", "+row, to-from-1))
			if err != nil {
				return translate("insert into "+table, err)
			}
			stmts[to-from] = stmt
		}
		vals := make([]any, 0, width*(to-from))
		for i := from; i < to; i++ {
			vals = append(vals, args(i)...)
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			op := "insert " + what(from)
			if to-from > 1 {
				op += fmt.Sprintf(" and %d more", to-from-1)
			}
			return translate(op, err)
		}
	}
	return nil
}

// InsertCases implements proactive.DeskTx: multi-row INSERTs. A second
// unresolved case for a key violates the unique index: ECONFLICT.
func (t *deskTx) InsertCases(ctx context.Context, cs []proactive.Case) error {
	if err := t.mustWrite("insert cases"); err != nil {
		return err
	}
	return t.insertRows(ctx, "ptd_cases", caseColumnNames, len(cs),
		func(i int) []any { return caseArgs(&cs[i]) },
		func(i int) string { return fmt.Sprintf("case %s (%s)", cs[i].ID, cs[i].Key) })
}

// UpdateCases implements proactive.DeskTx: UPDATE … FROM (VALUES …) of
// rowsPerInsert cases at a time. A case given twice is written as its last
// copy; an unknown id is ENOTFOUND.
func (t *deskTx) UpdateCases(ctx context.Context, cs []proactive.Case) error {
	names := strings.Split(caseColumnNames, ", ")
	return t.updateCases(ctx, "update cases", names, cs, caseArgs)
}

// refreshColumns are the columns RefreshCases writes, id first, in
// refreshArgs' order.
const refreshColumns = "id, last_seen_at, urgency, label, owner, metric, details"

// refreshArgs are the values of refreshColumns of one case.
func refreshArgs(c *proactive.Case) []any {
	var details any
	if len(c.Details) > 0 {
		details = string(c.Details)
	}
	return []any{c.ID, formatTime(c.LastSeenAt), c.Urgency, nullText(c.Label), nullText(c.Owner), c.Metric, details}
}

// RefreshCases implements proactive.DeskTx: like UpdateCases, with only
// the figures a scan refreshes.
func (t *deskTx) RefreshCases(ctx context.Context, cs []proactive.Case) error {
	return t.updateCases(ctx, "refresh cases", strings.Split(refreshColumns, ", "), cs, refreshArgs)
}

// updateCases writes the columns names (id first) of each case, args
// giving their values, with UPDATE … FROM (VALUES …) of rowsPerInsert
// cases at a time, each statement prepared once per size. A case given
// twice is written as its last copy; an unknown id is ENOTFOUND.
func (t *deskTx) updateCases(ctx context.Context, op string, names []string, cs []proactive.Case, args func(*proactive.Case) []any) error {
	if err := t.mustWrite(op); err != nil {
		return err
	}
	cs = proactive.LastCopies(cs)
	sets := make([]string, 0, len(names)-1)
	for i, name := range names[1:] {
		sets = append(sets, fmt.Sprintf("%s = v.column%d", name, i+2))
	}
	row := "(?" + strings.Repeat(", ?", len(names)-1) + ")"
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	for from := 0; from < len(cs); from += rowsPerInsert {
		to := min(from+rowsPerInsert, len(cs))
		stmt, ok := stmts[to-from]
		if !ok {
			var err error
			stmt, err = t.tx.PrepareContext(ctx, "UPDATE ptd_cases SET "+strings.Join(sets, ", ")+
				" FROM (VALUES "+row+strings.Repeat(", "+row, to-from-1)+") AS v WHERE ptd_cases.id = v.column1")
			if err != nil {
				return translate(op, err)
			}
			stmts[to-from] = stmt
		}
		vals := make([]any, 0, len(names)*(to-from))
		for i := from; i < to; i++ {
			vals = append(vals, args(&cs[i])...)
		}
		res, err := stmt.ExecContext(ctx, vals...)
		if err != nil {
			return translate(fmt.Sprintf("%s: case %s (%s) and %d more", op, cs[from].ID, cs[from].Key, to-from-1), err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return translate(op, err)
		} else if int(n) != to-from {
			return proactive.Errorf(proactive.ENOTFOUND, "%s: %d of %d cases not found", op, to-from-int(n), to-from)
		}
	}
	return nil
}

// TouchCases implements proactive.DeskTx, in one UPDATE.
func (t *deskTx) TouchCases(ctx context.Context, ids []string, at time.Time) error {
	return t.touch(ctx, ids, at, "")
}

// TouchCasesBetween implements proactive.DeskTx: TouchCases' lookup by
// id (SQLite finds each through the primary key as fast as through the
// key range), restricted to the range.
func (t *deskTx) TouchCasesBetween(ctx context.Context, ids []string, lo, hi string, at time.Time) error {
	if _, err := proactive.KeysBetween(nil, lo, hi); err != nil {
		return fmt.Errorf("touch cases: %w", err)
	}
	return t.touch(ctx, ids, at, " AND resolved_at IS NULL AND key >= ?3 AND key <= ?4", lo, hi)
}

// touch moves last_seen_at of the cases of ids that also meet cond (more
// conditions on ?3 and on, args) forward to at.
func (t *deskTx) touch(ctx context.Context, ids []string, at time.Time, cond string, args ...any) error {
	const op = "touch cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	list, err := jsonList(ids)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = t.tx.ExecContext(ctx, `
		UPDATE ptd_cases SET last_seen_at = ?1
		WHERE id IN (SELECT value FROM json_each(?2)) AND last_seen_at < ?1`+cond,
		append([]any{formatTime(at), list}, args...)...)
	return translate(op, err)
}

// clearInhibitedSQL clears inhibited_by of the unresolved cases of type
// ?1, finding them through ptd_cases_inhibited_idx: the few inhibited
// cases, not every unresolved case of the type.
const clearInhibitedSQL = `
	UPDATE ptd_cases SET inhibited_by = NULL
	WHERE type = ?1 AND resolved_at IS NULL AND inhibited_by IS NOT NULL`

// SetInhibitedBy implements proactive.DeskTx.
func (t *deskTx) SetInhibitedBy(ctx context.Context, typ proactive.AnomalyType, by string) error {
	op := "set inhibited_by of " + string(typ) + " cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if by == "" {
		_, err := t.tx.ExecContext(ctx, clearInhibitedSQL, string(typ))
		return translate(op, err)
	}
	_, err := t.tx.ExecContext(ctx, `
		UPDATE ptd_cases SET inhibited_by = ?1
		WHERE type = ?2 AND resolved_at IS NULL AND inhibited_by IS NOT ?1`, by, string(typ))
	return translate(op, err)
}

// AddCaseEvents implements proactive.DeskTx: multi-row INSERTs. A second
// event with a case's seq is ECONFLICT.
func (t *deskTx) AddCaseEvents(ctx context.Context, evs []proactive.CaseEvent) error {
	if err := t.mustWrite("add case events"); err != nil {
		return err
	}
	return t.insertRows(ctx, "ptd_case_events", "id, case_id, seq, at, kind, actor, severity, note", len(evs),
		func(i int) []any {
			e := &evs[i]
			return []any{e.ID, e.CaseID, e.Seq, formatTime(e.At), string(e.Kind), nullText(e.Actor), nullText(e.Severity), nullText(e.Note)}
		},
		func(i int) string { return fmt.Sprintf("event %d of case %s", evs[i].Seq, evs[i].CaseID) })
}

// CaseEvents implements proactive.DeskTx: by case, in the order of
// caseIDs, then seq.
func (t *deskTx) CaseEvents(ctx context.Context, caseIDs []string) ([]proactive.CaseEvent, error) {
	const op = "read case events"
	list, err := jsonList(caseIDs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := t.tx.QueryContext(ctx, `
		SELECT e.id, e.case_id, e.seq, e.at, e.kind, e.actor, e.severity, e.note
		FROM json_each(?) j CROSS JOIN ptd_case_events e ON e.case_id = j.value
		ORDER BY j.key, e.seq`, list)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	var out []proactive.CaseEvent
	for rows.Next() {
		var (
			e                     proactive.CaseEvent
			kind                  string
			at                    nullTime
			actor, severity, note sql.NullString
		)
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Seq, &at, &kind, &actor, &severity, &note); err != nil {
			return nil, translate(op, err)
		}
		e.At, e.Kind, e.Actor, e.Severity, e.Note = at.Time, proactive.EventKind(kind), actor.String, proactive.Severity(severity.String), note.String
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// FindSilences implements proactive.DeskTx.
func (t *deskTx) FindSilences(ctx context.Context, q proactive.SilenceQuery) ([]proactive.Silence, error) {
	const op = "find silences"
	var where []string
	var args []any
	if !q.EndsAfter.IsZero() {
		where = append(where, "ends_at > ?")
		args = append(args, formatTime(q.EndsAfter))
	}
	if q.IDPrefix != "" {
		p := strings.ToLower(q.IDPrefix)
		where = append(where, "substr(id, 1, ?) = ?")
		args = append(args, len(p), p)
	}
	query := `SELECT id, match, type, owner, starts_at, ends_at, created_by, reason, created_at FROM ptd_silences`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := t.tx.QueryContext(ctx, query+" ORDER BY starts_at, id", args...)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	var out []proactive.Silence
	for rows.Next() {
		var (
			s                             proactive.Silence
			typ, owner, createdBy, reason sql.NullString
			starts, ends, created         nullTime
		)
		if err := rows.Scan(&s.ID, &s.Match, &typ, &owner, &starts, &ends, &createdBy, &reason, &created); err != nil {
			return nil, translate(op, err)
		}
		s.Type, s.Owner, s.CreatedBy, s.Reason = proactive.AnomalyType(typ.String), owner.String, createdBy.String, reason.String
		s.StartsAt, s.EndsAt, s.CreatedAt = starts.Time, ends.Time, created.Time
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// InsertSilence implements proactive.DeskTx.
func (t *deskTx) InsertSilence(ctx context.Context, s proactive.Silence) error {
	op := "insert silence " + s.ID
	if err := t.mustWrite(op); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO ptd_silences (id, match, type, owner, starts_at, ends_at, created_by, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Match, nullText(s.Type), nullText(s.Owner), formatTime(s.StartsAt), formatTime(s.EndsAt),
		nullText(s.CreatedBy), nullText(s.Reason), formatTime(s.CreatedAt))
	return translate(op, err)
}

// SetSilenceEnd implements proactive.DeskTx.
func (t *deskTx) SetSilenceEnd(ctx context.Context, id string, end time.Time) error {
	op := "expire silence " + id
	if err := t.mustWrite(op); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE ptd_silences SET ends_at = ? WHERE id = ?`, formatTime(end), id)
	if err != nil {
		return translate(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(op, err)
	} else if n == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "silence %s not found", id)
	}
	return nil
}

// UnresolvedCaseIDs implements proactive.DeskTx.
func (t *deskTx) UnresolvedCaseIDs(ctx context.Context, ids []string) ([]string, error) {
	const op = "read unresolved case ids"
	list, err := jsonList(ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t.strings(ctx, op, `
		SELECT c.id FROM json_each(?) j JOIN ptd_cases c ON c.id = j.value
		WHERE c.resolved_at IS NULL`, list)
}

// strings runs a query of one text column.
func (t *deskTx) strings(ctx context.Context, op, query string, args ...any) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, translate(op, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// CountUnresolvedCases implements proactive.DeskTx.
func (t *deskTx) CountUnresolvedCases(ctx context.Context) (int, error) {
	var n int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM ptd_cases WHERE resolved_at IS NULL`).Scan(&n); err != nil {
		return 0, translate("count unresolved cases", err)
	}
	return n, nil
}

// CountCases implements proactive.DeskTx.
func (t *deskTx) CountCases(ctx context.Context) ([]proactive.CaseCount, error) {
	const op = "count cases"
	rows, err := t.tx.QueryContext(ctx, `SELECT type, state, count(*) FROM ptd_cases GROUP BY type, state ORDER BY type, state`)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	var out []proactive.CaseCount
	for rows.Next() {
		var c proactive.CaseCount
		if err := rows.Scan(&c.Type, &c.State, &c.Count); err != nil {
			return nil, translate(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// nullTimeText is an optional timestamp as the store writes it, or NULL.
func nullTimeText(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}
