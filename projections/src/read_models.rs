//! The read-model database and its queries. Reads are eventually consistent;
//! [`ReadModels::wait_for`] gives read-your-writes for `?after=<position>`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use utoipa::ToSchema;

/// Which SQL dialect the pool speaks; only migrations differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("read-model migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored read model is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// A product's stock as the catalog last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Stock)]
pub struct StockView {
    /// Always `available + reserved + sold`.
    pub total: i64,
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
}

/// A product with its live stock (`GET /api/v1/products/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Product)]
pub struct ProductView {
    pub product_id: String,
    /// The creator who sells it.
    pub seller: String,
    pub sku: String,
    pub title: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: StockView,
}

/// An order (`GET /api/v1/orders/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Order)]
pub struct OrderView {
    pub order_id: String,
    #[schema(example = "confirmed")]
    pub status: String,
    pub reservation_id: String,
    pub product_id: String,
    pub buyer: String,
    pub seller: String,
    pub quantity: i64,
    pub amount_minor: i64,
    pub currency: String,
    /// The payment gateway's capture, once paid.
    pub capture_id: Option<String>,
    pub placed_at: String,
    pub updated_at: String,
}

/// One step of an order's timeline, as an auditor reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = HistoryEvent)]
pub struct HistoryEntry {
    /// The event type, e.g. `UnitsReserved`, `OrderPlaced`, `PaymentCaptured`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    /// Who caused it (a user, or the system for expiries).
    pub actor: String,
    /// The command that caused it.
    pub command_id: String,
    pub event_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Its position in the global feed.
    pub position: u64,
    /// The event's own fields.
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowView {
    pub show_id: String,
    pub creator: String,
    pub title: String,
    pub status: String,
    pub scheduled_at: Option<String>,
    pub product_ids: Vec<String>,
    pub pinned_product_id: Option<String>,
    /// The creator's channel stream key; only shown to the creator.
    pub stream_key: Option<String>,
    /// The last audience count: open live sockets, and of those, players playing.
    pub viewers_connected: u64,
    pub viewers_watching: u64,
}

/// A clip of a live show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Clip)]
pub struct ClipView {
    pub clip_id: String,
    pub show_id: String,
    pub requested_by: String,
    pub seconds: u32,
    /// `processing`, `ready` or `failed`.
    pub status: String,
    /// The MP4, once ready.
    pub url: Option<String>,
    /// Why it could not be made, if it failed.
    pub reason: Option<String>,
}

/// Handle on the read-model database; cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadModels {
    pool: AnyPool,
}

