-- Accounts, their scoped roles, sessions and API tokens (issue 6), and the hash-chained audit
-- log of every change. Secrets are never stored: passwords as Argon2id PHC strings, session
-- and token secrets as SHA-256 hex.

CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    person_id            TEXT,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);

-- unit_id '*' is the whole tree, units created later included.
CREATE TABLE account_grants (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    role       TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    PRIMARY KEY (account_id, role, unit_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip         TEXT NOT NULL
);

-- units, permissions: JSON arrays.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    units       TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- hash = SHA-256 over prev_hash and the entry's fields, length-prefixed; see server/src/audit/.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    ip        TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    unit_id   TEXT,
    old_value TEXT,
    new_value TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- Scoped reads ("this subtree's entries after seq N") walk this index in seq order and test
-- unit_id in the index itself, touching only the rows they return. Ordered by seq it grows at
-- its end, as the table does; an index led by unit_id would be written all over at every
-- commit and halved the ingest rate (`ioc bench --access`).
CREATE INDEX audit_log_by_seq_unit ON audit_log (seq, unit_id);

-- Append-only: history is never rewritten through the database's front door.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
