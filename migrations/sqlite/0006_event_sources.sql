-- Event ids are their source's ids (issue 15): unique per source (the credential that sent
-- them, or the source a token declares), no longer across every source, so one ward's id cannot
-- shadow another's. SQLite cannot drop a UNIQUE column constraint: the table is rebuilt, keeping
-- every row and its seq. Rows from before carry the empty source; a replay from any source still
-- matches them, as it did.
CREATE TABLE events_by_source (
    seq         INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (source, event_id)
);
INSERT INTO events_by_source (seq, source, event_id, kind, entity_id, at, received_at, body)
    SELECT seq, '', event_id, kind, entity_id, at, received_at, body FROM events;
DROP TABLE events;
ALTER TABLE events_by_source RENAME TO events;

-- A token may declare the source its events come from (an integration keeps its namespace of
-- ids when its token is rotated); without one, the token is its own source.
ALTER TABLE api_tokens ADD COLUMN source TEXT;
