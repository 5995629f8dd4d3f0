-- +goose Up
-- Cheaper lookups of cases in a scan (see 00010_desk.sql, which new
-- databases and recreated tables take as it stands now). Idempotent;
-- there is no Down.
--
-- Case keys compare byte by byte (COLLATE "C"), whatever the database's
-- collation: a scan whose anomalies come in key order reads and touches
-- the cases of each batch as one range of the unique index of unresolved
-- cases (DeskTx.SeenCasesBetween, TouchCasesBetween), and the range must
-- be the one Go's byte order gives. Keys are identifiers (a type, an
-- email, an id): no language's order means anything for them. Only the
-- collation changes: the rows stay, the indexes on key are rebuilt.
--
-- The unresolved cases that are inhibited, by type: every scan clears
-- inhibited_by of the types no rule inhibits (all of them, without
-- rules), and found them by reading every unresolved case of the type.
-- Refreshes write neither column of its predicate: they stay HOT.

SET LOCAL lock_timeout = '10s';

ALTER TABLE ptd_cases ALTER COLUMN key TYPE text COLLATE "C";
CREATE INDEX IF NOT EXISTS ptd_cases_inhibited_idx ON ptd_cases (type) WHERE resolved_at IS NULL AND inhibited_by IS NOT NULL;
