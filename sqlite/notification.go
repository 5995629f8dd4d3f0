package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// notificationColumns is the select list that scanNotification reads.
const notificationColumns = `id, alert_id, channel, idempotency_key, priority, status, attempts,
	last_error, next_attempt_at, created_at, delivered_at, scan_id, event, recipient, payload`

// ClaimNotifications leases up to p.Limit due notifications (pending with
// next_attempt_at <= Now, or sending with an expired lease), oldest due
// first, counting an attempt on each. One UPDATE on the write connection:
// concurrent workers, in any process, never receive the same one. A Limit
// of 0 or less claims nothing.
func (d *DB) ClaimNotifications(ctx context.Context, p proactive.ClaimParams) ([]proactive.Notification, error) {
	limit := p.Limit
	if limit <= 0 {
		return []proactive.Notification{}, nil
	}
	now := formatTime(p.Now)
	var out []proactive.Notification
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			UPDATE ptd_notifications
			SET status = 'sending', attempts = attempts + 1, lease_until = :lease_until
			WHERE id IN (
				SELECT id FROM ptd_notifications
				WHERE ((status = 'pending' AND next_attempt_at <= :now)
				    OR (status = 'sending' AND (lease_until IS NULL OR lease_until <= :now)))
				  AND (:channel = '' OR channel = :channel)
				ORDER BY next_attempt_at, created_at, scan_id, id
				LIMIT :limit)
			RETURNING `+notificationColumns,
			sql.Named("lease_until", formatTime(p.Now.Add(p.Lease))),
			sql.Named("now", now),
			sql.Named("channel", p.Channel),
			sql.Named("limit", limit),
		)
		if err != nil {
			return err
		}
		out, err = scanNotifications(rows)
		return err
	})
	if err != nil {
		return nil, translate("claim notifications", err)
	}
	// RETURNING gives no order; hand them out oldest due first, a scan's
	// together (the worker's one email per scan and recipient relies on
	// it when two scans share a time).
	slices.SortFunc(out, func(a, b proactive.Notification) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), a.CreatedAt.Compare(b.CreatedAt),
			strings.Compare(a.ScanID, b.ScanID), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// CompleteNotification marks a notification delivered at now. It is
// recorded whatever the notification's state and whichever claim attempt
// finishes (the claim's Attempts): the peer has it, so a worker whose lease
// ran out (and whose notification another worker re-claimed, failed or gave
// up on) still stops it from being sent again. A second completion keeps
// the first delivered_at. EINVALID for a malformed id or an attempt below
// 1, ENOTFOUND for an unknown id.
func (d *DB) CompleteNotification(ctx context.Context, id string, attempt int, now time.Time) error {
	op := "complete notification " + id
	if err := proactive.CheckAttempt(op, attempt); err != nil {
		return err
	}
	return d.updateNotification(ctx, op, id, nil, `
		UPDATE ptd_notifications
		SET status = 'delivered', delivered_at = coalesce(delivered_at, ?), lease_until = NULL, last_error = NULL
		WHERE id = ?`,
		formatTime(now))
}

// FailNotification records the failed attempt of the claim with this
// attempt number (the claim's Attempts): pending again at retryAt, or
// failed for good when retryAt is nil. It is recorded only while that claim
// still holds the notification (sending, with that attempt count). A
// notification that another worker re-claimed after this claim's lease ran
// out, delivered, gave up on or put back is left as it is: ECONFLICT, so
// that a late failure never takes a notification from the worker sending
// it, sends a delivered one again nor hides a delivery. EINVALID for a
// malformed id or an attempt below 1, ENOTFOUND for an unknown id.
func (d *DB) FailNotification(ctx context.Context, id string, attempt int, errMsg string, retryAt *time.Time) error {
	op := "record failed notification " + id
	if err := proactive.CheckAttempt(op, attempt); err != nil {
		return err
	}
	conflict := func(status string, attempts int) error {
		return proactive.NotClaimedError(op, attempt, status, attempts)
	}
	if retryAt == nil {
		return d.updateNotification(ctx, op, id, conflict, `
			UPDATE ptd_notifications SET status = 'failed', last_error = nullif(?, ''), lease_until = NULL
			WHERE status = 'sending' AND attempts = ? AND id = ?`,
			errMsg, attempt)
	}
	return d.updateNotification(ctx, op, id, conflict, `
		UPDATE ptd_notifications SET status = 'pending', last_error = nullif(?, ''), next_attempt_at = ?,
			lease_until = NULL WHERE status = 'sending' AND attempts = ? AND id = ?`,
		errMsg, formatTime(*retryAt), attempt)
}

// RetryNotifications queues failed notifications again: pending, due at
// p.Now, attempts back to 0, last_error kept until the next attempt. With
// p.ID it retries that one (EINVALID malformed, ENOTFOUND unknown,
// ECONFLICT not failed); without, every failed one of p.Channel ("" all
// channels). It returns how many it queued.
func (d *DB) RetryNotifications(ctx context.Context, p proactive.RetryParams) (int, error) {
	const set = `UPDATE ptd_notifications SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL`
	now := formatTime(p.Now)
	if p.ID != "" {
		op := "retry notification " + p.ID
		if p.Channel != "" {
			return 0, proactive.Errorf(proactive.EINVALID, "%s: a channel selects among all failed notifications: give an id or a channel, not both", op)
		}
		err := d.updateNotification(ctx, op, p.ID, func(status string, _ int) error { return proactive.NotFailedError(op, status) },
			set+` WHERE status = 'failed' AND id = ?`, now)
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
	op := "retry failed notifications"
	if p.Channel != "" {
		op += " of channel " + p.Channel
	}
	res, err := d.write.ExecContext(ctx, set+` WHERE status = 'failed' AND (? = '' OR channel = ?)`, now, p.Channel, p.Channel)
	if err != nil {
		return 0, translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// updateNotification runs an UPDATE of one notification whose last
// parameter is its id. When it changes no row, the notification is unknown
// (ENOTFOUND) or not in the state the UPDATE requires: conflict builds that
// error from its status and attempts (nil: the UPDATE requires no state).
func (d *DB) updateNotification(ctx context.Context, op, id string, conflict func(status string, attempts int) error, query string, args ...any) error {
	u, err := uuid.Parse(id)
	if err != nil {
		return proactive.Errorf(proactive.EINVALID, "%s: malformed notification id: a notification id is a uuid", op)
	}
	res, err := d.write.ExecContext(ctx, query, append(args, u.String())...)
	if err != nil {
		return translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, err)
	}
	if n > 0 {
		return nil
	}
	var (
		status   string
		attempts int
	)
	err = d.write.QueryRowContext(ctx, `SELECT status, attempts FROM ptd_notifications WHERE id = ?`, u.String()).Scan(&status, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: no such notification: `ptd-proactive notifications` lists them", op)
	}
	if err != nil {
		return translate(op, err)
	}
	if conflict == nil {
		return proactive.Errorf(proactive.EINTERNAL, "%s: the notification exists (it is %s) but was not updated", op, status)
	}
	return conflict(status, attempts)
}

// ListNotifications lists notifications, newest first, optionally of one
// status; a Limit of 0 or less lists all.
func (d *DB) ListNotifications(ctx context.Context, f proactive.NotificationFilter) ([]proactive.Notification, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := d.read.QueryContext(ctx, `
		SELECT `+notificationColumns+` FROM ptd_notifications
		WHERE (:status = '' OR status = :status)
		ORDER BY created_at DESC, id DESC
		LIMIT :limit`,
		sql.Named("status", string(f.Status)),
		sql.Named("limit", limit),
	)
	if err != nil {
		return nil, translate("list notifications", err)
	}
	out, err := scanNotifications(rows)
	if err != nil {
		return nil, translate("list notifications", err)
	}
	return out, nil
}

// scanNotifications reads and closes rows of notificationColumns.
func scanNotifications(rows *sql.Rows) ([]proactive.Notification, error) {
	defer rows.Close()
	out := []proactive.Notification{}
	for rows.Next() {
		var (
			n                        proactive.Notification
			priority, status         string
			lastError, scanID        sql.NullString
			event, recipient, body   sql.NullString
			next, created, delivered nullTime
		)
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Channel, &n.IdempotencyKey, &priority, &status, &n.Attempts,
			&lastError, &next, &created, &delivered, &scanID, &event, &recipient, &body); err != nil {
			return nil, err
		}
		n.Event, n.Recipient = cmp.Or(event.String, proactive.EventAlert), recipient.String
		if body.Valid && body.String != "" {
			n.Payload = &proactive.NotificationPayload{}
			if err := json.Unmarshal([]byte(body.String), n.Payload); err != nil {
				return nil, fmt.Errorf("notification %s: decode payload: %w", n.ID, err)
			}
		}
		n.Priority, n.Status = proactive.Severity(priority), proactive.NotificationStatus(status)
		n.LastError, n.ScanID = lastError.String, scanID.String
		n.NextAttemptAt, n.CreatedAt, n.DeliveredAt = next.Time, created.Time, delivered.ptr()
		out = append(out, n)
	}
	return out, rows.Err()
}
