-- The change bus's outbox (issue 20): used on PostgreSQL only, where several nodes share one
-- database; SQLite's file is one node's and nothing writes these here. They exist so both
-- dialects keep one schema (migrations/README.md).
CREATE TABLE bus_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO bus_head (id, seq) VALUES (1, 0);
CREATE TABLE bus_log (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
-- How far each node has applied the log, reported every few seconds: the writer prunes only
-- records every live node has and that are older than the retention window.
CREATE TABLE bus_readers (
    node TEXT PRIMARY KEY,
    applied INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL
);
ALTER TABLE writer_lease ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE writer_lease ADD COLUMN forward_key TEXT NOT NULL DEFAULT '';
