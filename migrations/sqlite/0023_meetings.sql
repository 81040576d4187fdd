-- Review meetings (giao ban): one row per meeting, its record kept whole as JSON
-- (`domain::meeting::Meeting`); `version` lets the newest write win.
CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL,
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX meetings_by_unit ON meetings (unit_id, period);
