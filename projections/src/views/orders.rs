//! The orders view: each order, and its timeline as an auditor reads it.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use cartcast_domain::order::OrderEvent;
use cartcast_infra::store::StoredEvent;

use crate::read_models::{ReadError, ReadModels};

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
    /// The request (or reaction chain) the command belongs to; absent from entries recorded before it was kept.
    #[serde(default)]
    pub correlation_id: String,
    /// What caused it: the command, or the event a reaction answers.
    #[serde(default)]
    pub causation_id: String,
    pub event_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Its position in the global feed.
    pub position: u64,
    /// The event's own fields.
    pub data: serde_json::Value,
}

/// Apply one of an order's events: its row, and its step in the order's history.
pub(super) async fn apply(
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

/// Add `event` to the history `stream` (`order:<id>` or `reservation:<id>`)
/// that [`ReadModels::order_history`] reads back.
pub(super) async fn record_history(
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
        correlation_id: event.metadata.correlation_id.to_string(),
        causation_id: event.metadata.causation_id.to_string(),
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

impl ReadModels {
    pub async fn order(&self, order_id: &str) -> Result<Option<OrderView>, ReadError> {
        let row = sqlx::query(
            "SELECT order_id, status, reservation_id, product_id, buyer, seller, quantity, amount_minor, \
             currency, capture_id, placed_at, updated_at FROM rm_orders WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(self.pool())
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

    /// The order's timeline in feed order: its own events and the buyer's
    /// holds on its product up to the one it was placed on (a hold that
    /// expired or was given back, then the one it bought), leaving out holds
    /// the buyer bought in other orders.
    pub async fn order_history(&self, order: &OrderView) -> Result<Vec<HistoryEntry>, ReadError> {
        let rows = sqlx::query(
            "WITH bought AS ( \
                 SELECT MIN(position) AS at FROM rm_history WHERE stream = 'reservation:' || $2 \
             ), holds AS ( \
                 SELECT 'reservation:' || r.reservation_id AS stream FROM rm_reservations r \
                  WHERE r.product_id = $3 AND r.buyer = $4 AND r.status <> 'sold' \
                    AND (SELECT MIN(h.position) FROM rm_history h WHERE h.stream = 'reservation:' || r.reservation_id) \
                        <= (SELECT at FROM bought) \
             ) \
             SELECT entry FROM rm_history \
              WHERE stream = $1 OR stream = 'reservation:' || $2 OR stream IN (SELECT stream FROM holds) \
              ORDER BY position",
        )
        .bind(format!("order:{}", order.order_id))
        .bind(&order.reservation_id)
        .bind(&order.product_id)
        .bind(&order.buyer)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(serde_json::from_str(&r.get::<String, _>(0))?)).collect()
    }
}
