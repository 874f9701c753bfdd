-- Clips of live shows, from `ClipRequested`/`ClipReady`/`ClipFailed`. Linked
-- as migrations/postgres/0005 and migrations/sqlite/read_models/0003.
CREATE TABLE rm_clips (
    clip_id      TEXT PRIMARY KEY,
    show_id      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    seconds      BIGINT NOT NULL,
    status       TEXT NOT NULL,
    url          TEXT,
    reason       TEXT
);
