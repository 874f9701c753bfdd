//! The orders view: each order, and its timeline as an auditor reads it.
//! A step's order changes and history entries are gathered in [`Pending`]
//! and [`History`] and written once.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use cartcast_domain::order::OrderEvent;
use cartcast_infra::store::{EventKey, EventStore, StoredEvent};

use crate::bulk;
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

/// A step's writes to orders, folded: the orders placed (as the step
/// leaves them) and the changes to older ones.
#[derive(Default)]
pub(super) struct Pending {
    placed: Vec<Placed>,
    /// Index in `placed` by order id.
    index: HashMap<String, usize>,
    changed: BTreeMap<String, Change>,
}

/// An order placed in this step.
struct Placed {
    order_id: String,
    reservation_id: String,
    product_id: String,
    buyer: String,
    seller: String,
    quantity: i64,
    amount_minor: i64,
    currency: String,
    status: &'static str,
    capture_id: Option<String>,
    placed_at: String,
    updated_at: String,
}

/// What this step changed of an order placed before it.
#[derive(Default)]
struct Change {
    status: Option<&'static str>,
    capture_id: Option<String>,
    updated_at: String,
}

impl Pending {
    /// Add one of an order's events: its row, and its step in the order's history.
    pub(super) fn record(&mut self, history: &mut History, position: u64, stored: &StoredEvent, event: OrderEvent) {
        let order_id = stored.aggregate_id.as_str();
        let at = stored.metadata.occurred_at.to_rfc3339();
        let (status, capture_id) = match event {
            OrderEvent::OrderPlaced {
                reservation_id,
                product_id,
                buyer,
                seller,
                quantity,
                amount_minor,
                currency,
                ..
            } => {
                self.index.insert(order_id.to_owned(), self.placed.len());
                self.placed.push(Placed {
                    order_id: order_id.to_owned(),
                    reservation_id: reservation_id.to_string(),
                    product_id,
                    buyer,
                    seller,
                    quantity: quantity as i64,
                    amount_minor,
                    currency: currency.as_str().to_owned(),
                    status: "placed",
                    capture_id: None,
                    placed_at: at.clone(),
                    updated_at: at,
                });
                history.record(format!("order:{order_id}"), position, stored);
                return;
            }
            OrderEvent::PaymentCaptured { capture_id, .. } => (None, Some(capture_id)),
            OrderEvent::OrderConfirmed => (Some("confirmed"), None),
            OrderEvent::PaymentDeclined { .. } => (Some("declined"), None),
            OrderEvent::OrderExpired { .. } => (Some("expired"), None),
        };
        match self.index.get(order_id) {
            Some(&placed) => {
                let placed = &mut self.placed[placed];
                placed.status = status.unwrap_or(placed.status);
                placed.capture_id = capture_id.or(placed.capture_id.take());
                placed.updated_at = at;
            }
            None => {
                let change = self.changed.entry(order_id.to_owned()).or_default();
                change.status = status.or(change.status);
                change.capture_id = capture_id.or(change.capture_id.take());
                change.updated_at = at;
            }
        }
        history.record(format!("order:{order_id}"), position, stored);
    }

    /// Write what the step gathered, and start again empty.
    pub(super) async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let Pending { placed, changed, .. } = std::mem::take(self);
        bulk::insert(
            tx,
            "rm_orders (order_id, reservation_id, product_id, buyer, seller, quantity, amount_minor, currency, \
             status, capture_id, placed_at, updated_at)",
            12,
            "ON CONFLICT (order_id) DO NOTHING",
            &placed,
            |query, order| {
                query
                    .bind(&order.order_id)
                    .bind(&order.reservation_id)
                    .bind(&order.product_id)
                    .bind(&order.buyer)
                    .bind(&order.seller)
                    .bind(order.quantity)
                    .bind(order.amount_minor)
                    .bind(&order.currency)
                    .bind(order.status)
                    .bind(&order.capture_id)
                    .bind(&order.placed_at)
                    .bind(&order.updated_at)
            },
        )
        .await?;
        let changed: Vec<_> = changed.into_iter().collect();
        bulk::update(
            tx,
            "UPDATE rm_orders SET status = COALESCE(v.column2, status), capture_id = COALESCE(v.column3, capture_id), \
             updated_at = v.column4",
            "WHERE rm_orders.order_id = v.column1",
            4,
            &changed,
            |query, (order_id, change)| {
                query.bind(order_id).bind(change.status).bind(&change.capture_id).bind(&change.updated_at)
            },
        )
        .await
    }
}

/// A step's additions to the histories (`order:<id>` and `reservation:<id>`)
/// that [`ReadModels::order_history`] reads back: each event's feed
/// position and its key in the event store, which keeps the event itself.
#[derive(Default)]
pub(super) struct History(Vec<(String, i64, EventKey)>);

impl History {
    /// Add `event` to the history `stream`.
    pub(super) fn record(&mut self, stream: String, position: u64, event: &StoredEvent) {
        let key = EventKey {
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
        };
        self.0.push((stream, position as i64, key));
    }

    /// Write what the step gathered, and start again empty.
    pub(super) async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let entries = std::mem::take(&mut self.0);
        bulk::insert(
            tx,
            "rm_history (stream, position, aggregate_type, aggregate_id, sequence)",
            5,
            "ON CONFLICT (stream, position) DO NOTHING",
            &entries,
            |query, (stream, position, key)| {
                query
                    .bind(stream)
                    .bind(*position)
                    .bind(&key.aggregate_type)
                    .bind(&key.aggregate_id)
                    .bind(key.sequence as i64)
            },
        )
        .await
    }
}

impl HistoryEntry {
    /// `event`, at feed `position`, as a step of a timeline.
    pub fn of(position: u64, event: &StoredEvent) -> Self {
        HistoryEntry {
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
        }
    }
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
    /// the buyer bought in other orders. The events themselves are read
    /// from `store`, where the timeline points.
    pub async fn order_history(
        &self,
        store: &dyn EventStore,
        order: &OrderView,
    ) -> Result<Vec<HistoryEntry>, ReadError> {
        let rows = sqlx::query(
            "WITH bought AS ( \
                 SELECT MIN(position) AS at FROM rm_history WHERE stream = 'reservation:' || $2 \
             ), holds AS ( \
                 SELECT 'reservation:' || r.reservation_id AS stream FROM rm_reservations r \
                  WHERE r.product_id = $3 AND r.buyer = $4 AND r.status <> 'sold' \
                    AND (SELECT MIN(h.position) FROM rm_history h WHERE h.stream = 'reservation:' || r.reservation_id) \
                        <= (SELECT at FROM bought) \
             ) \
             SELECT position, aggregate_type, aggregate_id, sequence FROM rm_history \
              WHERE stream = $1 OR stream = 'reservation:' || $2 OR stream IN (SELECT stream FROM holds) \
              ORDER BY position",
        )
        .bind(format!("order:{}", order.order_id))
        .bind(&order.reservation_id)
        .bind(&order.product_id)
        .bind(&order.buyer)
        .fetch_all(self.pool())
        .await?;
        let positions = rows.iter().map(|r| r.get::<i64, _>(0) as u64);
        let keys: Vec<EventKey> = rows
            .iter()
            .map(|r| EventKey { aggregate_type: r.get(1), aggregate_id: r.get(2), sequence: r.get::<i64, _>(3) as u64 })
            .collect();
        let events = store.events(&keys).await?;
        Ok(positions.zip(&events).map(|(position, (_, event))| HistoryEntry::of(position, event)).collect())
    }
}
