-- Shoppable replays and reminders. `rm_show_pins` (catalog): each pin of a
-- show with when it happened, so a replay shows the product card at that
-- second of the VOD. `rm_notify_shows` (notifications projection) learns each
-- show's schedule and the schedule its followers were reminded of, which
-- the reminder sweep reads. Linked as migrations/postgres/0016 and
-- migrations/sqlite/read_models/0013.
CREATE TABLE rm_show_pins (
    show_id    TEXT NOT NULL,
    -- The pin's sequence in the show's stream: its order.
    sequence   BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    drop_pin   BIGINT NOT NULL DEFAULT 0,
    pinned_at  TEXT NOT NULL,
    PRIMARY KEY (show_id, sequence)
);

ALTER TABLE rm_notify_shows ADD COLUMN scheduled_at TEXT;
ALTER TABLE rm_notify_shows ADD COLUMN reminded_for TEXT;
CREATE INDEX rm_notify_shows_due ON rm_notify_shows (status, scheduled_at);
