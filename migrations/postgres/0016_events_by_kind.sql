-- The event log read by kind and entity: a task's history (its page, My work) and key results'
-- check-ins (a key result's page, the review). Without this index each of those reads scanned
-- the whole log, which grows with every event ever accepted: a task page at a million tasks
-- read millions of rows to show a handful.
CREATE INDEX events_by_kind ON events (kind, entity_id);
