-- What browsing and channel pages read: each channel's public profile and
-- follower count, each show's listing (category, tags, language). Linked as
-- migrations/postgres/0013 and migrations/sqlite/read_models/0010.
ALTER TABLE rm_channels ADD COLUMN handle TEXT;
ALTER TABLE rm_channels ADD COLUMN display_name TEXT;
ALTER TABLE rm_channels ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE rm_channels ADD COLUMN avatar_url TEXT;
-- JSON array of {"label","url"}.
ALTER TABLE rm_channels ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
ALTER TABLE rm_channels ADD COLUMN followers BIGINT NOT NULL DEFAULT 0;
-- Not unique: a handle moves between channels in one commit, and a read
-- model must never refuse an event the store accepted.
CREATE INDEX rm_channels_by_handle ON rm_channels (handle);

ALTER TABLE rm_shows ADD COLUMN category TEXT;
ALTER TABLE rm_shows ADD COLUMN language TEXT;
-- JSON array, as on the show; rm_show_tags holds one row per tag for filtering.
ALTER TABLE rm_shows ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
CREATE TABLE rm_show_tags (
    show_id TEXT NOT NULL,
    tag     TEXT NOT NULL,
    PRIMARY KEY (show_id, tag)
);
CREATE INDEX rm_show_tags_by_tag ON rm_show_tags (tag, show_id);
CREATE INDEX rm_shows_by_creator ON rm_shows (creator, status);
