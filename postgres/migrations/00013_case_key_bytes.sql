-- +goose Up
-- Case keys compare byte by byte (COLLATE "C"), whatever the database's
-- collation: a scan whose anomalies come in key order reads the cases of
-- each batch as one range of the unique index of unresolved cases
-- (DeskTx.SeenCasesBetween), and the range must be the one Go's byte
-- order gives. Keys are identifiers (a type, an email, an id): no
-- language's order means anything for them. Only the collation changes:
-- the rows stay, the indexes on key are rebuilt. There is no Down.

SET LOCAL lock_timeout = '10s';

ALTER TABLE ptd_cases ALTER COLUMN key TYPE text COLLATE "C";
