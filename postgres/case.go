package postgres

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// caseColumn is one column of ptd_cases as UpdateCases writes it:
// the SQL array type of its parameter, and the expression that turns the
// unnest alias u.<name> into the column's value (empty texts to NULL).
type caseColumn struct {
	name, array, value string
}

// caseColumnList are the columns of ptd_cases, in caseArrays.args' order.
func caseColumnList() []caseColumn {
	text := func(name string) caseColumn { return caseColumn{name, "text[]", "u." + name} }
	nullable := func(name string) caseColumn { return caseColumn{name, "text[]", "nullif(u." + name + ", '')"} }
	ts := func(name string) caseColumn { return caseColumn{name, "timestamptz[]", "u." + name} }
	return []caseColumn{
		{"id", "text[]", "u.id::uuid"}, text("type"), text("key"), nullable("label"), text("state"),
		nullable("severity"), nullable("peak_severity"), {"urgency", "int4[]", "u.urgency"},
		ts("opened_at"), ts("last_seen_at"), ts("resolved_at"), nullable("resolve_reason"), nullable("owner"),
		nullable("acknowledged_by"), ts("acknowledged_at"), nullable("ack_severity"), ts("snoozed_until"),
		nullable("snooze_reason"), nullable("inhibited_by"), nullable("note"),
		{"previous_case_id", "text[]", "nullif(u.previous_case_id, '')::uuid"},
		{"details", "text[]", "nullif(u.details, '')::json"},
		{"seq", "int4[]", "u.seq"}, ts("updated_at"), {"assigned", "bool[]", "u.assigned"}, ts("woke_at"),
		{"metric", "float8[]", "u.metric"},
	}
}

// caseUnnest is the FROM item of updateCasesSQL: one row u per case
// of caseArrays.args, parameters $1…$27.
func caseUnnest() string {
	var params, names []string
	for i, c := range caseColumnList() {
		params = append(params, fmt.Sprintf("$%d::%s", i+1, c.array))
		names = append(names, c.name)
	}
	return "unnest(" + strings.Join(params, ", ") + ") AS u(" + strings.Join(names, ", ") + ")"
}

// updateCasesSQL writes every column of the cases of caseArrays.args, by id.
func updateCasesSQL() string {
	var sets []string
	for _, c := range caseColumnList()[1:] {
		sets = append(sets, c.name+" = "+c.value)
	}
	return "UPDATE ptd_cases c SET " + strings.Join(sets, ", ") + " FROM " + caseUnnest() + " WHERE c.id = u.id::uuid"
}

// caseArrays are cases column by column: the parameters of updateCasesSQL.
type caseArrays struct {
	id, typ, key, label, state, severity, peak                  []string
	urgency, seq                                                []int32
	opened, lastSeen, updated                                   []time.Time
	resolved, ackAt, snoozed, woke                              []*time.Time
	reason, owner, ackBy, ackSev, snoozeReason, inhibited, note []string
	previous, details                                           []string
	assigned                                                    []bool
	metric                                                      []float64
}

// newCaseArrays renders cases column by column, times in UTC.
func newCaseArrays(cs []proactive.Case) *caseArrays {
	n := len(cs)
	s := func() []string { return make([]string, n) }
	t := func() []*time.Time { return make([]*time.Time, n) }
	a := &caseArrays{
		id: s(), typ: s(), key: s(), label: s(), state: s(), severity: s(), peak: s(),
		urgency: make([]int32, n), seq: make([]int32, n),
		opened: make([]time.Time, n), lastSeen: make([]time.Time, n), updated: make([]time.Time, n),
		resolved: t(), ackAt: t(), snoozed: t(), woke: t(),
		reason: s(), owner: s(), ackBy: s(), ackSev: s(), snoozeReason: s(), inhibited: s(), note: s(),
		previous: s(), details: s(), assigned: make([]bool, n), metric: make([]float64, n),
	}
	for i := range cs {
		c := &cs[i]
		a.id[i], a.typ[i], a.key[i], a.label[i], a.state[i] = c.ID, string(c.Type), c.Key, c.Label, string(c.State)
		a.severity[i], a.peak[i], a.urgency[i] = string(c.Severity), string(c.PeakSeverity), int32(c.Urgency)
		a.opened[i], a.lastSeen[i], a.resolved[i] = c.OpenedAt.UTC(), c.LastSeenAt.UTC(), utcPtr(c.ResolvedAt)
		a.reason[i], a.owner[i], a.ackBy[i], a.ackAt[i] = c.ResolveReason, c.Owner, c.AcknowledgedBy, utcPtr(c.AcknowledgedAt)
		a.ackSev[i], a.snoozed[i], a.snoozeReason[i] = string(c.AckSeverity), utcPtr(c.SnoozedUntil), c.SnoozeReason
		a.inhibited[i], a.note[i], a.previous[i], a.details[i] = c.InhibitedBy, c.Note, c.PreviousCaseID, string(c.Details)
		a.seq[i], a.updated[i], a.assigned[i], a.woke[i], a.metric[i] = int32(c.Seq), c.UpdatedAt.UTC(), c.Assigned, utcPtr(c.WokeAt), c.Metric
	}
	return a
}

