-- Notifications, part 2 (issue 17): the durable path from an alert transition to a person.
-- notices: the outbox, one row per (cause, person), written in the same transaction as the
-- alert transition (or other change) that causes it; a message: what one person is sent at once
-- (a group of notices, a repeat, a daily digest); a delivery: one message over one contact
-- point, with its idempotency key, attempts and backoff; the inbox: messages delivered to the
-- person's own list; and each contact point's health.

-- source: what caused the notice, unique per person ('alert:<alert_history seq>',
-- 'repeat:<rule>|<subject>|<since>|<n>', or another kind's key): a cause is noticed once.
-- state: waiting (for its group's wait, quiet hours or the digest), sent (in message_id),
-- dropped (no channel of the person takes it). at: the server's clock.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    severity   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    body       TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'waiting',
    message_id INTEGER,
    UNIQUE (source, person_id)
);
-- The worker reads what waits, by person; only waiting rows are in this index.
CREATE INDEX notices_waiting ON notices (person_id, severity, at) WHERE state = 'waiting';

-- dedup: a key that makes a message once ('digest:<person>:<date>'); NULL for batches of
-- notices, which are made once through their notices' state. body: the composed content (JSON)
-- every delivery of the message sends, so a delivery repeated after a restart carries the same.
CREATE TABLE notify_messages (
    id         INTEGER PRIMARY KEY,
    person_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    dedup      TEXT UNIQUE,
    body       TEXT NOT NULL
);
CREATE INDEX notify_messages_by_person ON notify_messages (person_id, kind, created_at);

-- id: the idempotency key receivers see ('ioc-<message>-<contact point>'). state: pending,
-- delivered or dead (the dead letter: attempts ran out). next_at, created_at, delivered_at: wall
-- clock (retries are about the network, not the data's clock).
CREATE TABLE notify_deliveries (
    id               TEXT PRIMARY KEY,
    message_id       INTEGER NOT NULL,
    person_id        TEXT NOT NULL,
    contact_point_id TEXT NOT NULL,
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX notify_deliveries_dead ON notify_deliveries (person_id) WHERE state = 'dead';

-- A person's inbox: one row per message delivered to it (delivery_id makes a repeated delivery
-- land once). at: the server's clock; read_at: when the person marked it read (wall clock).
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    person_id   TEXT NOT NULL,
    delivery_id TEXT NOT NULL UNIQUE,
    at          INTEGER NOT NULL,
    severity    TEXT NOT NULL,
    body        TEXT NOT NULL,
    read_at     INTEGER
);
CREATE INDEX inbox_by_person ON inbox (person_id, id);

-- Per contact point: deliveries that succeeded, attempts that failed (and how many in a row),
-- deliveries that went dead, the last error and when, the last success. Wall clock.
CREATE TABLE contact_point_health (
    person_id            TEXT NOT NULL,
    contact_point_id     TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    delivered            INTEGER NOT NULL DEFAULT 0,
    failures             INTEGER NOT NULL DEFAULT 0,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    dead                 INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_error_at        INTEGER,
    last_success_at      INTEGER,
    PRIMARY KEY (person_id, contact_point_id)
);
