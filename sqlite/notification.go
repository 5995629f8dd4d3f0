package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// notificationColumns is the select list that scanNotification reads.
const notificationColumns = `id, alert_id, channel, idempotency_key, priority, status, attempts,
	last_error, next_attempt_at, created_at, delivered_at, scan_id`

// ClaimNotifications leases up to p.Limit due notifications (pending with
// next_attempt_at <= Now, or sending with an expired lease), oldest due
// first, counting an attempt on each. One UPDATE on the write connection:
// concurrent workers, in any process, never receive the same one. A Limit
// of 0 or less claims every due notification.
func (d *DB) ClaimNotifications(ctx context.Context, p proactive.ClaimParams) ([]proactive.Notification, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
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
				ORDER BY next_attempt_at, created_at, id
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
	// RETURNING gives no order; hand them out oldest due first.
	slices.SortFunc(out, func(a, b proactive.Notification) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// CompleteNotification marks a notification delivered at now. ENOTFOUND for
// an unknown id.
func (d *DB) CompleteNotification(ctx context.Context, id string, now time.Time) error {
	return d.updateNotification(ctx, "complete notification "+id, id, `
		UPDATE ptd_notifications SET status = 'delivered', delivered_at = ?, lease_until = NULL WHERE id = ?`,
		formatTime(now))
}

// FailNotification records a failed attempt: pending again at retryAt, or
// failed for good when retryAt is nil. ENOTFOUND for an unknown id.
func (d *DB) FailNotification(ctx context.Context, id string, errMsg string, retryAt *time.Time) error {
	op := "fail notification " + id
	if retryAt == nil {
		return d.updateNotification(ctx, op, id, `
			UPDATE ptd_notifications SET status = 'failed', last_error = nullif(?, ''), lease_until = NULL WHERE id = ?`,
			errMsg)
	}
	return d.updateNotification(ctx, op, id, `
		UPDATE ptd_notifications SET status = 'pending', last_error = nullif(?, ''), next_attempt_at = ?,
			lease_until = NULL WHERE id = ?`,
		errMsg, formatTime(*retryAt))
}

// updateNotification runs an UPDATE of one notification whose last
// parameter is its id.
func (d *DB) updateNotification(ctx context.Context, op, id, query string, args ...any) error {
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
	if n == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: no such notification: `ptd-proactive notifications` lists them", op)
	}
	return nil
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
			next, created, delivered nullTime
		)
		if err := rows.Scan(&n.ID, &n.AlertID, &n.Channel, &n.IdempotencyKey, &priority, &status, &n.Attempts,
			&lastError, &next, &created, &delivered, &scanID); err != nil {
			return nil, err
		}
		n.Priority, n.Status = proactive.Severity(priority), proactive.NotificationStatus(status)
		n.LastError, n.ScanID = lastError.String, scanID.String
		n.NextAttemptAt, n.CreatedAt, n.DeliveredAt = next.Time, created.Time, delivered.ptr()
		out = append(out, n)
	}
	return out, rows.Err()
}
