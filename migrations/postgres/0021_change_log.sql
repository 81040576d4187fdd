-- The change bus's outbox (issue 20). With several nodes, every write transaction that changes
-- what nodes hold in memory also appends one record here, numbered from `bus_head`: the update
-- of that one row makes concurrent transactions take their numbers in commit order and leaves no
-- hole when one rolls back. The numbers are the commits every node's views carry, published to
-- the Redis stream with the same number as the entry id; a node that missed entries reads them
-- here. `writer_lease` gains where the writer answers forwarded writes and the key that proves a
-- forwarded request came from a node.
CREATE TABLE bus_head (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO bus_head (id, seq) VALUES (1, 0);
CREATE TABLE bus_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL
);
-- How far each node has applied the log, reported every few seconds: the writer prunes only
-- records every live node has and that are older than the retention window.
CREATE TABLE bus_readers (
    node TEXT PRIMARY KEY,
    applied BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);
ALTER TABLE writer_lease ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE writer_lease ADD COLUMN forward_key TEXT NOT NULL DEFAULT '';
