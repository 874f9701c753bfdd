-- Each channel's chat rules, from its `Moderation` events: what gateways
-- enforce. Linked as migrations/postgres/0010 and
-- migrations/sqlite/read_models/0007.
CREATE TABLE rm_moderators (
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE TABLE rm_bans (
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- RFC 3339 end of a timeout; NULL for a ban.
    until TEXT,
    reason TEXT,
    PRIMARY KEY (channel_id, user_id)
);
CREATE TABLE rm_banned_words (
    channel_id TEXT PRIMARY KEY,
    -- A JSON array of lower-case words.
    words TEXT NOT NULL
);
CREATE TABLE rm_show_chat (
    show_id TEXT PRIMARY KEY,
    slow_mode_s BIGINT NOT NULL DEFAULT 0,
    -- The highlighted message: JSON {"id","text","at"}, or NULL.
    highlight TEXT
);
