//! The creator dashboard projection (its own checkpoint, `dashboard`): per
//! show, the audience from the gateways' samples; each minute's watching,
//! chat, reactions, holds, orders, revenue, expiries and declines; and each
//! product's sell-through. A hold counts for the show that was live with
//! its product when the hold was taken (the latest to go live, if two
//! were); the order placed on it, its expiry and its declined payments
//! count for that show too, whenever they happen. A minute is the minute an
//! event occurred in. Read with [`ReadModels::dashboard`](crate::ReadModels::dashboard).

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use sqlx::{Any, Transaction};

use cartcast_domain::live_stats::{LiveStats, LiveStatsEvent, stream_of};
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent, Stock};
use cartcast_domain::show::{Show, ShowEvent};
use cartcast_infra::store::StoredEvent;

use crate::read_models::ReadError;

mod read;

pub use read::ShowDashboard;

/// The projection's name in `projection_checkpoints`.
pub const DASHBOARD: &str = "dashboard";

/// Apply one event at feed `position` inside the projection's transaction.
pub async fn apply(tx: &mut Transaction<'static, Any>, position: u64, event: &StoredEvent) -> Result<(), ReadError> {
    let payload = || event.payload.clone();
    match stream_of(&event.aggregate_type, &event.event_type) {
        t if t == Show::TYPE => apply_show(tx, position, event, serde_json::from_value(payload())?).await,
        t if t == LiveStats::TYPE => apply_live_stats(tx, event, serde_json::from_value(payload())?).await,
        t if t == Product::TYPE => apply_product(tx, event, serde_json::from_value(payload())?).await,
        t if t == Order::TYPE => apply_order(tx, event, serde_json::from_value(payload())?).await,
        _ => Ok(()),
    }
}

