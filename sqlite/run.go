package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// tickRetention is how long claimed schedule ticks are kept; older ones are
// pruned when a newer tick of the same schedule is claimed.
const tickRetention = 7 * 24 * time.Hour

// RecordScan stores the record of a finished scan.
func (d *DB) RecordScan(ctx context.Context, r proactive.ScanRun) error {
	_, err := d.write.ExecContext(ctx, `
		INSERT INTO ptd_scan_runs (id, started_at, duration_ms, success, "trigger", anomalies, alerts_saved, errors, message)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, nullif(?, ''))`,
		uuid.NewString(), formatTime(r.StartedAt), r.DurationMS, r.Success, r.Trigger,
		r.Anomalies, r.AlertsSaved, r.Errors, r.Message)
	return translate("record scan", err)
}

// LastScan returns the record of the scan that started last; ENOTFOUND
// when no scan was recorded.
func (d *DB) LastScan(ctx context.Context) (proactive.ScanRun, error) {
	var (
		r       proactive.ScanRun
		started nullTime
		trigger sql.NullString
		message sql.NullString
	)
	err := d.read.QueryRowContext(ctx, `
		SELECT started_at, duration_ms, success, "trigger", anomalies, alerts_saved, errors, message
		FROM ptd_scan_runs ORDER BY started_at DESC, rowid DESC LIMIT 1`,
	).Scan(&started, &r.DurationMS, &r.Success, &trigger, &r.Anomalies, &r.AlertsSaved, &r.Errors, &message)
	if errors.Is(err, sql.ErrNoRows) {
		return r, proactive.Errorf(proactive.ENOTFOUND, "no scan recorded yet: run `ptd-proactive scan`")
	}
	if err != nil {
		return r, translate("read the last scan", err)
	}
	r.StartedAt, r.Trigger, r.Message = started.Time, trigger.String, message.String
	return r, nil
}

// ListScans returns the records of the last limit scans, the one that
// started last first.
func (d *DB) ListScans(ctx context.Context, limit int) ([]proactive.ScanRun, error) {
	if limit < 1 {
		return nil, proactive.Errorf(proactive.EINVALID, "list scans: limit %d: ask for 1 or more", limit)
	}
	rows, err := d.read.QueryContext(ctx, `
		SELECT started_at, duration_ms, success, "trigger", anomalies, alerts_saved, errors, message
		FROM ptd_scan_runs ORDER BY started_at DESC, rowid DESC LIMIT ?`, limit)
	if err != nil {
		return nil, translate("list scans", err)
	}
	defer rows.Close()
	out := []proactive.ScanRun{}
	for rows.Next() {
		var (
			r                proactive.ScanRun
			started          nullTime
			trigger, message sql.NullString
		)
		if err := rows.Scan(&started, &r.DurationMS, &r.Success, &trigger, &r.Anomalies, &r.AlertsSaved, &r.Errors, &message); err != nil {
			return nil, translate("list scans", err)
		}
		r.StartedAt, r.Trigger, r.Message = started.Time, trigger.String, message.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("list scans", err)
	}
	return out, nil
}

// ClaimTick claims one tick of a named schedule: true for exactly one
// caller per (name, tick) over all processes sharing the file. The tick is
// compared as an instant (its zone does not matter).
func (d *DB) ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error) {
	var claimed bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO ptd_schedule_ticks (name, tick, claimed_at) VALUES (?, ?, ?)
			ON CONFLICT (name, tick) DO NOTHING`,
			name, formatTime(tick), formatTime(time.Now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		claimed = n == 1
		if !claimed {
			return nil
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM ptd_schedule_ticks WHERE name = ? AND tick < ?`,
			name, formatTime(tick.Add(-tickRetention)))
		return err
	})
	if err != nil {
		return false, translate("claim schedule tick "+name, err)
	}
	return claimed, nil
}
