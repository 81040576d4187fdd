-- The writer's lease (issue 20): one node at a time writes to a PostgreSQL database. The lock
-- itself is a session advisory lock held by the writer's own connection (PostgreSQL frees it
-- the moment that connection ends, a kill -9 included); this row says who holds it, since when,
-- and the epoch, a number that grows with every taking, for the fencing later nodes need.
CREATE TABLE writer_lease (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL,
    node TEXT NOT NULL,
    since_ms BIGINT NOT NULL
);
