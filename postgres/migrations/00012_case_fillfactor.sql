-- +goose Up
-- Room for every case on a page to be refreshed in one scan as a HOT
-- update (see 00010_desk.sql): rows fill at most 40% of a page, not 60%.
-- Pages written from now on take it; the pages already full settle as
-- their rows move (VACUUM FULL ptd_cases rewrites them at once).
-- Idempotent; there is no Down.

SET LOCAL lock_timeout = '10s';

ALTER TABLE ptd_cases SET (fillfactor = 40);