// args are the parameters $1…$27 of caseUnnest.
func (a *caseArrays) args() []any {
	return []any{
		a.id, a.typ, a.key, a.label, a.state, a.severity, a.peak, a.urgency, a.opened, a.lastSeen,
		a.resolved, a.reason, a.owner, a.ackBy, a.ackAt, a.ackSev, a.snoozed, a.snoozeReason, a.inhibited, a.note,
		a.previous, a.details, a.seq, a.updated, a.assigned, a.woke, a.metric,
	}
}

// caseColumns is the select list scanCase reads, each column qualified
// with alias ("" or "c.").
func caseColumns(alias string) string {
	return strings.NewReplacer("%", alias).Replace(`%id::text, %type, %key, coalesce(%label, ''), %state,
		coalesce(%severity, ''), coalesce(%peak_severity, ''), %urgency, %opened_at, %last_seen_at, %resolved_at,
		coalesce(%resolve_reason, ''), coalesce(%owner, ''), coalesce(%acknowledged_by, ''), %acknowledged_at,
		coalesce(%ack_severity, ''), %snoozed_until, coalesce(%snooze_reason, ''), coalesce(%inhibited_by, ''),
		coalesce(%note, ''), coalesce(%previous_case_id::text, ''), %details::text, %seq, %updated_at, %assigned,
		%woke_at, %metric`)
}

// caseOrder is the order of FindCases.
const caseOrder = `ORDER BY urgency DESC, opened_at, key COLLATE "C", id`

// scanCase reads one row of caseColumns; times come back in UTC.
func scanCase(row pgx.Row) (proactive.Case, error) {
	var (
		c                                  proactive.Case
		typ, state, severity, peak, ackSev string
		resolved, ackAt, snoozed, woke     *time.Time
		details                            *string
	)
	err := row.Scan(&c.ID, &typ, &c.Key, &c.Label, &state, &severity, &peak, &c.Urgency, &c.OpenedAt, &c.LastSeenAt,
		&resolved, &c.ResolveReason, &c.Owner, &c.AcknowledgedBy, &ackAt, &ackSev, &snoozed, &c.SnoozeReason,
		&c.InhibitedBy, &c.Note, &c.PreviousCaseID, &details, &c.Seq, &c.UpdatedAt, &c.Assigned, &woke, &c.Metric)
	if err != nil {
		return c, err
	}
	c.Type, c.State = proactive.AnomalyType(typ), proactive.CaseState(state)
	c.Severity, c.PeakSeverity, c.AckSeverity = proactive.Severity(severity), proactive.Severity(peak), proactive.Severity(ackSev)
	c.OpenedAt, c.LastSeenAt, c.UpdatedAt = c.OpenedAt.UTC(), c.LastSeenAt.UTC(), c.UpdatedAt.UTC()
	c.ResolvedAt, c.AcknowledgedAt, c.SnoozedUntil, c.WokeAt = utcPtr(resolved), utcPtr(ackAt), utcPtr(snoozed), utcPtr(woke)
	if details != nil {
		c.Details = json.RawMessage(*details)
	}
	return c, nil
}

// caseOIDs are the types of caseColumns, in order, as PostgreSQL sends
// them: decodeCase reads each in its binary form.
func caseOIDs() []uint32 {
	const text, int4, ts, boolean, float8 = pgtype.TextOID, pgtype.Int4OID, pgtype.TimestamptzOID, pgtype.BoolOID, pgtype.Float8OID
	return []uint32{text, text, text, text, text, text, text, int4, ts, ts, ts, text, text, text, ts, text, ts, text, text, text, text, text,
		int4, ts, boolean, ts, float8}
}

// binaryResult reports whether a result of caseColumns came in the forms
// decodeCase reads — texts as their bytes, the rest binary (pgx asks for
// these once it knows the statement); otherwise the rows are scanned the
// usual way.
func binaryResult(fds []pgconn.FieldDescription, oids []uint32) bool {
	if len(fds) != len(oids) {
		return false
	}
	for i, fd := range fds {
		// A text comes as its bytes in either form (pgx asks for text).
		if fd.DataTypeOID != oids[i] || (fd.Format != pgtype.BinaryFormatCode && oids[i] != pgtype.TextOID) {
			return false
		}
	}
	return true
}

