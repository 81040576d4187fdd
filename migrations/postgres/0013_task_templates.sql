-- Task templates (issue 18): recurring work such as the monthly report. One row per template,
-- its fields as JSON (the writer is the only reader that decides anything from them, and the
-- shape may grow without a migration per field); unit_id is a column so a unit's templates are
-- listed without reading every body. The instances are ordinary tasks whose ids name the template
-- and the period (`bc-thang-2026-11`): no table of their own.
CREATE TABLE task_templates (
    id         TEXT PRIMARY KEY,
    unit_id    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX task_templates_by_unit ON task_templates (unit_id);
