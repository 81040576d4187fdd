-- Files officials attach to their submissions (issue 18), stored in the database beside the task
-- they were uploaded for: one backup, one transaction and one access rule with the rest of the
-- data, and no second place on disk to keep in step. Content is kept once per SHA-256; a link
-- row says which task it was uploaded for, by whom and under what name. The type is the one
-- sniffed from the bytes at upload, never the one the client claimed.
CREATE TABLE attachments (
    sha256       TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE attachment_tasks (
    sha256      TEXT NOT NULL REFERENCES attachments (sha256),
    task_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (sha256, task_id)
);
