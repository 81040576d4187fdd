-- Explanations (giải trình, issue 17 item 9): a leader asks the person answerable for a red KPI,
-- a red alert group or an overdue task to explain it by a due date. The request keeps the
-- subject as asked (its kind, its key and its title then), the unit it is about, who answers and
-- who asked; its messages are the thread. Ids are the client's, so a retry is a duplicate.
-- `escalated_at` is set once, with the escalation's notice and audit entry, in one transaction:
-- a restart or a second tick never escalates twice.
CREATE TABLE explanations (
    id            TEXT PRIMARY KEY,
    subject_kind  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    title         TEXT NOT NULL,
    unit_id       TEXT NOT NULL,
    addressee     TEXT NOT NULL,
    asked_by      TEXT NOT NULL,
    asker_person  TEXT,
    question      TEXT NOT NULL,
    due_at        BIGINT NOT NULL,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    answered_at   BIGINT,
    escalated_at  BIGINT,
    escalated_to  TEXT
);
CREATE INDEX explanations_subject ON explanations (subject_kind, subject);
CREATE INDEX explanations_unit ON explanations (unit_id, created_at);
CREATE INDEX explanations_due ON explanations (state, due_at);

CREATE TABLE explanation_messages (
    id             TEXT PRIMARY KEY,
    explanation_id TEXT NOT NULL REFERENCES explanations (id),
    author         TEXT NOT NULL,
    author_person  TEXT,
    role           TEXT NOT NULL,
    body           TEXT NOT NULL,
    attachments    TEXT NOT NULL,
    at             BIGINT NOT NULL
);
CREATE INDEX explanation_messages_of ON explanation_messages (explanation_id, at);

-- A file may also belong to an explanation (uploaded for its thread): served to whoever may
-- read that explanation.
CREATE TABLE attachment_explanations (
    sha256         TEXT NOT NULL REFERENCES attachments (sha256),
    explanation_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    at             BIGINT NOT NULL,
    PRIMARY KEY (sha256, explanation_id)
);
