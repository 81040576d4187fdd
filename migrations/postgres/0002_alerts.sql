-- Alerts: the live instances the rule engine holds (so a restart resumes without re-firing or
-- losing `for` progress) and the append-only history of every transition and every action
-- taken on an alert (acknowledged, assigned, silenced), in order.

-- body: the server's stored alert as JSON (the engine's state of it, its latest summaries and
-- labels, who it is assigned to). Replaced on every transition, deleted when the alert ends.
CREATE TABLE alerts (
    rule     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    unit_id  TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (rule, subject)
);

-- kind: pending, cancelled, fired, severity_changed, resolved, escalated (engine transitions)
-- or acknowledged, assigned, silenced (people's actions). body: the whole record as JSON.
CREATE TABLE alert_history (
    seq      BIGSERIAL PRIMARY KEY,
    rule     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    unit_id  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    severity TEXT NOT NULL,
    at       BIGINT NOT NULL,
    body     TEXT NOT NULL
);
-- History is read by unit (a subtree's list) and by alert; both newest first.
CREATE INDEX alert_history_by_unit ON alert_history (unit_id, seq);
CREATE INDEX alert_history_by_alert ON alert_history (rule, subject, seq);

-- Silences: a rule, a unit's subtree, or both, muted until a time, with the reason.
CREATE TABLE silences (
    id         BIGSERIAL PRIMARY KEY,
    rule       TEXT,
    unit_id    TEXT,
    until      BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
