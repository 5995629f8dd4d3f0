-- +goose Up
-- The product's tables. Every statement is idempotent (IF NOT EXISTS):
-- Migrate runs this file again after goose to recreate what a user dropped,
-- so it must stay that way. There is no Down: ptd-proactive never drops.
--
-- The user's source tables are created in Go (only where missing), and so
-- are the indexes on the source tables and on proactive_insights (CREATE
-- INDEX CONCURRENTLY, outside any transaction, so that no user table is
-- locked against writes). An existing proactive_insights gets the columns
-- it lacks from Go as well, one ALTER TABLE only when something is missing.

SET LOCAL lock_timeout = '10s';

CREATE TABLE IF NOT EXISTS proactive_insights (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    insight_type      text,
    priority          text,
    title             text,
    content           text,
    summary           text,
    action_items      jsonb,
    affected_entities jsonb,
    source_agent      text,
    source_data       jsonb,
    dedup_key         text,
    expires_at        timestamptz,
    is_dismissed      boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- The notification outbox. seq orders rows created at the same instant.
CREATE TABLE IF NOT EXISTS ptd_notifications (
    id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    alert_id        text NOT NULL,
    channel         text NOT NULL,
    priority        text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    scan_id         text,
    status          text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz
);
CREATE INDEX IF NOT EXISTS ptd_notifications_due_idx ON ptd_notifications (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ptd_notifications_created_idx ON ptd_notifications (created_at, seq);

CREATE TABLE IF NOT EXISTS ptd_scan_runs (
    id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    started_at   timestamptz NOT NULL,
    duration_ms  bigint NOT NULL,
    success      boolean NOT NULL,
    "trigger"    text,
    anomalies    integer NOT NULL DEFAULT 0,
    alerts_saved integer NOT NULL DEFAULT 0,
    errors       integer NOT NULL DEFAULT 0,
    message      text
);
CREATE INDEX IF NOT EXISTS ptd_scan_runs_started_idx ON ptd_scan_runs (started_at, seq);

-- One row per claimed tick of a named schedule: exactly one replica scans.
CREATE TABLE IF NOT EXISTS ptd_schedule_ticks (
    name       text NOT NULL,
    tick       timestamptz NOT NULL,
    claimed_at timestamptz NOT NULL,
    PRIMARY KEY (name, tick)
);
