package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.Desk = (*DB)(nil)

// deskLockClass is the first key of the desk lock, an advisory lock of the
// two-int4 form: (deskLockClass, the oid of ptd_cases). Every process whose
// search path resolves ptd_cases to the same table takes the same lock, and
// two installations in separate schemas of one database do not block each
// other. The constant is "ptd1" in ASCII.
const deskLockClass = 0x70746431

// deskLockSQL takes the desk lock for the rest of the transaction. A
// missing ptd_cases fails it with "relation does not exist": run migrate.
var deskLockSQL = fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d, 'ptd_cases'::regclass::oid::int4)`, deskLockClass)

// deskChunk bounds the rows of one bulk statement, so that a scan writing
// tens of thousands of cases sends a few large statements, never one per
// case, without building one huge message.
const deskChunk = 10000

// Update runs fn in one transaction that starts by taking the desk lock (a
// transaction-scoped advisory lock, see deskLockClass): scans and manual
// actions in any number of processes take turns and each reads what the
// previous one committed. fn's error rolls back and is returned;
// proactive.ErrRollback rolls back and Update returns nil. The wait for
// the lock counts against the statement timeout.
func (d *DB) Update(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	return d.runDesk(ctx, pgx.TxOptions{}, true, fn)
}

// View runs fn in a READ ONLY transaction without the desk lock; the write
// methods of the transaction fail.
func (d *DB) View(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	return d.runDesk(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly}, false, fn)
}

// runDesk runs fn in a transaction and commits it when fn succeeds.
func (d *DB) runDesk(ctx context.Context, opts pgx.TxOptions, write bool, fn func(tx proactive.DeskTx) error) error {
	op := "read the desk"
	if write {
		op = "update the desk"
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	tx, err := d.pool.BeginTx(ctx, opts)
	if err != nil {
		return d.fail(op+": begin", err)
	}
	// After a commit this does nothing; after a failure or a panic it
	// returns the connection clean to the pool.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if write {
		if _, err := tx.Exec(ctx, deskLockSQL); err != nil {
			return d.fail(op+": take the desk lock", err)
		}
	}
	if err := fn(&deskTx{d: d, tx: tx, write: write}); err != nil {
		if errors.Is(err, proactive.ErrRollback) {
			return nil
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return d.fail(op+": commit", err)
	}
	return nil
}

// deskTx is one transaction of the desk: proactive.DeskTx on a pgx.Tx.
type deskTx struct {
	d     *DB
	tx    pgx.Tx
	write bool
}

var _ proactive.DeskTx = (*deskTx)(nil)

// mustWrite refuses a write in a View transaction.
func (t *deskTx) mustWrite(op string) error {
	if !t.write {
		return proactive.Errorf(proactive.EINTERNAL, "%s in a read-only transaction", op)
	}
	return nil
}

// savepoint runs fn in a savepoint: a statement that fails on a malformed
// alert id (a failed cast) leaves the transaction usable, as the other
// stores' transactions are.
func (t *deskTx) savepoint(ctx context.Context, fn func(tx pgx.Tx) error) error {
	sp, err := t.tx.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(sp); err != nil {
		_ = sp.Rollback(ctx)
		return err
	}
	return sp.Commit(ctx)
}

// uuids keeps the ids that are uuids, in their canonical text: the others
// name no row of a uuid column.
func uuids(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if u, err := uuid.Parse(id); err == nil {
			out = append(out, u.String())
		}
	}
	return out
}

// chunks calls fn on consecutive parts of n items of at most deskChunk.
func chunks(n int, fn func(from, to int) error) error {
	for from := 0; from < n; from += deskChunk {
		if err := fn(from, min(from+deskChunk, n)); err != nil {
			return err
		}
	}
	return nil
}

// FindGroupAlert implements proactive.DeskTx: the newest ptd-proactive
// alert whose dedup_key starts with "<type>_" and ends with "_<day>"
// (starts_with and right(), never LIKE: types hold "_") created in
// (After, UpTo].
func (t *deskTx) FindGroupAlert(ctx context.Context, q proactive.GroupAlertQuery) (proactive.Alert, bool, error) {
	a, err := scanAlert(t.tx.QueryRow(ctx, `
		SELECT `+alertColumns+` FROM proactive_insights
		WHERE source_agent = $1 AND starts_with(dedup_key, $2::text) AND right(dedup_key, length($3::text)) = $3::text
		  AND created_at > $4 AND created_at <= $5
		ORDER BY created_at DESC, id::text COLLATE "C" DESC
		LIMIT 1`,
		proactive.SourceAgent, string(q.Type)+"_", "_"+q.Day, q.After.UTC(), q.UpTo.UTC()))
	if isNoRows(err) {
		return proactive.Alert{}, false, nil
	}
	if err != nil {
		return proactive.Alert{}, false, t.d.fail("find the group alert of "+string(q.Type)+" on "+q.Day, err)
	}
	return a, true, nil
}

// InsertAlert implements proactive.DeskTx: the row's id comes from the id
// column's default (the user's type), returned as text.
func (t *deskTx) InsertAlert(ctx context.Context, a proactive.Alert) (string, error) {
	const op = "insert alert"
	if err := t.mustWrite(op); err != nil {
		return "", err
	}
	js, err := encodeAlertJSON(a)
	if err != nil {
		return "", proactive.Errorf(proactive.EINVALID, "%s %s: %v", op, a.DedupKey, err)
	}
	if a.InsightType == "" {
		a.InsightType = proactive.InsightType
	}
	if a.SourceAgent == "" {
		a.SourceAgent = proactive.SourceAgent
	}
	var id string
	err = t.tx.QueryRow(ctx, `
		INSERT INTO proactive_insights (insight_type, priority, title, content, summary, action_items,
			affected_entities, source_agent, source_data, dedup_key, expires_at, is_dismissed, created_at, resolved_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		RETURNING id::text`,
		a.InsightType, string(a.Priority), a.Title, a.Content, a.Summary, js.actions, js.affected,
		a.SourceAgent, js.source, a.DedupKey, utcPtr(a.ExpiresAt), a.IsDismissed, a.CreatedAt.UTC(), utcPtr(a.ResolvedAt)).Scan(&id)
	if err != nil {
		return "", t.d.fail(op+" "+a.DedupKey, err)
	}
	return id, nil
}

// utcPtr returns an optional time in UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// RewriteAlert implements proactive.DeskTx.
func (t *deskTx) RewriteAlert(ctx context.Context, a proactive.Alert) error {
	op := "rewrite alert " + a.ID
	if err := t.mustWrite(op); err != nil {
		return err
	}
	js, err := encodeAlertJSON(a)
	if err != nil {
		return proactive.Errorf(proactive.EINVALID, "%s: %v", op, err)
	}
	return t.updateAlert(ctx, op, a.ID, `
		UPDATE proactive_insights
		SET priority = $3, title = $4, summary = $5, content = $6, action_items = $7, affected_entities = $8,
			source_data = $9, expires_at = $10, is_dismissed = $11, resolved_at = $12
		WHERE id = %s AND source_agent = $2`,
		string(a.Priority), a.Title, a.Summary, a.Content, js.actions, js.affected, js.source,
		utcPtr(a.ExpiresAt), a.IsDismissed, utcPtr(a.ResolvedAt))
}

// CloseAlert implements proactive.DeskTx.
func (t *deskTx) CloseAlert(ctx context.Context, id string, at time.Time) error {
	op := "close alert " + id
	if err := t.mustWrite(op); err != nil {
		return err
	}
	return t.updateAlert(ctx, op, id, `
		UPDATE proactive_insights
		SET resolved_at = $3, expires_at = CASE WHEN expires_at IS NULL OR expires_at > $3 THEN $3 ELSE expires_at END
		WHERE id = %s AND source_agent = $2`, at.UTC())
}

// SetAlertDismissed implements proactive.DeskTx.
func (t *deskTx) SetAlertDismissed(ctx context.Context, id string) error {
	op := "dismiss alert " + id
	if err := t.mustWrite(op); err != nil {
		return err
	}
	return t.updateAlert(ctx, op, id, `UPDATE proactive_insights SET is_dismissed = true WHERE id = %s AND source_agent = $2`)
}

// updateAlert runs an UPDATE of one ptd-proactive alert: query has %s where
// the id (parameter $1, cast to the id column's type) goes, $2 is the
// source agent and args follow from $3. EINVALID for an id malformed for
// the column's type, ENOTFOUND when no row changed.
func (t *deskTx) updateAlert(ctx context.Context, op, id, query string, args ...any) error {
	ids, err := t.d.idColumnVia(ctx, t.tx)
	if err != nil {
		return t.d.fail(op, err)
	}
	if id == "" {
		return proactive.Errorf(proactive.EINVALID, "%s: the alert id is empty", op)
	}
	var n int64
	err = t.savepoint(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, fmt.Sprintf(query, ids.idParam(1)), append([]any{id, proactive.SourceAgent}, args...)...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return t.d.idFail(op, id, ids, err)
	}
	if n == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: not found", op)
	}
	return nil
}

// OpenAlerts implements proactive.DeskTx.
func (t *deskTx) OpenAlerts(ctx context.Context, now time.Time) ([]proactive.Alert, error) {
	const op = "list open alerts"
	rows, err := t.tx.Query(ctx, `
		SELECT `+alertColumns+` FROM proactive_insights
		WHERE source_agent = $1 AND resolved_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		ORDER BY created_at DESC, id::text COLLATE "C" DESC`, proactive.SourceAgent, now.UTC())
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	defer rows.Close()
	var out []proactive.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, t.d.fail(op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}

// GetAlert implements proactive.DeskTx: one ptd-proactive alert, EINVALID
// for an id malformed for the id column's type, ENOTFOUND for an unknown
// one.
func (t *deskTx) GetAlert(ctx context.Context, id string) (proactive.Alert, error) {
	op := "get alert " + id
	ids, err := t.d.idColumnVia(ctx, t.tx)
	if err != nil {
		return proactive.Alert{}, t.d.fail(op, err)
	}
	if id == "" {
		return proactive.Alert{}, proactive.Errorf(proactive.EINVALID, "get alert: the alert id is empty")
	}
	var a proactive.Alert
	err = t.savepoint(ctx, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+` FROM proactive_insights
			WHERE id = `+ids.idParam(1)+` AND source_agent = $2`, id, proactive.SourceAgent))
		return err
	})
	if isNoRows(err) {
		return proactive.Alert{}, proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
	}
	if err != nil {
		return proactive.Alert{}, t.d.idFail(op, id, ids, err)
	}
	return a, nil
}

// Enqueue implements proactive.DeskTx: INSERT … SELECT FROM unnest … ON
// CONFLICT DO NOTHING, so that a key already queued (or twice in ns) is
// left out. A notification without an id gets a uuid; without a status,
// pending; without an event, EventAlert.
func (t *deskTx) Enqueue(ctx context.Context, ns []proactive.Notification) error {
	const op = "enqueue notifications"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	return chunks(len(ns), func(from, to int) error {
		part := ns[from:to]
		k := len(part)
		var (
			ids, alerts, channels    = make([]string, k), make([]string, k), make([]string, k)
			events, recipients       = make([]string, k), make([]string, k)
			payloads, priorities     = make([]string, k), make([]string, k)
			keys, scans, statuses    = make([]string, k), make([]string, k), make([]string, k)
			lastErrors, attempts     = make([]string, k), make([]int32, k)
			next, created, delivered = make([]time.Time, k), make([]time.Time, k), make([]*time.Time, k)
		)
		for i, n := range part {
			ids[i], alerts[i], channels[i], recipients[i] = n.ID, n.AlertID, n.Channel, n.Recipient
			if ids[i] == "" {
				ids[i] = uuid.NewString()
			}
			events[i] = n.Event
			if events[i] == "" {
				events[i] = proactive.EventAlert
			}
			if n.Payload != nil {
				b, err := json.Marshal(n.Payload)
				if err != nil {
					return proactive.Errorf(proactive.EINVALID, "%s: encode the payload of %s: %v", op, n.IdempotencyKey, err)
				}
				payloads[i] = string(b)
			}
			priorities[i], keys[i], scans[i], statuses[i] = string(n.Priority), n.IdempotencyKey, n.ScanID, string(n.Status)
			if statuses[i] == "" {
				statuses[i] = string(proactive.NotificationPending)
			}
			lastErrors[i], attempts[i] = n.LastError, int32(n.Attempts)
			next[i], created[i], delivered[i] = n.NextAttemptAt.UTC(), n.CreatedAt.UTC(), utcPtr(n.DeliveredAt)
		}
		_, err := t.tx.Exec(ctx, `
			INSERT INTO ptd_notifications (id, alert_id, channel, event, recipient, payload, priority, idempotency_key,
				scan_id, status, attempts, last_error, next_attempt_at, created_at, delivered_at)
			SELECT u.id, u.alert_id, u.channel, u.event, nullif(u.recipient, ''), nullif(u.payload, '')::jsonb,
				u.priority, u.key, nullif(u.scan_id, ''), u.status, u.attempts, nullif(u.last_error, ''),
				u.next_attempt_at, u.created_at, u.delivered_at
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::text[], $10::text[], $11::int4[], $12::text[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[])
				WITH ORDINALITY AS u(id, alert_id, channel, event, recipient, payload, priority, key,
				scan_id, status, attempts, last_error, next_attempt_at, created_at, delivered_at, ord)
			ORDER BY u.ord
			ON CONFLICT (idempotency_key) DO NOTHING`,
			ids, alerts, channels, events, recipients, payloads, priorities, keys, scans, statuses, attempts,
			lastErrors, next, created, delivered)
		if err != nil {
			return t.d.fail(op, err)
		}
		return nil
	})
}

// PendingManualResolves implements proactive.DeskTx.
func (t *deskTx) PendingManualResolves(ctx context.Context, channel string, since time.Time) ([]proactive.Case, error) {
	return t.queryCases(ctx, "list manual resolves to notify on "+channel, `
		SELECT `+caseColumns("c.")+` FROM ptd_cases c
		WHERE c.resolve_reason = 'manual' AND c.resolved_at > $1
		  AND NOT EXISTS (SELECT 1 FROM ptd_resolve_notices n WHERE n.case_id = c.id AND n.channel = $2)
		ORDER BY c.resolved_at, c.id`, since.UTC(), channel)
}

// RecordResolveNotices implements proactive.DeskTx.
func (t *deskTx) RecordResolveNotices(ctx context.Context, channel string, caseIDs []string) error {
	op := "record resolve notices on " + channel
	if err := t.mustWrite(op); err != nil {
		return err
	}
	ids := uuids(caseIDs)
	return chunks(len(ids), func(from, to int) error {
		_, err := t.tx.Exec(ctx, `
			INSERT INTO ptd_resolve_notices (case_id, channel)
			SELECT u, $2 FROM unnest($1::text[]::uuid[]) u
			ON CONFLICT (case_id, channel) DO NOTHING`, ids[from:to], channel)
		return t.d.fail(op, err)
	})
}

// ResolvedOpenAlerts implements proactive.DeskTx: the ids of the
// open ptd-proactive alerts at now (OpenAlerts' rows, in its order) that
// hold cases — source_data has case_ids, not null — none of them
// unresolved, found in one statement: no alert's case ids come to Go. A
// held id names a case only as the case's id text (a lower-case,
// hyphenated UUID, as the desk writes them): lifecycle.AlertResolved
// compares the ids UnresolvedCaseIDs returns with the held ones as texts.
func (t *deskTx) ResolvedOpenAlerts(ctx context.Context, now time.Time, except []string) ([]string, error) {
	const op = "find the open alerts whose cases are all resolved"
	rows, err := t.tx.Query(ctx, `
		SELECT a.id::text FROM proactive_insights a
		CROSS JOIN LATERAL (SELECT a.source_data::text::jsonb AS d) s
		WHERE a.source_agent = $1 AND a.resolved_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > $2)
		  AND NOT a.id::text = ANY(coalesce($3::text[], '{}'))
		  AND s.d ? 'case_ids' AND s.d->'case_ids' <> 'null'::jsonb
		  AND NOT EXISTS (
		    SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.d->'case_ids') = 'array' THEN s.d->'case_ids' ELSE '[]'::jsonb END) h(id)
		    JOIN ptd_cases c ON c.id = (CASE WHEN h.id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN h.id::uuid END)
		    WHERE c.resolved_at IS NULL)
		ORDER BY a.created_at DESC, a.id::text COLLATE "C" DESC`, proactive.SourceAgent, now.UTC(), except)
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, t.d.fail(op, err)
	}
	return out, nil
}