// decodeCase reads one row of caseColumns from its binary values: tens of
// thousands of cases a scan, without a scan plan per column (a third of
// the desk's own time in a scan that refreshes every case).
func decodeCase(v [][]byte) (proactive.Case, error) {
	d := rawDecoder{v: v}
	c := proactive.Case{
		ID: d.text(0), Type: proactive.AnomalyType(d.text(1)), Key: d.text(2), Label: d.text(3),
		State: proactive.CaseState(d.text(4)), Severity: proactive.Severity(d.text(5)), PeakSeverity: proactive.Severity(d.text(6)),
		Urgency: d.int4(7), OpenedAt: d.time(8), LastSeenAt: d.time(9), ResolvedAt: d.timePtr(10),
		ResolveReason: d.text(11), Owner: d.text(12), AcknowledgedBy: d.text(13), AcknowledgedAt: d.timePtr(14),
		AckSeverity: proactive.Severity(d.text(15)), SnoozedUntil: d.timePtr(16), SnoozeReason: d.text(17),
		InhibitedBy: d.text(18), Note: d.text(19), PreviousCaseID: d.text(20),
		Seq: d.int4(22), UpdatedAt: d.time(23), Assigned: d.bool(24), WokeAt: d.timePtr(25), Metric: d.float8(26),
	}
	if v[21] != nil {
		c.Details = json.RawMessage(append([]byte(nil), v[21]...))
	}
	return c, d.err
}

// rawDecoder reads PostgreSQL's binary forms; the first malformed value
// is its err.
type rawDecoder struct {
	v   [][]byte
	err error
}

// pgEpoch is 2000-01-01 UTC, where PostgreSQL's timestamps count from.
const pgEpoch = 946684800

func (d *rawDecoder) fail(i int, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("column %d of a case: %d bytes are no binary %s", i+1, len(d.v[i]), want)
	}
}

func (d *rawDecoder) text(i int) string { return string(d.v[i]) }

// enum reads a text of the desk's enumerated columns (type, state, the
// severities) without a copy when it is one of the four checks' types, a
// stored state or a severity: a scan reads five of them on each of
// thousands of cases.
func (d *rawDecoder) enum(i int) string {
	v := d.v[i]
	for _, s := range [...]string{
		string(proactive.CaseOpen), string(proactive.CaseAcknowledged), string(proactive.CaseSnoozed),
		string(proactive.SeverityLow), string(proactive.SeverityMedium), string(proactive.SeverityHigh), string(proactive.SeverityCritical),
		string(proactive.HealthDrop), string(proactive.DealStall), string(proactive.SyncFail), string(proactive.ResponseDelay), "",
	} {
		if string(v) == s {
			return s
		}
	}
	return string(v)
}

func (d *rawDecoder) int4(i int) int {
	if len(d.v[i]) != 4 {
		d.fail(i, "int4")
		return 0
	}
	return int(int32(binary.BigEndian.Uint32(d.v[i])))
}

func (d *rawDecoder) float8(i int) float64 {
	if len(d.v[i]) != 8 {
		d.fail(i, "float8")
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(d.v[i]))
}

func (d *rawDecoder) bool(i int) bool {
	if len(d.v[i]) != 1 {
		d.fail(i, "bool")
		return false
	}
	return d.v[i][0] != 0
}

func (d *rawDecoder) time(i int) time.Time {
	if len(d.v[i]) != 8 {
		d.fail(i, "timestamptz")
		return time.Time{}
	}
	us := int64(binary.BigEndian.Uint64(d.v[i]))
	if us == math.MaxInt64 || us == math.MinInt64 {
		d.fail(i, "finite timestamptz")
		return time.Time{}
	}
	return pgTime(us)
}

// pgTime is the time of PostgreSQL's binary timestamptz: microseconds
// since 2000-01-01 UTC.
func pgTime(us int64) time.Time {
	return time.Unix(pgEpoch+us/1e6, (us%1e6)*1e3).UTC()
}

func (d *rawDecoder) timePtr(i int) *time.Time {
	if d.v[i] == nil {
		return nil
	}
	t := d.time(i)
	return &t
}

// queryCases runs a query of caseColumns and reads every row.
func (t *deskTx) queryCases(ctx context.Context, op, query string, args ...any) ([]proactive.Case, error) {
	return t.queryCasesInto(ctx, nil, op, query, args...)
}

