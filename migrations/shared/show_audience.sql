-- Each show's peak and unique viewers, from its last `AudienceSampled`.
-- Linked as migrations/postgres/0011 and migrations/sqlite/read_models/0008.
ALTER TABLE rm_shows ADD COLUMN peak_viewers BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rm_shows ADD COLUMN unique_viewers BIGINT NOT NULL DEFAULT 0;
