-- The feed outbox, as in migrations/postgres/0006_feed_outbox.sql. The
-- embedded feed is this store's own global order, so an entry is on the feed
-- once committed; the worker keeps the same outbox in both shapes.
CREATE TABLE feed_outbox (
    partition_id INTEGER NOT NULL,
    -- The lowest position of the batch.
    entry        INTEGER NOT NULL,
    -- JSON list of the batch's positions.
    positions    TEXT    NOT NULL,
    PRIMARY KEY (partition_id, entry)
);
