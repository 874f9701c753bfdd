-- Full-text search over show titles, channel handles and names, and product
-- titles (`GET /api/v1/search`): one document per thing in `rm_search`, kept
-- by triggers on the read models, so the projection code is the same in both
-- shapes. The `simple` configuration lower-cases without stemming, as the
-- SQLite shape's FTS5 `unicode61` does (migrations/sqlite/read_models/0011).
CREATE TABLE rm_search (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    doc  tsvector NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX rm_search_doc ON rm_search USING GIN (doc);

CREATE FUNCTION rm_search_put(search_kind TEXT, search_id TEXT, body TEXT) RETURNS void AS $$
    INSERT INTO rm_search (kind, id, doc) VALUES (search_kind, search_id, to_tsvector('simple', body))
    ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc;
$$ LANGUAGE sql;

CREATE FUNCTION rm_search_show() RETURNS trigger AS $$
BEGIN
    PERFORM rm_search_put('show', NEW.show_id, NEW.title);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER rm_shows_search_insert AFTER INSERT ON rm_shows
    FOR EACH ROW EXECUTE FUNCTION rm_search_show();
CREATE TRIGGER rm_shows_search_update AFTER UPDATE OF title ON rm_shows
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION rm_search_show();

-- A cancelled show is not found.
CREATE FUNCTION rm_search_drop_show() RETURNS trigger AS $$
BEGIN
    DELETE FROM rm_search WHERE kind = 'show' AND id = NEW.show_id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER rm_shows_search_cancel AFTER UPDATE OF status ON rm_shows
    FOR EACH ROW WHEN (NEW.status = 'cancelled') EXECUTE FUNCTION rm_search_drop_show();

CREATE FUNCTION rm_search_channel() RETURNS trigger AS $$
BEGIN
    PERFORM rm_search_put('channel', NEW.channel_id, COALESCE(NEW.handle, '') || ' ' || COALESCE(NEW.display_name, ''));
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER rm_channels_search_update AFTER UPDATE OF handle, display_name ON rm_channels
    FOR EACH ROW WHEN (OLD.handle IS DISTINCT FROM NEW.handle OR OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION rm_search_channel();

CREATE FUNCTION rm_search_product() RETURNS trigger AS $$
BEGIN
    PERFORM rm_search_put('product', NEW.product_id, NEW.title);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER rm_products_search_insert AFTER INSERT ON rm_products
    FOR EACH ROW EXECUTE FUNCTION rm_search_product();

-- What exists already.
INSERT INTO rm_search (kind, id, doc)
    SELECT 'show', show_id, to_tsvector('simple', title) FROM rm_shows WHERE status <> 'cancelled';
INSERT INTO rm_search (kind, id, doc)
    SELECT 'channel', channel_id, to_tsvector('simple', COALESCE(handle, '') || ' ' || COALESCE(display_name, ''))
    FROM rm_channels WHERE handle IS NOT NULL;
INSERT INTO rm_search (kind, id, doc) SELECT 'product', product_id, to_tsvector('simple', title) FROM rm_products;
