-- The live audience of each show, from `ViewersCounted` events. Linked as
-- migrations/postgres/0004 and migrations/sqlite/read_models/0002.
ALTER TABLE rm_shows ADD COLUMN viewers_connected BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rm_shows ADD COLUMN viewers_watching BIGINT NOT NULL DEFAULT 0;
