-- +goose Up
-- Context for the early-warning checks (CONTRACT §11.1, §11.4): a
-- contacts(id, email) table, where a deal's contact email is looked up by
-- deals.contact_id. Like the source tables it is the user's and is created
-- only where missing; idempotent (IF NOT EXISTS), Migrate runs it again to
-- recreate it. deals.contact_email and the configured owner and value
-- columns are added by Migrate in Go, only where missing. There is no Down.

CREATE TABLE IF NOT EXISTS contacts (
    id    TEXT NOT NULL PRIMARY KEY DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
    email TEXT
);