async fn apply_show(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    stored: &StoredEvent,
    event: ShowEvent,
) -> Result<(), ReadError> {
    let show_id = stored.aggregate_id.as_str();
    match event {
        ShowEvent::ShowScheduled { creator, product_ids, .. } => {
            sqlx::query(
                "INSERT INTO rm_dash_shows (show_id, creator, status) VALUES ($1, $2, 'scheduled') \
                 ON CONFLICT (show_id) DO NOTHING",
            )
            .bind(show_id)
            .bind(creator)
            .execute(&mut **tx)
            .await?;
            attach(tx, position, show_id, &product_ids).await
        }
        ShowEvent::ProductsAttached { product_ids } => attach(tx, position, show_id, &product_ids).await,
        ShowEvent::ShowWentLive { at } => {
            sqlx::query("UPDATE rm_dash_shows SET status = 'live', live_at_ms = $1 WHERE show_id = $2")
                .bind(at.timestamp_millis())
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        ShowEvent::ShowEnded { at } => {
            sqlx::query(
                "UPDATE rm_dash_shows SET status = 'ended', ended_at_ms = $1, connected = 0, watching = 0 \
                 WHERE show_id = $2",
            )
            .bind(at.timestamp_millis())
            .bind(show_id)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
        ShowEvent::ShowCancelled => {
            sqlx::query("UPDATE rm_dash_shows SET status = 'cancelled' WHERE show_id = $1")
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Adds `product_ids` to the show's products, after those it has.
async fn attach(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    show_id: &str,
    product_ids: &[String],
) -> Result<(), ReadError> {
    for (index, product_id) in product_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO rm_dash_products (show_id, product_id, attached) VALUES ($1, $2, $3) \
             ON CONFLICT (show_id, product_id) DO NOTHING",
        )
        .bind(show_id)
        .bind(product_id)
        .bind((position * 1000 + index as u64) as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn apply_live_stats(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: LiveStatsEvent,
) -> Result<(), ReadError> {
    let (show_id, at) = (stored.aggregate_id.as_str(), stored.metadata.occurred_at);
    match event {
        LiveStatsEvent::ViewersCounted { connected, watching } => {
            sqlx::query(
                "UPDATE rm_dash_shows SET connected = $1, watching = $2 WHERE show_id = $3 AND status <> 'ended'",
            )
            .bind(connected as i64)
            .bind(watching as i64)
            .bind(show_id)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
        LiveStatsEvent::AudienceSampled { connected, watching, peak, unique } => {
            sqlx::query(
                "UPDATE rm_dash_shows SET connected = $1, watching = $2, \
                 peak = CASE WHEN $3 > peak THEN $3 ELSE peak END, \
                 unique_viewers = CASE WHEN $4 > unique_viewers THEN $4 ELSE unique_viewers END \
                 WHERE show_id = $5 AND status <> 'ended'",
            )
            .bind(connected as i64)
            .bind(watching as i64)
            .bind(peak as i64)
            .bind(unique as i64)
            .bind(show_id)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO rm_dash_minutes (show_id, minute, watching) VALUES ($1, $2, $3) \
                 ON CONFLICT (show_id, minute) DO UPDATE SET watching = CASE \
                 WHEN excluded.watching > rm_dash_minutes.watching THEN excluded.watching \
                 ELSE rm_dash_minutes.watching END",
            )
            .bind(show_id)
            .bind(minute(at))
            .bind(watching as i64)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
        LiveStatsEvent::ReactionsCounted { counts } => {
            bump(tx, show_id, at, Tally::Reactions, counts.values().sum::<u64>() as i64).await
        }
        LiveStatsEvent::ChatCounted { messages } => bump(tx, show_id, at, Tally::Chat, messages as i64).await,
        LiveStatsEvent::StreamHealthReported { .. } => Ok(()),
    }
}

async fn apply_product(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: ProductEvent,
) -> Result<(), ReadError> {
    let (product_id, at) = (stored.aggregate_id.as_str(), stored.metadata.occurred_at);
    set_stock(tx, product_id, event.stock(), at).await?;
    match event {
        ProductEvent::UnitsReserved { reservation_id, .. } => {
            let live_show: Option<String> = sqlx::query_scalar(
                "SELECT p.show_id FROM rm_dash_products p JOIN rm_dash_shows s ON s.show_id = p.show_id \
                 WHERE p.product_id = $1 AND s.status = 'live' ORDER BY s.live_at_ms DESC LIMIT 1",
            )
            .bind(product_id)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(show_id) = live_show else {
                return Ok(());
            };
            sqlx::query(
                "INSERT INTO rm_dash_holds (reservation_id, show_id, product_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (reservation_id) DO NOTHING",
            )
            .bind(reservation_id.to_string())
            .bind(&show_id)
            .bind(product_id)
            .execute(&mut **tx)
            .await?;
            bump(tx, &show_id, at, Tally::Reservations, 1).await
        }
        ProductEvent::ReservationExpired { reservation_id, .. } => {
            if let Some(show_id) = show_of_hold(tx, &reservation_id.to_string()).await? {
                bump(tx, &show_id, at, Tally::Expiries, 1).await?;
            }
            Ok(())
        }
        ProductEvent::UnitsSold { reservation_id, quantity, .. } => {
            if let Some(show_id) = show_of_hold(tx, &reservation_id.to_string()).await? {
                sqlx::query("UPDATE rm_dash_products SET sold = sold + $1 WHERE show_id = $2 AND product_id = $3")
                    .bind(quantity as i64)
                    .bind(show_id)
                    .bind(product_id)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }
        ProductEvent::ProductCreated { .. }
        | ProductEvent::StockAdded { .. }
        | ProductEvent::ReservationReleased { .. } => Ok(()),
    }
}

/// Keeps the product's units on sale, and when its last unit sold (while every unit is sold).
async fn set_stock(
    tx: &mut Transaction<'static, Any>,
    product_id: &str,
    stock: Stock,
    at: DateTime<Utc>,
) -> Result<(), ReadError> {
    let sold_out = stock.total > 0 && stock.sold == stock.total;
    sqlx::query(
        "INSERT INTO rm_dash_stock (product_id, available, sold_out_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (product_id) DO UPDATE SET available = excluded.available, sold_out_at_ms = CASE \
         WHEN excluded.sold_out_at_ms IS NULL THEN NULL \
         ELSE COALESCE(rm_dash_stock.sold_out_at_ms, excluded.sold_out_at_ms) END",
    )
    .bind(product_id)
    .bind(stock.available as i64)
    .bind(sold_out.then(|| at.timestamp_millis()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn show_of_hold(tx: &mut Transaction<'static, Any>, reservation_id: &str) -> Result<Option<String>, ReadError> {
    Ok(sqlx::query_scalar("SELECT show_id FROM rm_dash_holds WHERE reservation_id = $1")
        .bind(reservation_id)
        .fetch_optional(&mut **tx)
        .await?)
}

async fn apply_order(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: OrderEvent,
) -> Result<(), ReadError> {
    let (order_id, at) = (stored.aggregate_id.as_str(), stored.metadata.occurred_at);
    match event {
        OrderEvent::OrderPlaced { reservation_id, buyer, amount_minor, currency, .. } => {
            let Some(show_id) = show_of_hold(tx, &reservation_id.to_string()).await? else {
                return Ok(());
            };
            sqlx::query(
                "INSERT INTO rm_dash_orders (order_id, show_id, buyer, amount_minor, currency) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING",
            )
            .bind(order_id)
            .bind(show_id)
            .bind(buyer)
            .bind(amount_minor)
            .bind(currency.as_str().to_owned())
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
        OrderEvent::OrderConfirmed => {
            let Some((show_id, buyer, amount_minor, currency)) = order(tx, order_id).await? else {
                return Ok(());
            };
            bump(tx, &show_id, at, Tally::Orders, 1).await?;
            bump(tx, &show_id, at, Tally::Revenue, amount_minor).await?;
            sqlx::query(
                "INSERT INTO rm_dash_buyers (show_id, buyer) VALUES ($1, $2) ON CONFLICT (show_id, buyer) DO NOTHING",
            )
            .bind(&show_id)
            .bind(buyer)
            .execute(&mut **tx)
            .await?;
            sqlx::query("UPDATE rm_dash_shows SET currency = COALESCE(currency, $1) WHERE show_id = $2")
                .bind(currency)
                .bind(&show_id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        OrderEvent::PaymentDeclined { .. } => {
            if let Some((show_id, ..)) = order(tx, order_id).await? {
                bump(tx, &show_id, at, Tally::Declines, 1).await?;
            }
            Ok(())
        }
        OrderEvent::PaymentCaptured { .. } | OrderEvent::OrderExpired { .. } => Ok(()),
    }
}

/// An order of a show's hold: its show, buyer, amount and currency.
async fn order(
    tx: &mut Transaction<'static, Any>,
    order_id: &str,
) -> Result<Option<(String, String, i64, String)>, ReadError> {
    Ok(sqlx::query_as("SELECT show_id, buyer, amount_minor, currency FROM rm_dash_orders WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// What a minute counts, each a column of `rm_dash_minutes`.
#[derive(Debug, Clone, Copy)]
enum Tally {
    Chat,
    Reactions,
    Reservations,
    Orders,
    Revenue,
    Expiries,
    Declines,
}

impl Tally {
    fn column(self) -> &'static str {
        match self {
            Tally::Chat => "chat",
            Tally::Reactions => "reactions",
            Tally::Reservations => "reservations",
            Tally::Orders => "orders",
            Tally::Revenue => "revenue_minor",
            Tally::Expiries => "expiries",
            Tally::Declines => "declines",
        }
    }
}

/// Adds `by` to what the show's minute at `at` counts of `tally`.
async fn bump(
    tx: &mut Transaction<'static, Any>,
    show_id: &str,
    at: DateTime<Utc>,
    tally: Tally,
    by: i64,
) -> Result<(), ReadError> {
    let column = tally.column();
    sqlx::query(&format!(
        "INSERT INTO rm_dash_minutes (show_id, minute, {column}) VALUES ($1, $2, $3) \
         ON CONFLICT (show_id, minute) DO UPDATE SET {column} = rm_dash_minutes.{column} + excluded.{column}"
    ))
    .bind(show_id)
    .bind(minute(at))
    .bind(by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The Unix second the minute of `at` starts at.
fn minute(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60) * 60
}
