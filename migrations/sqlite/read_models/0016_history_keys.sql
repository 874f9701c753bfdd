-- An order's timeline names each event by its key in the event store
-- instead of holding a copy of it: the copies were half of what the
-- catalog wrote, and the store already keeps every event. Entries written
-- before keep their event's key, read from their copy. Its PostgreSQL twin
-- is migrations/postgres/0020_history_keys.sql.
ALTER TABLE rm_history ADD COLUMN aggregate_type TEXT NOT NULL DEFAULT '';
ALTER TABLE rm_history ADD COLUMN aggregate_id TEXT NOT NULL DEFAULT '';
ALTER TABLE rm_history ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;

UPDATE rm_history
   SET aggregate_type = json_extract(entry, '$.aggregate_type'),
       aggregate_id   = json_extract(entry, '$.aggregate_id'),
       sequence       = json_extract(entry, '$.sequence');

ALTER TABLE rm_history DROP COLUMN entry;
