//! The catalog projection: products with live stock, reservations, orders
//! with their timelines, shows and channels. Events carry the values they
//! produce (stock after the event, status), so this only copies them.

use sqlx::{Any, Transaction};
use tracing::warn;

use cartcast_domain::channel::ChannelEvent;
use cartcast_domain::order::OrderEvent;
use cartcast_domain::product::{ProductEvent, Stock};
use cartcast_domain::show::ShowEvent;
use cartcast_infra::store::StoredEvent;

use crate::read_models::{HistoryEntry, ReadError};

/// The projection's name in `projection_checkpoints`.
pub const CATALOG: &str = "catalog";

/// Apply one event at feed `position` inside the projection's transaction.
pub async fn apply(tx: &mut Transaction<'static, Any>, position: u64, event: &StoredEvent) -> Result<(), ReadError> {
    match event.aggregate_type.as_str() {
        "Product" => apply_product(tx, position, event, serde_json::from_value(event.payload.clone())?).await,
        "Order" => apply_order(tx, position, event, serde_json::from_value(event.payload.clone())?).await,
        "Show" => apply_show(tx, event, serde_json::from_value(event.payload.clone())?).await,
        "Channel" => apply_channel(tx, event, serde_json::from_value(event.payload.clone())?).await,
        other => {
            warn!(aggregate_type = other, "catalog ignores unknown aggregate type");
            Ok(())
        }
    }
}

