-- The embedded shape's event store: the postgres-es `events` schema idea,
-- plus a global `position` (the store's own total order, the `$all` feed
-- of the embedded shape) and the `command_log` that makes commands exactly once.
CREATE TABLE events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL CHECK (sequence >= 1),
    event_type     TEXT    NOT NULL,
    event_version  TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, sequence)
);

-- One row per decided command, committed with its events: its recorded
-- answer and the events it produced (JSON list of event keys).
CREATE TABLE command_log (
    command_id  TEXT PRIMARY KEY,
    outcome     TEXT NOT NULL,
    events      TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