// queryCasesInto runs a query of caseColumns, appending its rows to out:
// each decoded from its binary values when the result came in those forms
// (binaryResult), scanned the usual way when not.
func (t *deskTx) queryCasesInto(ctx context.Context, out []proactive.Case, op, query string, args ...any) ([]proactive.Case, error) {
	rows, err := t.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	defer rows.Close()
	raw := binaryResult(rows.FieldDescriptions(), caseOIDs())
	for rows.Next() {
		var c proactive.Case
		var err error
		if raw {
			c, err = decodeCase(rows.RawValues())
		} else {
			c, err = scanCase(rows)
		}
		if err != nil {
			return nil, t.d.fail(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// eachKey begins a lookup of cases by the keys in $1 (text[]), each key
// once: a LATERAL subquery follows that reads one key's case, comparing
// key with u.k and ending in LIMIT 1. The LIMIT keeps the planner from
// flattening it into a join, so that each key is one probe of an index on
// key whatever the table's statistics hold. Written as key = ANY($1), the
// lookup of unresolved cases was planned from statistics, and on a table
// never analysed (a server without autovacuum, or any server between a
// first scan that opened thousands of cases and its first autoanalyze)
// the planner took the partial index of unresolved cases by type for a
// few hundred rows and read every unresolved case for each batch of keys:
// 20–40 ms a batch instead of 1–2 at 65,000 cases
// (TestCaseLookupsProbeTheKeyIndex).
const eachKey = `FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k) AS u CROSS JOIN LATERAL`

// unresolvedCasesSQL is the lookup of UnresolvedCases: $1 the keys, one
// probe of the unique index of unresolved cases each (eachKey).
func unresolvedCasesSQL() string {
	return `SELECT c.* ` + eachKey + ` (
	SELECT ` + caseColumns("") + ` FROM ptd_cases WHERE key = u.k AND resolved_at IS NULL LIMIT 1
) AS c`
}

// UnresolvedCases implements proactive.DeskTx.
func (t *deskTx) UnresolvedCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	// At most one case per key: room for all of them up front (a scan
	// asks for thousands at a time).
	cs, err := t.queryCasesInto(ctx, make([]proactive.Case, 0, len(keys)), "read unresolved cases", unresolvedCasesSQL(), keys)
	if err == nil && len(cs) == 0 {
		cs = nil
	}
	return cs, err
}

// seenColumns is the select list of SeenCases: Case.ScanView's fields.
const seenColumns = `id::text, type, key, coalesce(label, ''), state, coalesce(severity, ''),
	coalesce(peak_severity, ''), coalesce(ack_severity, ''), urgency, last_seen_at, coalesce(owner, ''), assigned,
	metric, details::text, seq, updated_at, woke_at`

// seenColumnCount is the number of seenColumns.
const seenColumnCount = 17

// decodeSeenCase reads one row of seenColumns from its binary values.
func decodeSeenCase(v [][]byte) (proactive.Case, error) {
	if len(v) != seenColumnCount {
		return proactive.Case{}, fmt.Errorf("a case came with %d columns, not %d", len(v), seenColumnCount)
	}
	d := rawDecoder{v: v}
	c := proactive.Case{
		ID: d.text(0), Type: proactive.AnomalyType(d.enum(1)), Key: d.text(2), Label: d.text(3),
		State: proactive.CaseState(d.enum(4)), Severity: proactive.Severity(d.enum(5)), PeakSeverity: proactive.Severity(d.enum(6)),
		AckSeverity: proactive.Severity(d.enum(7)), Urgency: d.int4(8), LastSeenAt: d.time(9), Owner: d.text(10),
		Assigned: d.bool(11), Metric: d.float8(12), Seq: d.int4(14), UpdatedAt: d.time(15), WokeAt: d.timePtr(16),
	}
	if v[13] != nil {
		c.Details = json.RawMessage(append([]byte(nil), v[13]...))
	}
	return c, d.err
}

// seenCasesSQL is the lookup of SeenCases: $1 the keys (eachKey).
const seenCasesSQL = `SELECT c.* ` + eachKey + ` (
	SELECT ` + seenColumns + ` FROM ptd_cases WHERE key = u.k AND resolved_at IS NULL LIMIT 1
) AS c`

// SeenCases implements proactive.DeskTx: UnresolvedCases' lookup, sending
// and decoding only the columns of Case.ScanView, its keys encoded by
// textArray and its rows read in binary (execRaw).
func (t *deskTx) SeenCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([]proactive.Case, 0, len(keys))
	_, err := t.execRaw(ctx, seenCasesSQL, [][]byte{textArray(keys)}, func(v [][]byte) error {
		c, err := decodeSeenCase(v)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, t.d.fail("read unresolved cases", err)
	}
	return out, nil
}

// seenCasesBetweenSQL reads the unresolved cases whose key lies between
// $1 and $2: one walk of the unique index of unresolved cases. The key
// column compares byte by byte (COLLATE "C", migration 00013), the order
// KeysBetween and a scan's sort use.
const seenCasesBetweenSQL = `SELECT ` + seenColumns + ` FROM ptd_cases
	WHERE key >= $1 AND key <= $2 AND resolved_at IS NULL`

// SeenCasesBetween implements proactive.DeskTx: SeenCases as one range
// read of the key index. The rows of keys not asked for (cases the scan
// did not see: it resolves them apart) are stepped over undecoded.
func (t *deskTx) SeenCasesBetween(ctx context.Context, keys []string, lo, hi string) ([]proactive.Case, error) {
	const op = "read unresolved cases"
	want, err := proactive.KeysBetween(keys, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(want) == 0 {
		return nil, nil
	}
	out := make([]proactive.Case, 0, len(keys))
	_, err = t.execRaw(ctx, seenCasesBetweenSQL, [][]byte{[]byte(lo), []byte(hi)}, func(v [][]byte) error {
		if len(v) > 2 {
			if _, ok := want[string(v[2])]; !ok {
				return nil
			}
		}
		c, err := decodeSeenCase(v)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// CasesByID implements proactive.DeskTx: in the order of ids; an id that
// is not a uuid names no case.
func (t *deskTx) CasesByID(ctx context.Context, ids []string) ([]proactive.Case, error) {
	ids = uuids(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	return t.queryCases(ctx, "read cases by id", `
		SELECT `+caseColumns("c.")+`
		FROM unnest($1::text[]::uuid[]) WITH ORDINALITY AS u(id, ord) JOIN ptd_cases c ON c.id = u.id
		ORDER BY u.ord`, ids)
}

// FindCases implements proactive.DeskTx.
func (t *deskTx) FindCases(ctx context.Context, q proactive.CaseQuery) ([]proactive.Case, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args))))
	}
	if q.Unresolved {
		where = append(where, "resolved_at IS NULL")
	}
	if len(q.States) > 0 {
		states := make([]string, len(q.States))
		for i, s := range q.States {
			states[i] = string(s)
		}
		add("state = ANY($?::text[])", states)
	}
	if len(q.Types) > 0 {
		types := make([]string, len(q.Types))
		for i, s := range q.Types {
			types[i] = string(s)
		}
		add("type = ANY($?::text[])", types)
	}
	if q.Owner != "" {
		add("lower(owner) = lower($?::text)", q.Owner)
	}
	if q.Search != "" {
		add("(strpos(lower(key), lower($?::text)) > 0 OR strpos(lower(coalesce(label, '')), lower($?::text)) > 0)", q.Search)
	}
	if q.Key != "" {
		add("key = $?::text", q.Key)
	}
	if q.IDPrefix != "" {
		add("starts_with(id::text, lower($?::text))", q.IDPrefix)
	}
	if q.SnoozedUntilAtMost != nil {
		add("state = 'snoozed' AND snoozed_until <= $?::timestamptz", q.SnoozedUntilAtMost.UTC())
	}
	if q.LastSeenAtMost != nil {
		add("last_seen_at <= $?::timestamptz", q.LastSeenAtMost.UTC())
	}
	if q.ResolvedSince != nil {
		add("resolved_at > $?::timestamptz", q.ResolvedSince.UTC())
	}
	query := "SELECT " + caseColumns("") + " FROM ptd_cases"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " " + caseOrder
	if q.Limit > 0 {
		args = append(args, q.Limit)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	return t.queryCases(ctx, "find cases", query, args...)
}

// newestResolvedSQL is the lookup of NewestResolvedCaseIDs: for each key
// in $1 (eachKey), the id of its newest resolved case, through the index
// on (key, resolved_at).
const newestResolvedSQL = `SELECT u.k, c.id ` + eachKey + ` (
	SELECT id::text FROM ptd_cases WHERE key = u.k AND resolved_at IS NOT NULL
	ORDER BY resolved_at DESC, opened_at DESC LIMIT 1
) AS c`

// NewestResolvedCaseIDs implements proactive.DeskTx.
func (t *deskTx) NewestResolvedCaseIDs(ctx context.Context, keys []string) (map[string]string, error) {
	const op = "read the newest resolved cases"
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(ctx, newestResolvedSQL, keys)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, id string
		if err := rows.Scan(&key, &id); err != nil {
			return nil, t.d.fail(op, err)
		}
		out[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// InsertCases implements proactive.DeskTx: one COPY of every case (twice as
// fast as INSERT … SELECT FROM unnest on tens of thousands of cases). A
// second unresolved case for a key violates the unique index: ECONFLICT;
// an id that is not a uuid is EINVALID.
func (t *deskTx) InsertCases(ctx context.Context, cs []proactive.Case) error {
	const op = "insert cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	cols := caseColumnList()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"ptd_cases"}, names, pgx.CopyFromSlice(len(cs), func(i int) ([]any, error) {
		return caseRow(&cs[i])
	}))
	return t.d.fail(op, err)
}

// caseRow renders every column of a case for COPY, in caseColumnList's
// order: empty texts as NULL, times in UTC.
func caseRow(c *proactive.Case) ([]any, error) {
	id, err := uuid.Parse(c.ID)
	if err != nil {
		return nil, proactive.Errorf(proactive.EINVALID, "insert case %s (%s): the id is not a uuid", c.ID, c.Key)
	}
	var previous, details any
	if c.PreviousCaseID != "" {
		p, err := uuid.Parse(c.PreviousCaseID)
		if err != nil {
			return nil, proactive.Errorf(proactive.EINVALID, "insert case %s: previous_case_id %s is not a uuid", c.ID, c.PreviousCaseID)
		}
		previous = [16]byte(p)
	}
	if len(c.Details) > 0 {
		details = []byte(c.Details) // raw JSON
	}
	// Ids as [16]byte, which pgx writes as they are: a uuid.UUID is a
	// driver.Valuer, which pgx first tries to write as text into the
	// binary uuid column, fails, and parses back — a third of a first
	// scan's time at 65,000 cases.
	return []any{
		[16]byte(id), string(c.Type), c.Key, nullText(c.Label), string(c.State), nullText(c.Severity), nullText(c.PeakSeverity),
		int32(c.Urgency), c.OpenedAt.UTC(), c.LastSeenAt.UTC(), utcPtr(c.ResolvedAt), nullText(c.ResolveReason),
		nullText(c.Owner), nullText(c.AcknowledgedBy), utcPtr(c.AcknowledgedAt), nullText(c.AckSeverity),
		utcPtr(c.SnoozedUntil), nullText(c.SnoozeReason), nullText(c.InhibitedBy), nullText(c.Note), previous, details,
		int32(c.Seq), c.UpdatedAt.UTC(), c.Assigned, utcPtr(c.WokeAt), c.Metric,
	}, nil
}

// nullText is s, or nil (NULL) for "".
func nullText[T ~string](s T) any {
	if s == "" {
		return nil
	}
	return string(s)
}

// UpdateCases implements proactive.DeskTx: UPDATE … FROM unnest, a
// statement per deskChunk cases. A case given twice is written as its last
// copy; an unknown id is ENOTFOUND.
func (t *deskTx) UpdateCases(ctx context.Context, cs []proactive.Case) error {
	const op = "update cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	uniq := proactive.LastCopies(cs)
	query := updateCasesSQL()
	return chunks(len(uniq), func(from, to int) error {
		tag, err := t.tx.Exec(ctx, query, newCaseArrays(uniq[from:to]).args()...)
		return t.checkUpdated(op, tag, to-from, err)
	})
}

// refreshCasesSQL writes the figures of RefreshCases: $1 ids, $2
// last_seen_at, $3 urgency, $4 label, $5 owner, $6 metric, $7 details.
const refreshCasesSQL = `
	UPDATE ptd_cases c SET last_seen_at = u.last_seen_at, urgency = u.urgency, label = nullif(u.label, ''),
		owner = nullif(u.owner, ''), metric = u.metric, details = nullif(u.details, '')::json
	FROM unnest($1::uuid[], $2::timestamptz[], $3::int4[], $4::text[], $5::text[], $6::float8[], $7::text[])
		AS u(id, last_seen_at, urgency, label, owner, metric, details)
	WHERE c.id = u.id`

// RefreshCases implements proactive.DeskTx: one UPDATE … FROM unnest of
// seven arrays (encoded by this package, execRaw) per deskChunk cases. It
// writes no indexed column, so PostgreSQL can keep each new row version
// on its page (a HOT update: no index entry, and the old version pruned
// without VACUUM). An id that is not a uuid is EINVALID.
func (t *deskTx) RefreshCases(ctx context.Context, cs []proactive.Case) error {
	const op = "refresh cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	uniq := proactive.LastCopies(cs)
	return chunks(len(uniq), func(from, to int) error {
		part := uniq[from:to]
		n := len(part)
		ids, labels, owners, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		seen, urgency, metric := make([]time.Time, n), make([]int32, n), make([]float64, n)
		for i := range part {
			c := &part[i]
			ids[i], seen[i], urgency[i], labels[i] = c.ID, c.LastSeenAt, int32(c.Urgency), c.Label
			owners[i], metric[i], details[i] = c.Owner, c.Metric, string(c.Details)
		}
		idArray, kept := uuidArray(ids)
		if kept != n {
			return proactive.Errorf(proactive.EINVALID, "%s: a case id is not a uuid", op)
		}
		tag, err := t.execRaw(ctx, refreshCasesSQL, [][]byte{idArray, timestamptzArray(seen), int4Array(urgency),
			textArray(labels), textArray(owners), float8Array(metric), textArray(details)}, nil)
		return t.checkUpdated(op, tag, n, err)
	})
}

// checkUpdated turns an UPDATE's outcome into the DeskTx error: the
// database's, or ENOTFOUND when fewer than want rows were written.
func (t *deskTx) checkUpdated(op string, tag pgconn.CommandTag, want int, err error) error {
	if err != nil {
		return t.d.fail(op, err)
	}
	if n := int(tag.RowsAffected()); n != want {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: %d of %d cases not found", op, want-n, want)
	}
	return nil
}

// TouchCases implements proactive.DeskTx: one UPDATE … WHERE id = ANY($1)
// per deskChunk ids (a uuid[] encoded by this package, execRaw), writing
// only the cases it moves forward. An id that is not a uuid names no case.
func (t *deskTx) TouchCases(ctx context.Context, ids []string, at time.Time) error {
	const op = "touch cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	return chunks(len(ids), func(from, to int) error {
		idArray, kept := uuidArray(ids[from:to])
		if kept == 0 {
			return nil
		}
		_, err := t.execRaw(ctx, `
			UPDATE ptd_cases SET last_seen_at = $2
			WHERE id = ANY($1::uuid[]) AND last_seen_at < $2`, [][]byte{idArray, timestamptzValue(at)}, nil)
		return t.d.fail(op, err)
	})
}

// touchCasesBetweenSQL moves last_seen_at of the cases of $3 to $4
// walking the unique index of unresolved cases from $1 to $2: at 65,000
// cases a third of the time of finding each of 1,000 random uuids in the
// primary key (a bitmap of it, then the pages in its order).
const touchCasesBetweenSQL = `
	UPDATE ptd_cases SET last_seen_at = $4
	WHERE key >= $1 AND key <= $2 AND resolved_at IS NULL
	  AND id = ANY($3::uuid[]) AND last_seen_at < $4`

// TouchCasesBetween implements proactive.DeskTx: one UPDATE per deskChunk
// ids over the key range (touchCasesBetweenSQL).
func (t *deskTx) TouchCasesBetween(ctx context.Context, ids []string, lo, hi string, at time.Time) error {
	const op = "touch cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if _, err := proactive.KeysBetween(nil, lo, hi); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return chunks(len(ids), func(from, to int) error {
		idArray, kept := uuidArray(ids[from:to])
		if kept == 0 {
			return nil
		}
		_, err := t.execRaw(ctx, touchCasesBetweenSQL, [][]byte{[]byte(lo), []byte(hi), idArray, timestamptzValue(at)}, nil)
		return t.d.fail(op, err)
	})
}

