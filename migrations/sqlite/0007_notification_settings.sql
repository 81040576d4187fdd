-- Notifications, part 1 (issue 17): where each person is told and how. A person's contact
-- points (email, webhook, a configurable HTTPS template such as Zalo ZNS or an SMS gateway) and
-- their delivery policy (routing by severity, quiet hours, group wait, repeat, daily digest);
-- and the server's own keys (the key that signs the links in messages), kept here so a restart
-- keeps every link valid.

-- body: the contact point as JSON, secrets included (a webhook's signing secret, a template's
-- access token): they must be usable to deliver, so they are stored as given and never returned
-- by the API. position keeps the person's order. An id is the person's own (each person may
-- name a contact point 'zalo').
CREATE TABLE contact_points (
    person_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (person_id, id)
);
CREATE INDEX contact_points_by_person ON contact_points (person_id, position);

-- A person's own policy (JSON); without a row the defaults of the person's role apply.
CREATE TABLE notify_policies (
    person_id  TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- name: 'link' (signs links now) and 'link_previous' (still accepted after a rotation).
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
