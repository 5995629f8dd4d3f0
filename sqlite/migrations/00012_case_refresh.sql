-- +goose Up
-- Cheaper case refreshes (00010_desk.sql, which new databases and
-- recreated tables take as it stands now, no longer creates it): the index
-- on the unresolved cases' last_seen_at goes. Every scan moves
-- last_seen_at of every case it sees, and each move rewrote its entry in
-- this index (a third of the cost of the write), while the one query on
-- last_seen_at, a check's cases to resolve, is served by the index on
-- (type, state). Idempotent; there is no Down.

DROP INDEX IF EXISTS ptd_cases_last_seen_idx;