async fn set_stock(
    tx: &mut Transaction<'static, Any>,
    product_id: &str,
    stock: Stock,
    position: u64,
) -> Result<(), ReadError> {
    sqlx::query("UPDATE rm_products SET total = $1, available = $2, reserved = $3, sold = $4, position = $5 WHERE product_id = $6")
        .bind(stock.total as i64)
        .bind(stock.available as i64)
        .bind(stock.reserved as i64)
        .bind(stock.sold as i64)
        .bind(position as i64)
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn record_history(
    tx: &mut Transaction<'static, Any>,
    stream: String,
    position: u64,
    event: &StoredEvent,
) -> Result<(), ReadError> {
    let entry = HistoryEntry {
        event_type: event.event_type.clone(),
        occurred_at: event.metadata.occurred_at.to_rfc3339(),
        actor: event.metadata.actor.clone(),
        command_id: event.metadata.command_id.to_string(),
        event_id: event.metadata.event_id.to_string(),
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence,
        position,
        data: event.payload.clone(),
    };
    sqlx::query("INSERT INTO rm_history (stream, position, entry) VALUES ($1, $2, $3) ON CONFLICT (stream, position) DO NOTHING")
        .bind(stream)
        .bind(position as i64)
        .bind(serde_json::to_string(&entry)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn set_reservation_status(
    tx: &mut Transaction<'static, Any>,
    reservation_id: &str,
    status: &str,
) -> Result<(), ReadError> {
    sqlx::query("UPDATE rm_reservations SET status = $1 WHERE reservation_id = $2")
        .bind(status)
        .bind(reservation_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn apply_product(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    stored: &StoredEvent,
    event: ProductEvent,
) -> Result<(), ReadError> {
    let product_id = stored.aggregate_id.as_str();
    let stock = event.stock();
    match event {
        ProductEvent::ProductCreated { seller, sku, title, price_minor, currency, .. } => {
            sqlx::query(
                "INSERT INTO rm_products (product_id, seller, sku, title, price_minor, currency, total, available, reserved, sold, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0) ON CONFLICT (product_id) DO NOTHING",
            )
            .bind(product_id)
            .bind(seller)
            .bind(sku)
            .bind(title)
            .bind(price_minor)
            .bind(currency.as_str().to_owned())
            .execute(&mut **tx)
            .await?;
        }
        ProductEvent::StockAdded { .. } => {}
        ProductEvent::UnitsReserved { reservation_id, buyer, quantity, expires_at, .. } => {
            sqlx::query(
                "INSERT INTO rm_reservations (reservation_id, product_id, buyer, quantity, status, expires_at) \
                 VALUES ($1, $2, $3, $4, 'held', $5) ON CONFLICT (reservation_id) DO NOTHING",
            )
            .bind(reservation_id.to_string())
            .bind(product_id)
            .bind(buyer)
            .bind(quantity as i64)
            .bind(expires_at.to_rfc3339())
            .execute(&mut **tx)
            .await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
        ProductEvent::ReservationReleased { reservation_id, .. } => {
            set_reservation_status(tx, &reservation_id.to_string(), "released").await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
        ProductEvent::ReservationExpired { reservation_id, .. } => {
            set_reservation_status(tx, &reservation_id.to_string(), "expired").await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
        ProductEvent::UnitsSold { reservation_id, .. } => {
            set_reservation_status(tx, &reservation_id.to_string(), "sold").await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
    }
    set_stock(tx, product_id, stock, position).await
}

async fn apply_order(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    stored: &StoredEvent,
    event: OrderEvent,
) -> Result<(), ReadError> {
    let order_id = stored.aggregate_id.as_str();
    let at = stored.metadata.occurred_at.to_rfc3339();
    let status = match event {
        OrderEvent::OrderPlaced {
            reservation_id, product_id, buyer, seller, quantity, amount_minor, currency, ..
        } => {
            sqlx::query(
                "INSERT INTO rm_orders (order_id, reservation_id, product_id, buyer, seller, quantity, amount_minor, currency, status, capture_id, placed_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'placed', NULL, $9, $9) ON CONFLICT (order_id) DO NOTHING",
            )
            .bind(order_id)
            .bind(reservation_id.to_string())
            .bind(product_id)
            .bind(buyer)
            .bind(seller)
            .bind(quantity as i64)
            .bind(amount_minor)
            .bind(currency.as_str().to_owned())
            .bind(&at)
            .execute(&mut **tx)
            .await?;
            None
        }
        OrderEvent::PaymentCaptured { capture_id, .. } => {
            sqlx::query("UPDATE rm_orders SET capture_id = $1, updated_at = $2 WHERE order_id = $3")
                .bind(capture_id)
                .bind(&at)
                .bind(order_id)
                .execute(&mut **tx)
                .await?;
            None
        }
        OrderEvent::OrderConfirmed => Some("confirmed"),
        OrderEvent::PaymentDeclined { .. } => Some("declined"),
        OrderEvent::OrderExpired { .. } => Some("expired"),
    };
    if let Some(status) = status {
        sqlx::query("UPDATE rm_orders SET status = $1, updated_at = $2 WHERE order_id = $3")
            .bind(status)
            .bind(&at)
            .bind(order_id)
            .execute(&mut **tx)
            .await?;
    }
    record_history(tx, format!("order:{order_id}"), position, stored).await
}

async fn apply_show(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: ShowEvent,
) -> Result<(), ReadError> {
    let show_id = stored.aggregate_id.as_str();
    let (sql, value): (&str, Option<String>) = match event {
        ShowEvent::ShowScheduled { creator, title, scheduled_at, product_ids, .. } => {
            sqlx::query(
                "INSERT INTO rm_shows (show_id, creator, title, status, scheduled_at, product_ids, pinned_product_id) \
                 VALUES ($1, $2, $3, 'scheduled', $4, $5, NULL) ON CONFLICT (show_id) DO NOTHING",
            )
            .bind(show_id)
            .bind(creator)
            .bind(title)
            .bind(scheduled_at.map(|t| t.to_rfc3339()))
            .bind(serde_json::to_string(&product_ids)?)
            .execute(&mut **tx)
            .await?;
            return Ok(());
        }
        ShowEvent::ProductsAttached { product_ids } => {
            let current: Option<String> = sqlx::query_scalar("SELECT product_ids FROM rm_shows WHERE show_id = $1")
                .bind(show_id)
                .fetch_optional(&mut **tx)
                .await?;
            let mut all: Vec<String> = current.as_deref().map(serde_json::from_str).transpose()?.unwrap_or_default();
            all.extend(product_ids.into_iter().filter(|p| !all.contains(p)).collect::<Vec<_>>());
            ("UPDATE rm_shows SET product_ids = $1 WHERE show_id = $2", Some(serde_json::to_string(&all)?))
        }
        ShowEvent::ProductPinned { product_id } => {
            ("UPDATE rm_shows SET pinned_product_id = $1 WHERE show_id = $2", Some(product_id))
        }
        ShowEvent::ShowWentLive { .. } => {
            ("UPDATE rm_shows SET status = $1 WHERE show_id = $2", Some("live".to_owned()))
        }
        ShowEvent::ShowEnded { .. } => ("UPDATE rm_shows SET status = $1 WHERE show_id = $2", Some("ended".to_owned())),
        // Operators read stream health from the media worker's metrics and the event log.
        ShowEvent::StreamHealthReported { .. } => return Ok(()),
        ShowEvent::ClipRequested { clip_id, requested_by, seconds } => {
            sqlx::query(
                "INSERT INTO rm_clips (clip_id, show_id, requested_by, seconds, status) \
                 VALUES ($1, $2, $3, $4, 'processing') ON CONFLICT (clip_id) DO NOTHING",
            )
            .bind(clip_id)
            .bind(show_id)
            .bind(requested_by)
            .bind(i64::from(seconds))
            .execute(&mut **tx)
            .await?;
            return Ok(());
        }
        ShowEvent::ClipReady { clip_id, url } => {
            sqlx::query("UPDATE rm_clips SET status = 'ready', url = $1 WHERE clip_id = $2")
                .bind(url)
                .bind(clip_id)
                .execute(&mut **tx)
                .await?;
            return Ok(());
        }
        ShowEvent::ClipFailed { clip_id, reason } => {
            sqlx::query("UPDATE rm_clips SET status = 'failed', reason = $1 WHERE clip_id = $2")
                .bind(reason)
                .bind(clip_id)
                .execute(&mut **tx)
                .await?;
            return Ok(());
        }
        ShowEvent::ViewersCounted { connected, watching } => {
            sqlx::query("UPDATE rm_shows SET viewers_connected = $1, viewers_watching = $2 WHERE show_id = $3")
                .bind(connected as i64)
                .bind(watching as i64)
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
            return Ok(());
        }
    };
    sqlx::query(sql).bind(value).bind(show_id).execute(&mut **tx).await?;
    Ok(())
}

async fn apply_channel(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: ChannelEvent,
) -> Result<(), ReadError> {
    let channel_id = stored.aggregate_id.as_str();
    match event {
        ChannelEvent::ChannelOpened { owner, stream_key, .. } => {
            sqlx::query("INSERT INTO rm_channels (channel_id, owner, stream_key) VALUES ($1, $2, $3) ON CONFLICT (channel_id) DO NOTHING")
                .bind(channel_id)
                .bind(owner)
                .bind(stream_key)
                .execute(&mut **tx)
                .await?;
        }
        ChannelEvent::StreamKeyRegenerated { stream_key } => {
            sqlx::query("UPDATE rm_channels SET stream_key = $1 WHERE channel_id = $2")
                .bind(stream_key)
                .bind(channel_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
