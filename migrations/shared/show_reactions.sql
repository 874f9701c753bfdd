-- Each show's reaction totals per emoji, the sum of its `ReactionsCounted`
-- windows. Linked as migrations/postgres/0009 and
-- migrations/sqlite/read_models/0006.
CREATE TABLE rm_show_reactions (
    show_id TEXT NOT NULL,
    emoji TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (show_id, emoji)
);
