-- The feed outbox (ARCHITECTURE.md "Command path", 6): the store positions of
-- each committed batch's events, under the partition whose writer committed
-- it, until that writer has put them on the `EVENTS` feed. A worker that
-- acquires a partition publishes what is left here before it decides
-- anything new, so the feed keeps every aggregate's order across a takeover.
CREATE TABLE feed_outbox (
    partition_id integer  NOT NULL,
    -- The lowest position of the batch.
    entry        bigint   NOT NULL,
    positions    bigint[] NOT NULL,
    PRIMARY KEY (partition_id, entry)
);
