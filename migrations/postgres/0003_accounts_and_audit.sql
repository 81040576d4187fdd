-- Accounts, their scoped roles, sessions and API tokens (issue 6), and the hash-chained audit
-- log of every change. Secrets are never stored: passwords as Argon2id PHC strings, session
-- and token secrets as SHA-256 hex.

CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    person_id            TEXT,
    password_hash        TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    disabled             BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL
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
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
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
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- hash = SHA-256 over prev_hash and the entry's fields, length-prefixed; see server/src/audit/.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
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
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
