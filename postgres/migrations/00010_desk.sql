-- +goose Up
-- The risk desk (CONTRACT §10): cases, their events, silences and the
-- resolve notices of the outbox. Every statement is idempotent (IF NOT
-- EXISTS): Migrate runs this file again after goose when one of its tables
-- is missing (a user dropped it), so it must stay that way. There is no Down.
--
-- The columns the desk adds to existing tables (proactive_insights.resolved_at;
-- ptd_notifications.event, recipient, payload) are added by Migrate in Go,
-- only where missing (on proactive_insights, a user's table, with a bounded
-- lock wait), before goose runs and again after a table is recreated.
--
-- An empty text of the domain is NULL.

SET LOCAL lock_timeout = '10s';

CREATE TABLE IF NOT EXISTS ptd_cases (
    id               uuid PRIMARY KEY,
    type             text NOT NULL,
    -- Compared byte by byte (see 00013_case_lookups.sql).
    key              text COLLATE "C" NOT NULL,
    label            text,
    state            text NOT NULL,
    severity         text,
    peak_severity    text,
    urgency          integer NOT NULL DEFAULT 0,
    opened_at        timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    resolved_at      timestamptz,
    resolve_reason   text,
    owner            text,
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    ack_severity     text,
    snoozed_until    timestamptz,
    snooze_reason    text,
    inhibited_by     text,
    note             text,
    previous_case_id uuid,
    -- json, not jsonb: the text the product wrote comes back byte for
    -- byte, so a scan tells unchanged details without decoding them.
    details          json,
    -- The product's bookkeeping.
    seq              integer NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL,
    assigned         boolean NOT NULL DEFAULT false,
    woke_at          timestamptz,
    metric           double precision NOT NULL DEFAULT 0,
    -- A resolved case, and only one, has resolved_at: the unique index
    -- below and the queries of unresolved cases agree.
    CONSTRAINT ptd_cases_resolved_check CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
)
-- A scan refreshes the figures of tens of thousands of cases (no indexed
-- column among them): the room left on each page lets PostgreSQL keep
-- the new row version beside the old (a HOT update) and prune the old
-- without VACUUM, instead of a new entry in every index per case per scan.
-- Every case on a page may be refreshed in one scan, whose transaction
-- cannot prune its own old versions: the page must hold each row twice,
-- so rows fill at most 40% of it (at 60%, a third of the refreshes found
-- no room, and cost an entry in each of its seven indexes).
WITH (fillfactor = 40);
-- At most one unresolved case per key: the last line of defence.
CREATE UNIQUE INDEX IF NOT EXISTS ptd_cases_unresolved_key_idx ON ptd_cases (key) WHERE resolved_at IS NULL;
-- A key's history (its newest resolved case, `case KEY`).
CREATE INDEX IF NOT EXISTS ptd_cases_key_idx ON ptd_cases (key, resolved_at);
CREATE INDEX IF NOT EXISTS ptd_cases_type_state_idx ON ptd_cases (type, state);
-- A check's unresolved cases. (No index on last_seen_at: a scan moves it
-- on every case it sees, and an index on it would rule out HOT updates.)
CREATE INDEX IF NOT EXISTS ptd_cases_unresolved_type_idx ON ptd_cases (type) WHERE resolved_at IS NULL;
-- A check's inhibited cases: those a scan clears when no rule inhibits
-- its type.
CREATE INDEX IF NOT EXISTS ptd_cases_inhibited_idx ON ptd_cases (type) WHERE resolved_at IS NULL AND inhibited_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS ptd_cases_snoozed_idx ON ptd_cases (snoozed_until) WHERE state = 'snoozed';
CREATE INDEX IF NOT EXISTS ptd_cases_manual_resolved_idx ON ptd_cases (resolved_at) WHERE resolve_reason = 'manual';

-- History is never deleted by the product. case_id has no foreign key: the
-- product writes a case's events with the case, in one transaction, and on
-- PostgreSQL the check of a foreign key locks the case row of every event
-- (FOR KEY SHARE), which doubles the cost of a scan's tens of thousands of
-- events. UNIQUE (case_id, seq) keeps each change recorded once.
CREATE TABLE IF NOT EXISTS ptd_case_events (
    id       uuid PRIMARY KEY,
    case_id  uuid NOT NULL,
    seq      integer NOT NULL,
    at       timestamptz NOT NULL,
    kind     text NOT NULL,
    actor    text,
    severity text,
    note     text,
    CONSTRAINT ptd_case_events_case_seq_key UNIQUE (case_id, seq)
);

CREATE TABLE IF NOT EXISTS ptd_silences (
    id         uuid PRIMARY KEY,
    match      text NOT NULL,
    type       text,
    owner      text,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    created_by text,
    reason     text,
    created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ptd_silences_ends_idx ON ptd_silences (ends_at);

-- The manual resolves already queued on a channel (each once per channel).
CREATE TABLE IF NOT EXISTS ptd_resolve_notices (
    case_id uuid NOT NULL,
    channel text NOT NULL,
    PRIMARY KEY (case_id, channel)
);
