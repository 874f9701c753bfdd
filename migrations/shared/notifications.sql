-- The notifications projection's tables (its own checkpoint, `notifications`,
-- apart from the catalog's, so fanning a notification out to a big channel's
-- followers never holds up the catalog). It keeps its own copy of who
-- follows whom and of each show's channel, so it fans out against the
-- follows as of the event it applies. Linked as migrations/postgres/0015
-- and migrations/sqlite/read_models/0012.
CREATE TABLE rm_followers (
    channel_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    since      TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX rm_followers_by_user ON rm_followers (user_id, channel_id);

CREATE TABLE rm_notify_shows (
    show_id    TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    status     TEXT NOT NULL
);

-- One row per follower per notice; `id` is the feed position of the event
-- it comes from, so ids grow with time and a user's list pages by id.
CREATE TABLE rm_notifications (
    user_id    TEXT NOT NULL,
    id         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    show_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    product_id TEXT,
    at         TEXT NOT NULL,
    read       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX rm_notifications_unread ON rm_notifications (user_id, read);
