-- The creator dashboard projection's tables (its own checkpoint,
-- `dashboard`). It keeps its own copy of each show's products and status
-- and of each product's stock, so it attributes a hold to the show that was
-- live when the hold was taken, as of the event it applies. Times are Unix
-- milliseconds; a minute is the Unix second it starts at. Linked as
-- migrations/postgres/0018 and migrations/sqlite/read_models/0015.
CREATE TABLE rm_dash_shows (
    show_id        TEXT PRIMARY KEY,
    creator        TEXT NOT NULL,
    status         TEXT NOT NULL,
    live_at_ms     BIGINT,
    ended_at_ms    BIGINT,
    connected      BIGINT NOT NULL DEFAULT 0,
    watching       BIGINT NOT NULL DEFAULT 0,
    peak           BIGINT NOT NULL DEFAULT 0,
    unique_viewers BIGINT NOT NULL DEFAULT 0,
    currency       TEXT
);

-- The show's products, in the order they were attached, and the units sold
-- to holds taken in the show.
CREATE TABLE rm_dash_products (
    show_id    TEXT NOT NULL,
    product_id TEXT NOT NULL,
    attached   BIGINT NOT NULL,
    sold       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (show_id, product_id)
);
CREATE INDEX rm_dash_products_by_product ON rm_dash_products (product_id);

CREATE TABLE rm_dash_stock (
    product_id     TEXT PRIMARY KEY,
    available      BIGINT NOT NULL,
    sold_out_at_ms BIGINT
);

-- Each hold taken while one of its product's shows was live, with that show;
-- and each order placed on such a hold.
CREATE TABLE rm_dash_holds (
    reservation_id TEXT PRIMARY KEY,
    show_id        TEXT NOT NULL,
    product_id     TEXT NOT NULL
);
CREATE TABLE rm_dash_orders (
    order_id     TEXT PRIMARY KEY,
    show_id      TEXT NOT NULL,
    buyer        TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency     TEXT NOT NULL
);
CREATE TABLE rm_dash_buyers (
    show_id TEXT NOT NULL,
    buyer   TEXT NOT NULL,
    PRIMARY KEY (show_id, buyer)
);

CREATE TABLE rm_dash_minutes (
    show_id       TEXT NOT NULL,
    minute        BIGINT NOT NULL,
    watching      BIGINT NOT NULL DEFAULT 0,
    chat          BIGINT NOT NULL DEFAULT 0,
    reactions     BIGINT NOT NULL DEFAULT 0,
    reservations  BIGINT NOT NULL DEFAULT 0,
    orders        BIGINT NOT NULL DEFAULT 0,
    revenue_minor BIGINT NOT NULL DEFAULT 0,
    expiries      BIGINT NOT NULL DEFAULT 0,
    declines      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (show_id, minute)
);
