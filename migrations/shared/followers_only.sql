-- Followers-only chat per show, from `FollowersOnlySet`. Linked as
-- migrations/postgres/0017 and migrations/sqlite/read_models/0014.
ALTER TABLE rm_show_chat ADD COLUMN followers_only BIGINT NOT NULL DEFAULT 0;
