-- When each show went live and ended, from `ShowWentLive` / `ShowEnded`:
-- a replay's chat is placed by seconds into the show. Linked as
-- migrations/postgres/0008 and migrations/sqlite/read_models/0005.
ALTER TABLE rm_shows ADD COLUMN live_at TEXT;
ALTER TABLE rm_shows ADD COLUMN ended_at TEXT;
