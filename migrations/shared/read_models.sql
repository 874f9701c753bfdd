-- Read models built by projections from the event feed. One file for both
-- shapes (linked as migrations/postgres/0002 and migrations/sqlite/read_models/0001):
-- the projection code runs unchanged on both through sqlx's Any driver.

-- Each projection's feed position, written in the same transaction as its rows.
CREATE TABLE projection_checkpoints (
    projection TEXT PRIMARY KEY,
    position   BIGINT NOT NULL
);

-- Catalog with live stock.
CREATE TABLE rm_products (
    product_id  TEXT PRIMARY KEY,
    seller      TEXT NOT NULL,
    sku         TEXT NOT NULL,
    title       TEXT NOT NULL,
    price_minor BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    total       BIGINT NOT NULL,
    available   BIGINT NOT NULL,
    reserved    BIGINT NOT NULL,
    sold        BIGINT NOT NULL,
    position    BIGINT NOT NULL
);

CREATE TABLE rm_reservations (
    reservation_id TEXT PRIMARY KEY,
    product_id     TEXT NOT NULL,
    buyer          TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    status         TEXT NOT NULL,
    expires_at     TEXT NOT NULL
);

-- Order history for buyers, sellers and auditors.
CREATE TABLE rm_orders (
    order_id       TEXT PRIMARY KEY,
    reservation_id TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    buyer          TEXT NOT NULL,
    seller         TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    amount_minor   BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL,
    capture_id     TEXT,
    placed_at      TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Timeline entries per stream (`order:<id>` or `reservation:<id>`): an
-- order's history is its own entries plus its reservation's, by position.
CREATE TABLE rm_history (
    stream   TEXT NOT NULL,
    position BIGINT NOT NULL,
    entry    TEXT NOT NULL,
    PRIMARY KEY (stream, position)
);

CREATE TABLE rm_shows (
    show_id           TEXT PRIMARY KEY,
    creator           TEXT NOT NULL,
    title             TEXT NOT NULL,
    status            TEXT NOT NULL,
    scheduled_at      TEXT,
    product_ids       TEXT NOT NULL,
    pinned_product_id TEXT
);

CREATE TABLE rm_channels (
    channel_id TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    stream_key TEXT NOT NULL
);
