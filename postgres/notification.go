package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// notificationColumns are the columns a Notification is read from, in
// scanNotification's order, each qualified with alias ("" or "n.").
func notificationColumns(alias string) string {
	return fmt.Sprintf(`%[1]sid, %[1]salert_id, %[1]schannel, %[1]sidempotency_key, %[1]spriority,
		%[1]sstatus, %[1]sattempts, coalesce(%[1]slast_error, ''), %[1]snext_attempt_at, %[1]screated_at,
		%[1]sdelivered_at, coalesce(%[1]sscan_id, ''), %[1]sseq, %[1]sevent, coalesce(%[1]srecipient, ''),
		%[1]spayload::text`, alias)
}

// scanNotification reads one row of notificationColumns and its seq. A
// row written before notifications had events reads as EventAlert (the
// column's default).
func scanNotification(row pgx.Row) (proactive.Notification, int64, error) {
	var n proactive.Notification
	var priority, status string
	var seq int64
	var payload *string
	err := row.Scan(&n.ID, &n.AlertID, &n.Channel, &n.IdempotencyKey, &priority, &status, &n.Attempts,
		&n.LastError, &n.NextAttemptAt, &n.CreatedAt, &n.DeliveredAt, &n.ScanID, &seq, &n.Event, &n.Recipient, &payload)
	if err != nil {
		return n, 0, err
	}
	if payload != nil {
		n.Payload = &proactive.NotificationPayload{}
		if err := json.Unmarshal([]byte(*payload), n.Payload); err != nil {
			return n, 0, fmt.Errorf("notification %s: read payload: %w", n.ID, err)
		}
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
		SET status = 'delivered', delivered_at = coalesce(delivered_at, $2), lease_until = NULL, last_error = NULL
		WHERE id = $1`, now.UTC())
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
	if retryAt != nil {
		return d.updateNotification(ctx, op, id, conflict, `
			UPDATE ptd_notifications SET status = 'pending', next_attempt_at = $4, last_error = $3, lease_until = NULL
			WHERE id = $1 AND status = 'sending' AND attempts = $2`, attempt, errMsg, retryAt.UTC())
	}
	return d.updateNotification(ctx, op, id, conflict, `
		UPDATE ptd_notifications SET status = 'failed', last_error = $3, lease_until = NULL
		WHERE id = $1 AND status = 'sending' AND attempts = $2`, attempt, errMsg)
}

// RetryNotifications queues failed notifications again: pending, due at
// p.Now, attempts back to 0, last_error kept until the next attempt. With
// p.ID it retries that one (EINVALID malformed, ENOTFOUND unknown,
// ECONFLICT not failed); without, every failed one of p.Channel ("" all
// channels). It returns how many it queued.
func (d *DB) RetryNotifications(ctx context.Context, p proactive.RetryParams) (int, error) {
	const set = `UPDATE ptd_notifications SET status = 'pending', attempts = 0, next_attempt_at = $2, lease_until = NULL`
	now := p.Now.UTC()
	if p.ID != "" {
		op := "retry notification " + p.ID
		if p.Channel != "" {
			return 0, proactive.Errorf(proactive.EINVALID, "%s: a channel selects among all failed notifications: give an id or a channel, not both", op)
		}
		err := d.updateNotification(ctx, op, p.ID, func(status string, _ int) error { return proactive.NotFailedError(op, status) },
			set+` WHERE id = $1 AND status = 'failed'`, now)
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
	op := "retry failed notifications"
	if p.Channel != "" {
		op += " of channel " + p.Channel
	}
	tag, err := d.pool.Exec(ctx, set+` WHERE status = 'failed' AND ($1 = '' OR channel = $1)`, p.Channel, now)
	if err != nil {
		return 0, d.fail(op, err)
	}
	return int(tag.RowsAffected()), nil
}

// updateNotification runs an UPDATE of one notification whose $1 is its id
// and whose further parameters are args. Notification ids are uuids (the
// table's default): a malformed one is EINVALID. When the UPDATE changes no
// row, the notification is unknown (ENOTFOUND) or not in the state the
// UPDATE requires: conflict builds that error from its status and attempts
// (nil: the UPDATE requires no state).
func (d *DB) updateNotification(ctx context.Context, op, id string, conflict func(status string, attempts int) error, query string, args ...any) error {
	u, err := uuid.Parse(id)
	if err != nil {
		return proactive.Errorf(proactive.EINVALID, "%s: malformed notification id: a notification id is a uuid", op)
	}
	id = u.String()
	tag, err := d.pool.Exec(ctx, query, append([]any{id}, args...)...)
	if err != nil {
		return d.fail(op, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var (
		status   string
		attempts int
	)
	err = d.pool.QueryRow(ctx, `SELECT status, attempts FROM ptd_notifications WHERE id = $1`, id).Scan(&status, &attempts)
	if isNoRows(err) {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: no such notification: `ptd-proactive notifications` lists them", op)
	}
	if err != nil {
		return d.fail(op, err)
	}
	if conflict == nil {
		return proactive.Errorf(proactive.EINTERNAL, "%s: the notification exists (it is %s) but was not updated", op, status)
	}
	return conflict(status, attempts)
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
