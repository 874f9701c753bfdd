-- Full-text search over show titles, channel handles and names, and product
-- titles (`GET /api/v1/search`): an FTS5 table kept by triggers on the read
-- models, so the projection code is the same in both shapes. `unicode61`
-- lower-cases without stemming or folding accents, as PostgreSQL's `simple`
-- configuration does (migrations/postgres/0014).
CREATE VIRTUAL TABLE rm_search USING fts5(kind UNINDEXED, id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 0');

CREATE TRIGGER rm_shows_search_insert AFTER INSERT ON rm_shows BEGIN
    INSERT INTO rm_search (kind, id, body) VALUES ('show', new.show_id, new.title);
END;
CREATE TRIGGER rm_shows_search_update AFTER UPDATE OF title ON rm_shows WHEN old.title IS NOT new.title BEGIN
    DELETE FROM rm_search WHERE kind = 'show' AND id = new.show_id;
    INSERT INTO rm_search (kind, id, body) VALUES ('show', new.show_id, new.title);
END;

-- A cancelled show is not found.
CREATE TRIGGER rm_shows_search_cancel AFTER UPDATE OF status ON rm_shows WHEN new.status = 'cancelled' BEGIN
    DELETE FROM rm_search WHERE kind = 'show' AND id = new.show_id;
END;

CREATE TRIGGER rm_channels_search_update AFTER UPDATE OF handle, display_name ON rm_channels
    WHEN old.handle IS NOT new.handle OR old.display_name IS NOT new.display_name BEGIN
    DELETE FROM rm_search WHERE kind = 'channel' AND id = new.channel_id;
    INSERT INTO rm_search (kind, id, body)
        VALUES ('channel', new.channel_id, COALESCE(new.handle, '') || ' ' || COALESCE(new.display_name, ''));
END;

CREATE TRIGGER rm_products_search_insert AFTER INSERT ON rm_products BEGIN
    INSERT INTO rm_search (kind, id, body) VALUES ('product', new.product_id, new.title);
END;

-- What exists already.
INSERT INTO rm_search (kind, id, body) SELECT 'show', show_id, title FROM rm_shows WHERE status <> 'cancelled';
INSERT INTO rm_search (kind, id, body)
    SELECT 'channel', channel_id, COALESCE(handle, '') || ' ' || COALESCE(display_name, '')
    FROM rm_channels WHERE handle IS NOT NULL;
INSERT INTO rm_search (kind, id, body) SELECT 'product', product_id, title FROM rm_products;
