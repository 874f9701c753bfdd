-- Each show's polls, from its `Polls` events: what `GET /api/v1/polls/{id}`
-- and a live room's greeting show. Linked as migrations/postgres/0012 and
-- migrations/sqlite/read_models/0009.
CREATE TABLE rm_polls (
    poll_id TEXT PRIMARY KEY,
    show_id TEXT NOT NULL,
    number BIGINT NOT NULL,
    question TEXT NOT NULL,
    -- JSON arrays: the options, and the votes per option in their order.
    options TEXT NOT NULL,
    counts TEXT NOT NULL,
    changeable BIGINT NOT NULL,
    voters BIGINT NOT NULL DEFAULT 0,
    -- 1 while open; the reason it closed (`closed`, `time_up`, `show_ended`) once not.
    open BIGINT NOT NULL,
    close_reason TEXT,
    -- RFC 3339.
    opened_at TEXT NOT NULL,
    closes_at TEXT,
    closed_at TEXT,
    -- The `Polls` stream's sequence of the last event applied, so a screen
    -- that also hears the events live keeps the newer of the two.
    version BIGINT NOT NULL
);
CREATE INDEX rm_polls_by_show ON rm_polls (show_id, number);
