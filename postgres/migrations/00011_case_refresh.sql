-- +goose Up
-- Cheaper case refreshes (see 00010_desk.sql, which new databases and
-- recreated tables take as it stands now): details become json, read
-- back as written; pages keep room for HOT updates (fillfactor applies to
-- pages written from now on); the index on last_seen_at, which ruled
-- HOT updates out, gives way to one on the unresolved cases by type.
-- Idempotent; there is no Down.

SET LOCAL lock_timeout = '10s';

ALTER TABLE ptd_cases ALTER COLUMN details TYPE json USING details::json;
ALTER TABLE ptd_cases SET (fillfactor = 60);
DROP INDEX IF EXISTS ptd_cases_last_seen_idx;
CREATE INDEX IF NOT EXISTS ptd_cases_unresolved_type_idx ON ptd_cases (type) WHERE resolved_at IS NULL;
