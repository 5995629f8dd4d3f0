package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.Desk = (*DB)(nil)

// Update runs fn in one BEGIN IMMEDIATE transaction on the write
// connection: it holds the database's write lock from the start, so scans
// and manual actions, in this process (they queue on the one write
// connection) and in others (SQLite's lock, with the busy timeout), take
// turns and each reads what the previous one left. fn's error rolls back
// and is returned; proactive.ErrRollback rolls back and Update returns nil.
// fn must not call the store's other methods that write: they wait for the
// connection Update holds.
func (d *DB) Update(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	return d.runDesk(ctx, d.write, nil, true, fn)
}

// View runs fn in a read transaction on a WAL reader: one consistent
// snapshot, no lock taken. The write methods of the transaction fail.
func (d *DB) View(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	return d.runDesk(ctx, d.read, &sql.TxOptions{ReadOnly: true}, false, fn)
}

// runDesk runs fn in a transaction of pool and commits it when fn succeeds.
func (d *DB) runDesk(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, write bool, fn func(tx proactive.DeskTx) error) error {
	op := "read the desk"
	if write {
		op = "update the desk"
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return translate(op+": begin", err)
	}
	// A panic in fn must not leave the write connection inside a
	// transaction; after a commit this does nothing.
	defer func() { _ = tx.Rollback() }()
	if err := fn(&deskTx{tx: tx, write: write}); err != nil {
		if errors.Is(err, proactive.ErrRollback) {
			return nil
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return translate(op+": commit", err)
	}
	return nil
}

// deskTx is one transaction of the desk: proactive.DeskTx on a *sql.Tx.
type deskTx struct {
	tx    *sql.Tx
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

// jsonList renders a list as a JSON array, the parameter json_each reads.
func jsonList[T ~string](items []T) (string, error) {
	if items == nil {
		return "[]", nil
	}
	b, err := json.Marshal(items)
	return string(b), err
}

// FindGroupAlert implements proactive.DeskTx: the newest ptd-proactive
// alert whose dedup_key starts with "<type>_" and ends with "_<day>"
// (compared as text, never as LIKE patterns: types hold "_") created in
// (After, UpTo].
func (t *deskTx) FindGroupAlert(ctx context.Context, q proactive.GroupAlertQuery) (proactive.Alert, bool, error) {
	a, err := scanAlert(t.tx.QueryRowContext(ctx, `
		SELECT `+alertColumns+` FROM proactive_insights
		WHERE source_agent = :agent
		  AND substr(dedup_key, 1, length(:prefix)) = :prefix
		  AND length(dedup_key) >= length(:suffix) AND substr(dedup_key, -length(:suffix)) = :suffix
		  AND created_at > :after AND created_at <= :upto
		ORDER BY created_at DESC, id DESC
		LIMIT 1`,
		sql.Named("agent", proactive.SourceAgent),
		sql.Named("prefix", string(q.Type)+"_"),
		sql.Named("suffix", "_"+q.Day),
		sql.Named("after", formatTime(q.After)),
		sql.Named("upto", formatTime(q.UpTo))))
	if errors.Is(err, sql.ErrNoRows) {
		return proactive.Alert{}, false, nil
	}
	if err != nil {
		return proactive.Alert{}, false, translate("find the group alert of "+string(q.Type)+" on "+q.Day, err)
	}
	return a, true, nil
}

// InsertAlert implements proactive.DeskTx: the row gets a new uuid.
func (t *deskTx) InsertAlert(ctx context.Context, a proactive.Alert) (string, error) {
	const op = "insert alert"
	if err := t.mustWrite(op); err != nil {
		return "", err
	}
	js, err := encodeAlert(a)
	if err != nil {
		return "", proactive.Errorf(proactive.EINVALID, "%s %s: %v", op, a.DedupKey, err)
	}
	id := uuid.NewString()
	if a.InsightType == "" {
		a.InsightType = proactive.InsightType
	}
	if a.SourceAgent == "" {
		a.SourceAgent = proactive.SourceAgent
	}
	_, err = t.tx.ExecContext(ctx, `
		INSERT INTO proactive_insights (id, insight_type, priority, title, content, summary, action_items,
			affected_entities, source_agent, source_data, dedup_key, expires_at, is_dismissed, created_at, resolved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.InsightType, string(a.Priority), a.Title, a.Content, a.Summary, js.actions,
		js.affected, a.SourceAgent, js.source, a.DedupKey, nullTimeText(a.ExpiresAt), a.IsDismissed,
		formatTime(a.CreatedAt), nullTimeText(a.ResolvedAt))
	if err != nil {
		return "", translate(op+" "+a.DedupKey, err)
	}
	return id, nil
}

// RewriteAlert implements proactive.DeskTx.
func (t *deskTx) RewriteAlert(ctx context.Context, a proactive.Alert) error {
	op := "rewrite alert " + a.ID
	if err := t.mustWrite(op); err != nil {
		return err
	}
	js, err := encodeAlert(a)
	if err != nil {
		return proactive.Errorf(proactive.EINVALID, "%s: %v", op, err)
	}
	return t.updateAlert(ctx, op, a.ID, `
		UPDATE proactive_insights
		SET priority = ?, title = ?, summary = ?, content = ?, action_items = ?, affected_entities = ?,
			source_data = ?, expires_at = ?, is_dismissed = ?, resolved_at = ?
		WHERE id = ? AND source_agent = ?`,
		string(a.Priority), a.Title, a.Summary, a.Content, js.actions, js.affected,
		js.source, nullTimeText(a.ExpiresAt), a.IsDismissed, nullTimeText(a.ResolvedAt))
}

// CloseAlert implements proactive.DeskTx.
func (t *deskTx) CloseAlert(ctx context.Context, id string, at time.Time) error {
	op := "close alert " + id
	if err := t.mustWrite(op); err != nil {
		return err
	}
	ts := formatTime(at)
	return t.updateAlert(ctx, op, id, `
		UPDATE proactive_insights
		SET resolved_at = ?1, expires_at = CASE WHEN expires_at IS NULL OR expires_at > ?1 THEN ?1 ELSE expires_at END
		WHERE id = ?2 AND source_agent = ?3`, ts)
}

// SetAlertDismissed implements proactive.DeskTx.
func (t *deskTx) SetAlertDismissed(ctx context.Context, id string) error {
	op := "dismiss alert " + id
	if err := t.mustWrite(op); err != nil {
		return err
	}
	return t.updateAlert(ctx, op, id, `UPDATE proactive_insights SET is_dismissed = 1 WHERE id = ? AND source_agent = ?`)
}

// updateAlert runs an UPDATE of one ptd-proactive alert whose last two
// parameters are its id and the source agent: EINVALID for a malformed id,
// ENOTFOUND when no row changed.
func (t *deskTx) updateAlert(ctx context.Context, op, id, query string, args ...any) error {
	key, err := alertID(id)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, query, append(args, key, proactive.SourceAgent)...)
	if err != nil {
		return translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: not found", op)
	}
	return nil
}

// OpenAlerts implements proactive.DeskTx.
func (t *deskTx) OpenAlerts(ctx context.Context, now time.Time) ([]proactive.Alert, error) {
	const op = "list open alerts"
	rows, err := t.tx.QueryContext(ctx, `
		SELECT `+alertColumns+` FROM proactive_insights
		WHERE source_agent = ? AND resolved_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY created_at DESC, id DESC`,
		proactive.SourceAgent, formatTime(now))
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	var out []proactive.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, translate(op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// ResolvedOpenAlerts implements proactive.DeskTx: the ids of the
// open ptd-proactive alerts, in the order of OpenAlerts, that hold cases —
// source_data has case_ids, not null — none of them unresolved, found in
// one statement: no alert's case ids come to Go. As in
// lifecycle.AlertResolved, only the strings of a case_ids list are ids, and
// they name a case by its id text.
func (t *deskTx) ResolvedOpenAlerts(ctx context.Context, now time.Time, except []string) ([]string, error) {
	const op = "find the open alerts whose cases are all resolved"
	list, err := jsonList(except)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return t.strings(ctx, op, `
		SELECT a.id FROM proactive_insights a
		WHERE a.source_agent = ?1 AND a.resolved_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > ?2)
		  AND a.id NOT IN (SELECT value FROM json_each(?3))
		  AND json_valid(a.source_data) AND coalesce(json_type(a.source_data, '$.case_ids'), 'null') <> 'null'
		  AND NOT EXISTS (
		    SELECT 1 FROM json_each(CASE WHEN json_type(a.source_data, '$.case_ids') = 'array'
		        THEN json_extract(a.source_data, '$.case_ids') ELSE '[]' END) h
		    JOIN ptd_cases c ON c.id = h.value
		    WHERE h.type = 'text' AND c.resolved_at IS NULL)
		ORDER BY a.created_at DESC, a.id DESC`, proactive.SourceAgent, formatTime(now), list)
}

// GetAlert implements proactive.DeskTx: one ptd-proactive alert, EINVALID
// for an id that is not a uuid, ENOTFOUND for an unknown one.
func (t *deskTx) GetAlert(ctx context.Context, id string) (proactive.Alert, error) {
	key, err := alertID(id)
	if err != nil {
		return proactive.Alert{}, err
	}
	a, err := scanAlert(t.tx.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM proactive_insights
		WHERE id = ? AND source_agent = ?`, key, proactive.SourceAgent))
	if errors.Is(err, sql.ErrNoRows) {
		return proactive.Alert{}, proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
	}
	if err != nil {
		return proactive.Alert{}, translate("get alert "+id, err)
	}
	return a, nil
}

