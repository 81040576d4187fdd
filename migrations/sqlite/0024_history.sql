-- The past, kept for views as of a moment (issue 21). `history`: every commit that changed what
-- the rollup holds, in commit order, with the server's clock when it committed and its changes
-- (the entities' whole new states, clock moves left out) as deflated JSON. `checkpoints`: the
-- rollup's whole state after history row `seq`, taken now and then, from which a past moment is
-- replayed; the first one is where history begins.
CREATE TABLE history (
    seq INTEGER PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX history_by_time ON history (at_ms, seq);
CREATE TABLE checkpoints (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX checkpoints_by_time ON checkpoints (at_ms, seq);