impl ReadModels {
    /// Connect (creating a SQLite file if needed) and run the read-model migrations.
    pub async fn connect(url: &str) -> Result<Self, ReadError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres };
        let options = AnyPoolOptions::new().max_connections(if dialect == Dialect::Sqlite { 4 } else { 8 });
        let pool = match dialect {
            Dialect::Sqlite => {
                // WAL lets readers proceed while the projection writes.
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                let pool = options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA journal_mode=WAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA synchronous=NORMAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA busy_timeout=5000").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                sqlx::migrate!("../migrations/sqlite/read_models").run(&pool).await?;
                pool
            }
            // In the distributed shape the read models live beside the event
            // store; the event-store migrations create them.
            Dialect::Postgres => options.connect(url).await?,
        };
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// One round trip to the database: is it answering?
    pub async fn ping(&self) -> Result<(), ReadError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The position a projection has applied up to (0 before any event).
    pub async fn checkpoint(&self, projection: &str) -> Result<u64, ReadError> {
        let row = sqlx::query("SELECT position FROM projection_checkpoints WHERE projection = $1")
            .bind(projection)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map_or(0, |r| r.get::<i64, _>(0) as u64))
    }

    /// Wait until `projection` has applied `position`, up to `timeout`.
    /// Returns whether it caught up.
    pub async fn wait_for(&self, projection: &str, position: u64, timeout: Duration) -> Result<bool, ReadError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            if self.checkpoint(projection).await? >= position {
                return Ok(true);
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    pub async fn product(&self, product_id: &str) -> Result<Option<ProductView>, ReadError> {
        let row = sqlx::query(
            "SELECT product_id, seller, sku, title, price_minor, currency, total, available, reserved, sold \
             FROM rm_products WHERE product_id = $1",
        )
        .bind(product_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ProductView {
            product_id: r.get(0),
            seller: r.get(1),
            sku: r.get(2),
            title: r.get(3),
            price_minor: r.get(4),
            currency: r.get(5),
            stock: StockView { total: r.get(6), available: r.get(7), reserved: r.get(8), sold: r.get(9) },
        }))
    }

    pub async fn order(&self, order_id: &str) -> Result<Option<OrderView>, ReadError> {
        let row = sqlx::query(
            "SELECT order_id, status, reservation_id, product_id, buyer, seller, quantity, amount_minor, \
             currency, capture_id, placed_at, updated_at FROM rm_orders WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| OrderView {
            order_id: r.get(0),
            status: r.get(1),
            reservation_id: r.get(2),
            product_id: r.get(3),
            buyer: r.get(4),
            seller: r.get(5),
            quantity: r.get(6),
            amount_minor: r.get(7),
            currency: r.get(8),
            capture_id: r.get(9),
            placed_at: r.get(10),
            updated_at: r.get(11),
        }))
    }

    /// The order's timeline: its reservation's events and its own, in feed order.
    pub async fn order_history(&self, order: &OrderView) -> Result<Vec<HistoryEntry>, ReadError> {
        let rows = sqlx::query("SELECT entry FROM rm_history WHERE stream = $1 OR stream = $2 ORDER BY position")
            .bind(format!("order:{}", order.order_id))
            .bind(format!("reservation:{}", order.reservation_id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(serde_json::from_str(&r.get::<String, _>(0))?)).collect()
    }

    pub async fn clip(&self, clip_id: &str) -> Result<Option<ClipView>, ReadError> {
        let row = sqlx::query(
            "SELECT clip_id, show_id, requested_by, seconds, status, url, reason FROM rm_clips WHERE clip_id = $1",
        )
        .bind(clip_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ClipView {
            clip_id: r.get(0),
            show_id: r.get(1),
            requested_by: r.get(2),
            seconds: r.get::<i64, _>(3) as u32,
            status: r.get(4),
            url: r.get(5),
            reason: r.get(6),
        }))
    }

    /// The channel (its owner's id) that `stream_key` currently opens; a
    /// regenerated key no longer matches.
    pub async fn channel_by_stream_key(&self, stream_key: &str) -> Result<Option<String>, ReadError> {
        Ok(sqlx::query_scalar("SELECT channel_id FROM rm_channels WHERE stream_key = $1")
            .bind(stream_key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The show a creator's stream goes to: the live one, else the scheduled
    /// one due soonest (unscheduled ones after those with a time).
    pub async fn publishable_show(&self, creator: &str) -> Result<Option<String>, ReadError> {
        Ok(sqlx::query_scalar(
            "SELECT show_id FROM rm_shows WHERE creator = $1 AND status IN ('live', 'scheduled') \
             ORDER BY CASE WHEN status = 'live' THEN 0 ELSE 1 END, COALESCE(scheduled_at, '9999'), show_id LIMIT 1",
        )
        .bind(creator)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn show(&self, show_id: &str) -> Result<Option<ShowView>, ReadError> {
        let row = sqlx::query(
            "SELECT s.show_id, s.creator, s.title, s.status, s.scheduled_at, s.product_ids, \
             s.pinned_product_id, c.stream_key, s.viewers_connected, s.viewers_watching FROM rm_shows s \
             LEFT JOIN rm_channels c ON c.channel_id = s.creator WHERE s.show_id = $1",
        )
        .bind(show_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ShowView {
                show_id: r.get(0),
                creator: r.get(1),
                title: r.get(2),
                status: r.get(3),
                scheduled_at: r.get(4),
                product_ids: serde_json::from_str(&r.get::<String, _>(5))?,
                pinned_product_id: r.get(6),
                stream_key: r.get(7),
                viewers_connected: r.get::<i64, _>(8) as u64,
                viewers_watching: r.get::<i64, _>(9) as u64,
            })
        })
        .transpose()
    }
}
