-- +goose Up
-- The baseline schema. Every statement is idempotent (IF NOT EXISTS): Migrate
-- runs this file again after goose to recreate whatever a user dropped, so it
-- must stay that way. There is no Down: ptd-proactive never drops tables.
--
-- Source tables (CONTRACT §2) are the user's; they are created only where
-- missing. Their indexes are created by Migrate in Go, only where the columns
-- exist (a user's table may differ). Timestamps are TEXT in the canonical UTC
-- form 2006-01-02T15:04:05.000000Z; readers accept whatever julianday() reads.
-- Generated ids are uuid v4 text, like gen_random_uuid() on PostgreSQL.

CREATE TABLE IF NOT EXISTS client_health_scores (
    email         TEXT,
    firstname     TEXT,
    lastname      TEXT,
    health_score  REAL,
    health_zone   TEXT,
    calculated_at TEXT
);

CREATE TABLE IF NOT EXISTS deals (
    id                 TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    name               TEXT,
    stage              TEXT,
    amount             REAL,
    contact_id         TEXT,
    created_at         TEXT,
    updated_at         TEXT,
    last_activity_date TEXT
);

CREATE TABLE IF NOT EXISTS sync_errors (
    id            TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    error_type    TEXT,
    source        TEXT,
    object_type   TEXT,
    error_message TEXT,
    created_at    TEXT,
    retry_count   INTEGER,
    resolved_at   TEXT
);

CREATE TABLE IF NOT EXISTS leads (
    id                TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    name              TEXT,
    email             TEXT,
    created_at        TEXT,
    status            TEXT,
    source            TEXT,
    last_contact_date TEXT
);

-- The product's tables. JSON columns hold JSON text; is_dismissed is 0/1.

CREATE TABLE IF NOT EXISTS proactive_insights (
    id                TEXT NOT NULL PRIMARY KEY,
    insight_type      TEXT,
    priority          TEXT,
    title             TEXT,
    content           TEXT,
    summary           TEXT,
    action_items      TEXT,
    affected_entities TEXT,
    source_agent      TEXT,
    source_data       TEXT,
    dedup_key         TEXT,
    expires_at        TEXT,
    is_dismissed      INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);
CREATE INDEX IF NOT EXISTS ptd_insights_dedup_idx ON proactive_insights (dedup_key, created_at);
CREATE INDEX IF NOT EXISTS ptd_insights_active_idx ON proactive_insights (source_agent, is_dismissed, expires_at);

CREATE TABLE IF NOT EXISTS ptd_notifications (
    id              TEXT NOT NULL PRIMARY KEY,
    alert_id        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    priority        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    scan_id         TEXT,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);
CREATE INDEX IF NOT EXISTS ptd_notifications_due_idx ON ptd_notifications (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ptd_notifications_created_idx ON ptd_notifications (created_at);

CREATE TABLE IF NOT EXISTS ptd_scan_runs (
    id           TEXT NOT NULL PRIMARY KEY,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    success      INTEGER NOT NULL,
    "trigger"    TEXT,
    anomalies    INTEGER NOT NULL DEFAULT 0,
    alerts_saved INTEGER NOT NULL DEFAULT 0,
    errors       INTEGER NOT NULL DEFAULT 0,
    message      TEXT
);
CREATE INDEX IF NOT EXISTS ptd_scan_runs_started_idx ON ptd_scan_runs (started_at);

CREATE TABLE IF NOT EXISTS ptd_schedule_ticks (
    name       TEXT NOT NULL,
    tick       TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (name, tick)
);
