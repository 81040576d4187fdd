-- The writer's lease (issue 20). On PostgreSQL a session advisory lock decides which node writes
-- and this row says who holds it; SQLite has no such lock and needs none (its file is one
-- node's), so nothing writes this table here. It exists so both dialects keep one schema
-- (migrations/README.md).
CREATE TABLE writer_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL,
    node TEXT NOT NULL,
    since_ms INTEGER NOT NULL
);
