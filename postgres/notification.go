package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// notificationColumns are the columns a Notification is read from, in
// scanNotification's order, each qualified with alias ("" or "n.").
func notificationColumns(alias string) string {
	return fmt.Sprintf(`%[1]sid, %[1]salert_id, %[1]schannel, %[1]sidempotency_key, %[1]spriority,
		%[1]sstatus, %[1]sattempts, coalesce(%[1]slast_error, ''), %[1]snext_attempt_at, %[1]screated_at,
		%[1]sdelivered_at, coalesce(%[1]sscan_id, ''), %[1]sseq`, alias)
}

// scanNotification reads one row of notificationColumns and its seq.
func scanNotification(row pgx.Row) (proactive.Notification, int64, error) {
	var n proactive.Notification
	var priority, status string
	var seq int64
	err := row.Scan(&n.ID, &n.AlertID, &n.Channel, &n.IdempotencyKey, &priority, &status, &n.Attempts,
		&n.LastError, &n.NextAttemptAt, &n.CreatedAt, &n.DeliveredAt, &n.ScanID, &seq)
	if err != nil {
		return n, 0, err
	}
	n.Priority = proactive.Severity(priority)
	n.Status = proactive.NotificationStatus(status)
	n.NextAttemptAt = n.NextAttemptAt.UTC()
	n.CreatedAt = n.CreatedAt.UTC()
	if n.DeliveredAt != nil {
		t := n.DeliveredAt.UTC()
		n.DeliveredAt = &t
	}
	return n, seq, nil
}

// ClaimNotifications leases up to p.Limit due notifications (pending with
// next_attempt_at <= Now, or sending with an expired lease), oldest due
// first, counting an attempt on each. FOR UPDATE SKIP LOCKED: concurrent
// workers, in any process, never receive the same one. A Limit of 0 or less
// claims nothing.
func (d *DB) ClaimNotifications(ctx context.Context, p proactive.ClaimParams) ([]proactive.Notification, error) {
	if p.Limit <= 0 {
		return []proactive.Notification{}, nil
	}
	now := p.Now.UTC()
	rows, err := d.pool.Query(ctx, `
		WITH due AS (
			SELECT id FROM ptd_notifications
			WHERE ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until <= $1))
			  AND ($2 = '' OR channel = $2)
			ORDER BY next_attempt_at, created_at, seq
			LIMIT $3
			FOR UPDATE SKIP LOCKED
		)
		UPDATE ptd_notifications n
		SET status = 'sending', attempts = n.attempts + 1, lease_until = $4
		FROM due WHERE n.id = due.id
		RETURNING `+notificationColumns("n."),
		now, p.Channel, p.Limit, now.Add(p.Lease))
	if err != nil {
		return nil, d.fail("claim notifications", err)
	}
	defer rows.Close()
	type claimed struct {
		n   proactive.Notification
		seq int64
	}
	var got []claimed
	for rows.Next() {
		n, seq, err := scanNotification(rows)
		if err != nil {
			return nil, d.fail("claim notifications", err)
		}
		got = append(got, claimed{n, seq})
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail("claim notifications", err)
	}
	// RETURNING has no order: put them back in due order.
	slices.SortFunc(got, func(a, b claimed) int {
		if c := a.n.NextAttemptAt.Compare(b.n.NextAttemptAt); c != 0 {
			return c
		}
		if c := a.n.CreatedAt.Compare(b.n.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	out := make([]proactive.Notification, len(got))
	for i, c := range got {
		out[i] = c.n
	}
	return out, nil
}

// CompleteNotification marks a notification delivered at now. It is
// recorded whatever the notification's state: the peer has it, so a worker
// whose lease ran out (and whose notification another worker re-claimed,
// failed or gave up on) still stops it from being sent again. A second
// completion keeps the first delivered_at. ENOTFOUND for an unknown id.
func (d *DB) CompleteNotification(ctx context.Context, id string, now time.Time) error {
	tag, err := d.pool.Exec(ctx, `
		UPDATE ptd_notifications
		SET status = 'delivered', delivered_at = coalesce(delivered_at, $2), lease_until = NULL, last_error = NULL
		WHERE id = $1`, id, now.UTC())
	if err != nil {
		return d.fail("complete notification "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "notification %s not found", id)
	}
	return nil
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
	var tag pgconn.CommandTag
	var err error
	if retryAt != nil {
		tag, err = d.pool.Exec(ctx, `
			UPDATE ptd_notifications SET status = 'pending', next_attempt_at = $2, last_error = $3, lease_until = NULL
			WHERE id = $1 AND status = 'sending'`, id, retryAt.UTC(), errMsg)
	} else {
		tag, err = d.pool.Exec(ctx, `
			UPDATE ptd_notifications SET status = 'failed', last_error = $2, lease_until = NULL
			WHERE id = $1 AND status = 'sending'`, id, errMsg)
	}
	if err != nil {
		return d.fail(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var status string
	err = d.pool.QueryRow(ctx, `SELECT status FROM ptd_notifications WHERE id = $1`, id).Scan(&status)
	if isNoRows(err) {
		return proactive.Errorf(proactive.ENOTFOUND, "notification %s not found", id)
	}
	if err != nil {
		return d.fail(op, err)
	}
	return notClaimed(op, status)
}

// notClaimed is the error of a failure recorded for a notification that is
// no longer claimed.
func notClaimed(op, status string) error {
	return proactive.Errorf(proactive.ECONFLICT,
		"%s: the notification is no longer claimed (it is %s): its lease ran out and another worker took it over; nothing recorded",
		op, status)
}

// ListNotifications lists notifications, newest first.
func (d *DB) ListNotifications(ctx context.Context, f proactive.NotificationFilter) ([]proactive.Notification, error) {
	args := []any{string(f.Status)}
	limit := ""
	if f.Limit > 0 {
		args = append(args, f.Limit)
		limit = "LIMIT $2"
	}
	rows, err := d.pool.Query(ctx, `
		SELECT `+notificationColumns("")+` FROM ptd_notifications
		WHERE ($1 = '' OR status = $1)
		ORDER BY created_at DESC, seq DESC `+limit, args...)
	if err != nil {
		return nil, d.fail("list notifications", err)
	}
	defer rows.Close()
	out := []proactive.Notification{}
	for rows.Next() {
		n, _, err := scanNotification(rows)
		if err != nil {
			return nil, d.fail("list notifications", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail("list notifications", err)
	}
	return out, nil
}
