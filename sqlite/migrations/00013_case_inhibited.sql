-- +goose Up
-- The unresolved cases that are inhibited, by type (00010_desk.sql, which
-- new databases and recreated tables take as it stands now, creates it
-- too): every scan clears inhibited_by of the types no rule inhibits (all
-- of them, without rules), and found them by reading every unresolved
-- case of the type. Idempotent; there is no Down.

CREATE INDEX IF NOT EXISTS ptd_cases_inhibited_idx ON ptd_cases (type) WHERE resolved_at IS NULL AND inhibited_by IS NOT NULL;