// clearInhibitedSQL clears inhibited_by of the unresolved cases of type
// $1, finding them through ptd_cases_inhibited_idx: the few inhibited
// cases, not every unresolved case of the type.
const clearInhibitedSQL = `
	UPDATE ptd_cases SET inhibited_by = NULL
	WHERE type = $1 AND resolved_at IS NULL AND inhibited_by IS NOT NULL`

// SetInhibitedBy implements proactive.DeskTx.
func (t *deskTx) SetInhibitedBy(ctx context.Context, typ proactive.AnomalyType, by string) error {
	op := "set inhibited_by of " + string(typ) + " cases"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if by == "" {
		_, err := t.tx.Exec(ctx, clearInhibitedSQL, string(typ))
		return t.d.fail(op, err)
	}
	_, err := t.tx.Exec(ctx, `
		UPDATE ptd_cases SET inhibited_by = $2
		WHERE type = $1 AND resolved_at IS NULL AND inhibited_by IS DISTINCT FROM $2`,
		string(typ), by)
	return t.d.fail(op, err)
}

// AddCaseEvents implements proactive.DeskTx: one COPY of every event. A
// second event with a case's seq is ECONFLICT.
func (t *deskTx) AddCaseEvents(ctx context.Context, evs []proactive.CaseEvent) error {
	const op = "add case events"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"ptd_case_events"},
		[]string{"id", "case_id", "seq", "at", "kind", "actor", "severity", "note"},
		pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) {
			e := &evs[i]
			id, err := uuid.Parse(e.ID)
			if err != nil {
				return nil, proactive.Errorf(proactive.EINVALID, "add event %s: the id is not a uuid", e.ID)
			}
			caseID, err := uuid.Parse(e.CaseID)
			if err != nil {
				return nil, proactive.Errorf(proactive.EINVALID, "add event %s: case id %s is not a uuid", e.ID, e.CaseID)
			}
			return []any{[16]byte(id), [16]byte(caseID), int32(e.Seq), e.At.UTC(), string(e.Kind), nullText(e.Actor), nullText(e.Severity), nullText(e.Note)}, nil
		}))
	return t.d.fail(op, err)
}

