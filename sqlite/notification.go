package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
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

// CompleteNotification marks a notification delivered at now. It is
// recorded whatever the notification's state: the peer has it, so a worker
// whose lease ran out (and whose notification another worker re-claimed,
// failed or gave up on) still stops it from being sent again. A second
// completion keeps the first delivered_at. ENOTFOUND for an unknown id.
func (d *DB) CompleteNotification(ctx context.Context, id string, now time.Time) error {
	return d.updateNotification(ctx, "complete notification "+id, id, `
		UPDATE ptd_notifications
		SET status = 'delivered', delivered_at = coalesce(delivered_at, ?), lease_until = NULL, last_error = NULL
		WHERE id = ?`,
		formatTime(now))
}

// FailNotification records a failed attempt of a claimed (sending)
// notification: pending again at retryAt, or failed for good when retryAt
// is nil. A notification that is no longer sending (a worker whose lease
// ran out, after another worker delivered it, gave up on it or put it back)
// is left as it is: ECONFLICT, so that a late failure never sends a
// delivered notification again nor hides a delivery. ENOTFOUND for an
// unknown id.
func (d *DB) FailNotification(ctx context.Context, id string, errMsg string, retryAt *time.Time) error {
	op := "record failed notification " + id
	if retryAt == nil {
		return d.updateNotification(ctx, op, id, `
			UPDATE ptd_notifications SET status = 'failed', last_error = nullif(?, ''), lease_until = NULL
			WHERE status = 'sending' AND id = ?`,
			errMsg)
	}
	return d.updateNotification(ctx, op, id, `
		UPDATE ptd_notifications SET status = 'pending', last_error = nullif(?, ''), next_attempt_at = ?,
			lease_until = NULL WHERE status = 'sending' AND id = ?`,
		errMsg, formatTime(*retryAt))
}

// updateNotification runs an UPDATE of one notification whose last
// parameter is its id. When it changes no row, the notification is unknown
// (ENOTFOUND) or not in the state the UPDATE requires (ECONFLICT).
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
	if n > 0 {
		return nil
	}
	var status string
	err = d.write.QueryRowContext(ctx, `SELECT status FROM ptd_notifications WHERE id = ?`, u.String()).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: no such notification: `ptd-proactive notifications` lists them", op)
	}
	if err != nil {
		return translate(op, err)
	}
	return proactive.Errorf(proactive.ECONFLICT,
		"%s: the notification is no longer claimed (it is %s): its lease ran out and another worker took it over; nothing recorded",
		op, status)
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
