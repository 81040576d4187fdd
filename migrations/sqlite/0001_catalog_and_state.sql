-- The catalog (org tree, people, KPIs, OKRs), the current state of tasks and KPI observations,
-- and the append-only event log. Kept lean on indexes: every index is paid on the hot write path
-- (see DESIGN.md); views are served from the in-memory rollup, not from these tables.
-- References are checked by the writer against the rollup, so no FOREIGN KEY clauses.

CREATE TABLE units (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    level     TEXT NOT NULL,
    parent_id TEXT,
    leader_id TEXT
);

CREATE TABLE people (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    unit_id  TEXT NOT NULL,
    position TEXT NOT NULL
);

-- thresholds: JSON {"direction": ..., "green": .., "red": ..} (or the in_band four);
-- coordinating_units, measured_units: JSON arrays of unit ids.
CREATE TABLE kpis (
    code               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    formula            TEXT NOT NULL,
    data_source        TEXT NOT NULL,
    unit_of_measure    TEXT NOT NULL,
    thresholds         TEXT NOT NULL,
    frequency          TEXT NOT NULL,
    index_group        TEXT NOT NULL,
    leading_unit       TEXT NOT NULL,
    coordinating_units TEXT NOT NULL,
    measured_units     TEXT NOT NULL
);

CREATE TABLE objectives (
    id        TEXT PRIMARY KEY,
    unit_id   TEXT NOT NULL,
    title     TEXT NOT NULL,
    period    TEXT NOT NULL,
    parent_id TEXT,
    owner_id  TEXT
);

-- current_at: time of the check-in that set current_value (i64::MIN before any check-in).
CREATE TABLE key_results (
    id              TEXT PRIMARY KEY,
    objective_id    TEXT NOT NULL,
    title           TEXT NOT NULL,
    start_value     REAL NOT NULL,
    target_value    REAL NOT NULL,
    current_value   REAL NOT NULL,
    unit_of_measure TEXT NOT NULL,
    direction       TEXT NOT NULL,
    weight          REAL NOT NULL,
    confidence      INTEGER,
    current_at      INTEGER NOT NULL
);

-- Times are milliseconds since the Unix epoch. progress is in hundredths of a percent.
-- *_v: the event time that last set each group of fields (last writer wins per group).
-- consulted, informed: JSON arrays of person ids.
-- WITHOUT ROWID: keyed by its id alone, so an upsert updates one B-tree instead of two.
CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    unit_id         TEXT NOT NULL,
    responsible_id  TEXT NOT NULL,
    accountable_id  TEXT,
    consulted       TEXT NOT NULL,
    informed        TEXT NOT NULL,
    key_result_id   TEXT,
    start_at        INTEGER,
    deadline        INTEGER NOT NULL,
    expected_output TEXT NOT NULL,
    progress        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    quality         REAL,
    submitted_at    INTEGER,
    done_at         INTEGER,
    plan_v          INTEGER NOT NULL,
    assignment_v    INTEGER NOT NULL,
    progress_v      INTEGER NOT NULL,
    status_v        INTEGER NOT NULL
) WITHOUT ROWID;
-- No dashboard index here: views come from the rollup, and each index is paid on every ingest.
-- (`ioc bench` adds one on unit_id to time the best SQL form of a view for comparison.)

-- One value per KPI, unit and period; a newer entry (by at) replaces an older one.
CREATE TABLE observations (
    kpi_code     TEXT NOT NULL,
    unit_id      TEXT NOT NULL,
    period       TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    value        REAL NOT NULL,
    source       TEXT NOT NULL,
    entered_by   TEXT,
    at           INTEGER NOT NULL,
    PRIMARY KEY (kpi_code, unit_id, period)
);

CREATE TABLE ratings (
    seq      INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    unit_id  TEXT NOT NULL,
    service  TEXT NOT NULL,
    score    INTEGER NOT NULL,
    at       INTEGER NOT NULL
);

-- Every accepted event as received, in commit order. event_id is the source's id: UNIQUE makes
-- a replay a no-op.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    body        TEXT NOT NULL
);

-- Small settings the server keeps between runs: the clock ('clock', milliseconds).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