// CaseEvents implements proactive.DeskTx: by case, in the order of
// caseIDs, then seq.
func (t *deskTx) CaseEvents(ctx context.Context, caseIDs []string) ([]proactive.CaseEvent, error) {
	const op = "read case events"
	ids := uuids(caseIDs)
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, `
		SELECT e.id::text, e.case_id::text, e.seq, e.at, e.kind, coalesce(e.actor, ''), coalesce(e.severity, ''), coalesce(e.note, '')
		FROM unnest($1::text[]::uuid[]) WITH ORDINALITY AS u(id, ord) JOIN ptd_case_events e ON e.case_id = u.id
		ORDER BY u.ord, e.seq`, ids)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	defer rows.Close()
	var out []proactive.CaseEvent
	for rows.Next() {
		var e proactive.CaseEvent
		var kind, severity string
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Seq, &e.At, &kind, &e.Actor, &severity, &e.Note); err != nil {
			return nil, t.d.fail(op, err)
		}
		e.At, e.Kind, e.Severity = e.At.UTC(), proactive.EventKind(kind), proactive.Severity(severity)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// FindSilences implements proactive.DeskTx.
func (t *deskTx) FindSilences(ctx context.Context, q proactive.SilenceQuery) ([]proactive.Silence, error) {
	const op = "find silences"
	var ends *time.Time
	if !q.EndsAfter.IsZero() {
		ends = utcPtr(&q.EndsAfter)
	}
	rows, err := t.tx.Query(ctx, `
		SELECT id::text, match, coalesce(type, ''), coalesce(owner, ''), starts_at, ends_at,
			coalesce(created_by, ''), coalesce(reason, ''), created_at
		FROM ptd_silences
		WHERE ($1::timestamptz IS NULL OR ends_at > $1) AND starts_with(id::text, lower($2::text))
		ORDER BY starts_at, id`, ends, q.IDPrefix)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	defer rows.Close()
	var out []proactive.Silence
	for rows.Next() {
		var s proactive.Silence
		var typ string
		if err := rows.Scan(&s.ID, &s.Match, &typ, &s.Owner, &s.StartsAt, &s.EndsAt, &s.CreatedBy, &s.Reason, &s.CreatedAt); err != nil {
			return nil, t.d.fail(op, err)
		}
		s.Type = proactive.AnomalyType(typ)
		s.StartsAt, s.EndsAt, s.CreatedAt = s.StartsAt.UTC(), s.EndsAt.UTC(), s.CreatedAt.UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// InsertSilence implements proactive.DeskTx: its id must be a uuid.
func (t *deskTx) InsertSilence(ctx context.Context, s proactive.Silence) error {
	op := "insert silence " + s.ID
	if err := t.mustWrite(op); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `
		INSERT INTO ptd_silences (id, match, type, owner, starts_at, ends_at, created_by, reason, created_at)
		VALUES ($1::text::uuid, $2, nullif($3::text, ''), nullif($4::text, ''), $5, $6, nullif($7::text, ''), nullif($8::text, ''), $9)`,
		s.ID, s.Match, string(s.Type), s.Owner, s.StartsAt.UTC(), s.EndsAt.UTC(), s.CreatedBy, s.Reason, s.CreatedAt.UTC())
	return t.d.fail(op, err)
}

// SetSilenceEnd implements proactive.DeskTx: an id that is not a uuid
// names no silence (ENOTFOUND).
func (t *deskTx) SetSilenceEnd(ctx context.Context, id string, end time.Time) error {
	op := "expire silence " + id
	if err := t.mustWrite(op); err != nil {
		return err
	}
	ids := uuids([]string{id})
	if len(ids) == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "silence %s not found", id)
	}
	tag, err := t.tx.Exec(ctx, `UPDATE ptd_silences SET ends_at = $2 WHERE id = $1::text::uuid`, ids[0], end.UTC())
	if err != nil {
		return t.d.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "silence %s not found", id)
	}
	return nil
}

