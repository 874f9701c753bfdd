-- The last sequence of each aggregate a projection has applied, written in
-- the same transaction as its rows: an event at or below it (a redelivery
-- past the feed's de-duplication window, or a late event) changes nothing,
-- so a view never moves backwards. Linked as migrations/postgres/0007 and
-- migrations/sqlite/read_models/0004.
CREATE TABLE projection_sequences (
    projection     TEXT   NOT NULL,
    aggregate_type TEXT   NOT NULL,
    aggregate_id   TEXT   NOT NULL,
    sequence       BIGINT NOT NULL,
    PRIMARY KEY (projection, aggregate_type, aggregate_id)
);
