package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// RecordScan stores the record of a finished scan.
func (d *DB) RecordScan(ctx context.Context, r proactive.ScanRun) error {
	_, err := d.pool.Exec(ctx, `
		INSERT INTO ptd_scan_runs (started_at, duration_ms, success, "trigger", anomalies, alerts_saved, errors, message)
		VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''))`,
		r.StartedAt.UTC(), r.DurationMS, r.Success, r.Trigger, r.Anomalies, r.AlertsSaved, r.Errors, r.Message)
	if err != nil {
		return d.fail("record scan", err)
	}
	return nil
}

// LastScan returns the most recent scan record (latest started_at), and
// ENOTFOUND when no scan was recorded.
func (d *DB) LastScan(ctx context.Context) (proactive.ScanRun, error) {
	var r proactive.ScanRun
	err := d.pool.QueryRow(ctx, `
		SELECT started_at, duration_ms, success, coalesce("trigger", ''), anomalies, alerts_saved, errors, coalesce(message, '')
		FROM ptd_scan_runs ORDER BY started_at DESC, seq DESC LIMIT 1`).
		Scan(&r.StartedAt, &r.DurationMS, &r.Success, &r.Trigger, &r.Anomalies, &r.AlertsSaved, &r.Errors, &r.Message)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, proactive.Errorf(proactive.ENOTFOUND, "no scan has been recorded yet: run `ptd-proactive scan`")
	}
	if err != nil {
		return r, d.fail("read the last scan", err)
	}
	r.StartedAt = r.StartedAt.UTC()
	return r, nil
}

// ListScans returns the records of the last limit scans, the one that
// started last first.
func (d *DB) ListScans(ctx context.Context, limit int) ([]proactive.ScanRun, error) {
	if limit < 1 {
		return nil, proactive.Errorf(proactive.EINVALID, "list scans: limit %d: ask for 1 or more", limit)
	}
	rows, err := d.pool.Query(ctx, `
		SELECT started_at, duration_ms, success, coalesce("trigger", ''), anomalies, alerts_saved, errors, coalesce(message, '')
		FROM ptd_scan_runs ORDER BY started_at DESC, seq DESC LIMIT $1`, limit)
	if err != nil {
		return nil, d.fail("list scans", err)
	}
	defer rows.Close()
	out := []proactive.ScanRun{}
	for rows.Next() {
		var r proactive.ScanRun
		if err := rows.Scan(&r.StartedAt, &r.DurationMS, &r.Success, &r.Trigger, &r.Anomalies, &r.AlertsSaved, &r.Errors, &r.Message); err != nil {
			return nil, d.fail("list scans", err)
		}
		r.StartedAt = r.StartedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail("list scans", err)
	}
	return out, nil
}

// ClaimTick claims one tick of a named schedule with INSERT … ON CONFLICT
// DO NOTHING: true for exactly one caller per (name, tick) over all
// processes sharing the database.
func (d *DB) ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error) {
	tag, err := d.pool.Exec(ctx, `
		INSERT INTO ptd_schedule_ticks (name, tick, claimed_at) VALUES ($1, $2, clock_timestamp())
		ON CONFLICT (name, tick) DO NOTHING`, name, tick.UTC())
	if err != nil {
		return false, d.fail("claim schedule tick "+name, err)
	}
	return tag.RowsAffected() == 1, nil
}