// UnresolvedCaseIDs implements proactive.DeskTx.
func (t *deskTx) UnresolvedCaseIDs(ctx context.Context, ids []string) ([]string, error) {
	const op = "read unresolved case ids"
	ids = uuids(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, `
		SELECT id::text FROM ptd_cases
		WHERE id = ANY($1::text[]::uuid[]) AND resolved_at IS NULL`, ids)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// CountUnresolvedCases implements proactive.DeskTx: through the partial
// index of unresolved cases.
func (t *deskTx) CountUnresolvedCases(ctx context.Context) (int, error) {
	var n int
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM ptd_cases WHERE resolved_at IS NULL`).Scan(&n); err != nil {
		return 0, t.d.fail("count unresolved cases", err)
	}
	return n, nil
}

// CountCases implements proactive.DeskTx.
func (t *deskTx) CountCases(ctx context.Context) ([]proactive.CaseCount, error) {
	const op = "count cases"
	rows, err := t.tx.Query(ctx, `SELECT type, state, count(*) FROM ptd_cases GROUP BY type, state ORDER BY type, state`)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (proactive.CaseCount, error) {
		var c proactive.CaseCount
		var typ, state string
		err := r.Scan(&typ, &state, &c.Count)
		c.Type, c.State = proactive.AnomalyType(typ), proactive.CaseState(state)
		return c, err
	})
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}