// Enqueue implements proactive.DeskTx: one INSERT … ON CONFLICT DO NOTHING
// per notification, so that a key already queued (or twice in ns) is left
// out. A notification without an id gets a uuid; without a status, pending.
func (t *deskTx) Enqueue(ctx context.Context, ns []proactive.Notification) error {
	const op = "enqueue notifications"
	if err := t.mustWrite(op); err != nil {
		return err
	}
	if len(ns) == 0 {
		return nil
	}
	stmt, err := t.tx.PrepareContext(ctx, `
		INSERT INTO ptd_notifications (id, alert_id, channel, event, recipient, payload, priority, idempotency_key,
			scan_id, status, attempts, last_error, next_attempt_at, created_at, delivered_at)
		VALUES (?, ?, ?, ?, nullif(?, ''), ?, ?, ?, nullif(?, ''), ?, ?, nullif(?, ''), ?, ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING`)
	if err != nil {
		return translate(op, err)
	}
	defer stmt.Close()
	for _, n := range ns {
		id := n.ID
		if id == "" {
			id = uuid.NewString()
		}
		status := n.Status
		if status == "" {
			status = proactive.NotificationPending
		}
		event := n.Event
		if event == "" {
			event = proactive.EventAlert
		}
		var payload any
		if n.Payload != nil {
			b, err := json.Marshal(n.Payload)
			if err != nil {
				return proactive.Errorf(proactive.EINVALID, "%s: encode the payload of %s: %v", op, n.IdempotencyKey, err)
			}
			payload = string(b)
		}
		if _, err := stmt.ExecContext(ctx, id, n.AlertID, n.Channel, event, n.Recipient, payload, string(n.Priority),
			n.IdempotencyKey, n.ScanID, string(status), n.Attempts, n.LastError, formatTime(n.NextAttemptAt),
			formatTime(n.CreatedAt), nullTimeText(n.DeliveredAt)); err != nil {
			return translate(op+" "+n.IdempotencyKey, err)
		}
	}
	return nil
}

// PendingManualResolves implements proactive.DeskTx.
func (t *deskTx) PendingManualResolves(ctx context.Context, channel string, since time.Time) ([]proactive.Case, error) {
	return t.queryCases(ctx, "list manual resolves to notify on "+channel, `
		SELECT `+caseColumns("c.")+` FROM ptd_cases c
		WHERE c.resolve_reason = 'manual' AND c.resolved_at > ?
		  AND NOT EXISTS (SELECT 1 FROM ptd_resolve_notices n WHERE n.case_id = c.id AND n.channel = ?)
		ORDER BY c.resolved_at, c.id`, formatTime(since), channel)
}

// RecordResolveNotices implements proactive.DeskTx.
func (t *deskTx) RecordResolveNotices(ctx context.Context, channel string, caseIDs []string) error {
	op := "record resolve notices on " + channel
	if err := t.mustWrite(op); err != nil {
		return err
	}
	ids, err := jsonList(caseIDs)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = t.tx.ExecContext(ctx, `
		INSERT INTO ptd_resolve_notices (case_id, channel)
		SELECT value, ? FROM json_each(?) WHERE true
		ON CONFLICT (case_id, channel) DO NOTHING`, channel, ids)
	return translate(op, err)
}
