-- An order's timeline names each event by its key in the event store
-- instead of holding a copy of it: the copies were half of what the
-- catalog wrote, and the store already keeps every event. Entries written
-- before keep their event's key, read from their copy. Its SQLite twin is
-- migrations/sqlite/read_models/0016_history_keys.sql.
ALTER TABLE rm_history
    ADD COLUMN aggregate_type TEXT,
    ADD COLUMN aggregate_id   TEXT,
    ADD COLUMN sequence       BIGINT;

UPDATE rm_history
   SET aggregate_type = entry::jsonb ->> 'aggregate_type',
       aggregate_id   = entry::jsonb ->> 'aggregate_id',
       sequence       = (entry::jsonb ->> 'sequence')::bigint;

ALTER TABLE rm_history
    DROP COLUMN entry,
    ALTER COLUMN aggregate_type SET NOT NULL,
    ALTER COLUMN aggregate_id SET NOT NULL,
    ALTER COLUMN sequence SET NOT NULL;
