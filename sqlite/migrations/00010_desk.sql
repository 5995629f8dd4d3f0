-- +goose Up
-- The risk desk (CONTRACT §10): cases, their events, silences and the
-- resolve notices of the outbox. Every statement is idempotent (IF NOT
-- EXISTS): Migrate runs this file again after goose to recreate what a user
-- dropped, so it must stay that way. There is no Down.
--
-- The columns the desk adds to existing tables (proactive_insights.resolved_at;
-- ptd_notifications.event, recipient, payload) are added by Migrate in Go,
-- only where missing: SQLite has no ADD COLUMN IF NOT EXISTS.
--
-- Timestamps are TEXT in the canonical UTC form 2006-01-02T15:04:05.000000Z
-- (text order is time order); an empty text of the domain is NULL.

CREATE TABLE IF NOT EXISTS ptd_cases (
    id               TEXT NOT NULL PRIMARY KEY,
    type             TEXT NOT NULL,
    key              TEXT NOT NULL,
    label            TEXT,
    state            TEXT NOT NULL,
    severity         TEXT,
    peak_severity    TEXT,
    urgency          INTEGER NOT NULL DEFAULT 0,
    opened_at        TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    resolved_at      TEXT,
    resolve_reason   TEXT,
    owner            TEXT,
    acknowledged_by  TEXT,
    acknowledged_at  TEXT,
    ack_severity     TEXT,
    snoozed_until    TEXT,
    snooze_reason    TEXT,
    inhibited_by     TEXT,
    note             TEXT,
    previous_case_id TEXT,
    details          TEXT,
    -- The product's bookkeeping.
    seq              INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL,
    assigned         INTEGER NOT NULL DEFAULT 0,
    woke_at          TEXT,
    metric           REAL NOT NULL DEFAULT 0,
    -- A resolved case, and only one, has resolved_at: the unique index
    -- below and the queries of unresolved cases agree.
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
-- At most one unresolved case per key: the last line of defence.
CREATE UNIQUE INDEX IF NOT EXISTS ptd_cases_unresolved_key_idx ON ptd_cases (key) WHERE resolved_at IS NULL;
-- A key's history (its newest resolved case, `case KEY`).
CREATE INDEX IF NOT EXISTS ptd_cases_key_idx ON ptd_cases (key, resolved_at);
CREATE INDEX IF NOT EXISTS ptd_cases_type_state_idx ON ptd_cases (type, state);
-- A check's inhibited cases: those a scan clears when no rule inhibits
-- its type (00013_case_inhibited.sql).
CREATE INDEX IF NOT EXISTS ptd_cases_inhibited_idx ON ptd_cases (type) WHERE resolved_at IS NULL AND inhibited_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS ptd_cases_snoozed_idx ON ptd_cases (snoozed_until) WHERE state = 'snoozed';
CREATE INDEX IF NOT EXISTS ptd_cases_manual_resolved_idx ON ptd_cases (resolved_at) WHERE resolve_reason = 'manual';

-- History is never deleted by the product. case_id has no foreign key: the
-- product writes a case's events with the case, in one transaction, and on
-- PostgreSQL the check of a foreign key locks the case row of every event
-- (FOR KEY SHARE), which doubles the cost of a scan's tens of thousands of
-- events. UNIQUE (case_id, seq) keeps each change recorded once.
CREATE TABLE IF NOT EXISTS ptd_case_events (
    id       TEXT NOT NULL PRIMARY KEY,
    case_id  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    actor    TEXT,
    severity TEXT,
    note     TEXT,
    UNIQUE (case_id, seq)
);

CREATE TABLE IF NOT EXISTS ptd_silences (
    id         TEXT NOT NULL PRIMARY KEY,
    match      TEXT NOT NULL,
    type       TEXT,
    owner      TEXT,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    created_by TEXT,
    reason     TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ptd_silences_ends_idx ON ptd_silences (ends_at);

-- The manual resolves already queued on a channel (each once per channel).
CREATE TABLE IF NOT EXISTS ptd_resolve_notices (
    case_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    PRIMARY KEY (case_id, channel)
);
