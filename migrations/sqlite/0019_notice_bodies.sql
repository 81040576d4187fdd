-- A notice's content in a table of its own (issue 17): the worker marks every notice a message
-- carries as sent, and a month-end burst's message carries hundreds; with the content (~600
-- bytes) in the row, each mark rewrote it whole, in the write transaction ingest waits behind.
-- The notice row keeps what the worker selects and marks by (~80 bytes); the content is written
-- once and read by id.
CREATE TABLE notice_bodies (
    id   INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
INSERT INTO notice_bodies (id, body) SELECT id, body FROM notices;
ALTER TABLE notices DROP COLUMN body;
