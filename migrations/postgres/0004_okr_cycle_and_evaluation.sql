-- The OKR cycle and the evaluation of officials (issue 7): periods with their state, objective
-- weights for the alignment roll-up, computable KPI formulas and roll-up rules, per-unit targets,
-- the leaders' general-criteria scores, and the scores frozen when a period closes.

-- A quarter (2026-Q4) or a year (2026) of the OKR cycle: planning, active or closed. A closed
-- period is read-only except for an admin over the unit a change concerns.
CREATE TABLE okr_periods (
    label      TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL
);

-- An objective's weight in its parent objective's roll-up (a child counts like a key result).
ALTER TABLE objectives ADD COLUMN weight DOUBLE PRECISION NOT NULL DEFAULT 1;

-- expression: a computable formula over other KPIs ({CODE} / {CODE} * 100), NULL when values
-- are entered. rollup_rule: JSON {"rule": "sum" | "mean" | "weighted_mean" (+ "weight") | "min"
-- | "max" | "worst_status"}: how a parent unit aggregates its units' series.
ALTER TABLE kpis ADD COLUMN expression TEXT;
ALTER TABLE kpis ADD COLUMN rollup_rule TEXT NOT NULL DEFAULT '{"rule":"worst_status"}';

-- The target a unit is assigned for a KPI in a period (a year, quarter, month or week label).
CREATE TABLE kpi_targets (
    kpi_code TEXT NOT NULL,
    unit_id  TEXT NOT NULL,
    period   TEXT NOT NULL,
    target   DOUBLE PRECISION NOT NULL,
    set_at   BIGINT NOT NULL,
    set_by   TEXT NOT NULL,
    PRIMARY KEY (kpi_code, unit_id, period)
);

-- The leader's general-criteria scores for one person and evaluation period (JSON body: scores
-- per criterion, an optional forced "not complete" with its reason, a comment).
CREATE TABLE evaluation_criteria (
    person_id TEXT NOT NULL,
    period    TEXT NOT NULL,
    body      TEXT NOT NULL,
    set_by    TEXT NOT NULL,
    set_at    BIGINT NOT NULL,
    PRIMARY KEY (period, person_id)
);

-- Scores frozen when the OKR period containing their evaluation period closed (JSON body: the
-- whole explained score), so later task changes do not rewrite a closed period.
CREATE TABLE evaluation_scores (
    person_id TEXT NOT NULL,
    period    TEXT NOT NULL,
    unit_id   TEXT NOT NULL,
    body      TEXT NOT NULL,
    frozen_at BIGINT NOT NULL,
    PRIMARY KEY (period, person_id)
);
