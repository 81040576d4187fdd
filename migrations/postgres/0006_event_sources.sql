-- Event ids are their source's ids (issue 15): unique per source (the credential that sent
-- them, or the source a token declares), no longer across every source, so one ward's id cannot
-- shadow another's. Rows from before carry the empty source; a replay from any source still
-- matches them, as it did.
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE events DROP CONSTRAINT events_event_id_key;
ALTER TABLE events ADD CONSTRAINT events_source_event_id_key UNIQUE (source, event_id);

-- A token may declare the source its events come from (an integration keeps its namespace of
-- ids when its token is rotated); without one, the token is its own source.
ALTER TABLE api_tokens ADD COLUMN source TEXT;
