//! Auditors' tools on the event store itself (not a read model): an
//! order's full history — the buyer's holds on its product that led to it
//! (a hold that expired, a second one), its placement, payment and outcome,
//! and the sale of its units, in global order with who and which command
//! caused each — with the checks an auditor makes on it; and [`check`], the
//! store-wide invariant scan.

mod check;

pub use check::{CheckReport, Invariant, Violation, check};

use std::collections::HashMap;

use cqrs_es::Aggregate;
use serde::Serialize;

use cartcast_domain::ids::ReservationId;
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_infra::store::{EventKey, EventStore, StoreError, StoredEvent};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored event does not parse: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// One step of the reconstructed timeline.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    #[serde(rename = "type")]
    pub event_type: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Its place in the global order.
    pub position: u64,
    pub occurred_at: String,
    pub actor: String,
    pub event_id: String,
    pub command_id: String,
    pub correlation_id: String,
    /// What caused it: the command, or the event a reaction answers.
    pub causation_id: String,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderAudit {
    pub order_id: String,
    pub status: String,
    pub reservation_id: String,
    pub product_id: String,
    pub timeline: Vec<AuditEntry>,
    /// Payment captures recorded for this order (must be at most one).
    pub captures: usize,
    /// `available + reserved + sold = total` after every event of the product.
    pub stock_consistent: bool,
    /// The first event (by sequence) of the product after which its stock
    /// does not add up, so an auditor knows where to look.
    pub stock_broken_at: Option<u64>,
}

/// An invariant an order's history breaks, named as an auditor states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// More than one payment capture recorded in the order's events.
    Captures(usize),
    /// More than one capture in the payment gateway's own ledger.
    GatewayCaptures(u32),
    /// The product's stock does not add up after one of its events.
    Stock { product_id: String, sequence: u64 },
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::Captures(n) => write!(f, "one capture per order: {n} captures recorded"),
            Breach::GatewayCaptures(n) => write!(f, "one capture per order: {n} captured at the gateway"),
            Breach::Stock { product_id, sequence } => write!(
                f,
                "stock adds up (available + reserved + sold = total): \
                 broken by event {sequence} of product {product_id}"
            ),
        }
    }
}

impl OrderAudit {
    /// Every invariant the order breaks, given its captures in the gateway's ledger.
    pub fn breaches(&self, gateway_captures: u32) -> Vec<Breach> {
        let mut breaches = Vec::new();
        if self.captures > 1 {
            breaches.push(Breach::Captures(self.captures));
        }
        if gateway_captures > 1 {
            breaches.push(Breach::GatewayCaptures(gateway_captures));
        }
        if let Some(sequence) = self.stock_broken_at {
            breaches.push(Breach::Stock { product_id: self.product_id.clone(), sequence });
        }
        breaches
    }
}

fn entry(position: u64, event: StoredEvent) -> AuditEntry {
    let meta = event.metadata;
    AuditEntry {
        event_type: event.event_type,
        aggregate_type: event.aggregate_type,
        aggregate_id: event.aggregate_id,
        sequence: event.sequence,
        position,
        occurred_at: meta.occurred_at.to_rfc3339(),
        actor: meta.actor,
        event_id: meta.event_id.to_string(),
        command_id: meta.command_id.to_string(),
        correlation_id: meta.correlation_id.to_string(),
        causation_id: meta.causation_id.to_string(),
        data: event.payload,
    }
}

/// The order's history, or `None` when the store has no such order.
pub async fn audit_order(store: &dyn EventStore, order_id: &str) -> Result<Option<OrderAudit>, AuditError> {
    let order_events = store.load(Order::TYPE, order_id).await?;
    let mut order = Order::default();
    let mut placed = None;
    let mut captures = 0;
    for stored in &order_events {
        let event: OrderEvent = stored.payload_as()?;
        match &event {
            OrderEvent::OrderPlaced { reservation_id, product_id, buyer, .. } => {
                placed = Some((reservation_id.clone(), product_id.clone(), buyer.clone()));
            }
            OrderEvent::PaymentCaptured { .. } => captures += 1,
            _ => {}
        }
        order.apply(event);
    }
    let Some((reservation_id, product_id, buyer)) = placed else { return Ok(None) };

    let mut product = Product::default();
    let mut stock_broken_at = None;
    let mut story: Vec<EventKey> = order_events.iter().map(StoredEvent::key).collect();
    // The buyer's holds on the product up to the one the order was placed
    // on, but for those sold to another order: how the buyer got here.
    let mut holds: HashMap<ReservationId, Vec<EventKey>> = HashMap::new();
    for stored in store.load(Product::TYPE, &product_id).await? {
        let event: ProductEvent = stored.payload_as()?;
        match &event {
            ProductEvent::UnitsReserved { reservation_id: r, buyer: b, .. }
                if *b == buyer && r.number() <= reservation_id.number() =>
            {
                holds.insert(r.clone(), vec![stored.key()]);
            }
            ProductEvent::ReservationReleased { reservation_id: r, .. }
            | ProductEvent::ReservationExpired { reservation_id: r, .. } => {
                if let Some(keys) = holds.get_mut(r) {
                    keys.push(stored.key());
                }
            }
            ProductEvent::UnitsSold { reservation_id: r, order_id: o, .. } if o == order_id => {
                holds.entry(r.clone()).or_default().push(stored.key());
            }
            ProductEvent::UnitsSold { reservation_id: r, .. } => {
                holds.remove(r);
            }
            _ => {}
        }
        product.apply(event);
        if stock_broken_at.is_none() && !product.stock.is_consistent() {
            stock_broken_at = Some(stored.sequence);
        }
    }
    story.extend(holds.into_values().flatten());
    let mut timeline: Vec<AuditEntry> =
        store.events(&story).await?.into_iter().map(|(position, event)| entry(position, event)).collect();
    timeline.sort_by_key(|entry| entry.position);
    Ok(Some(OrderAudit {
        order_id: order_id.to_owned(),
        status: order.status.as_str().to_owned(),
        reservation_id: reservation_id.to_string(),
        product_id,
        timeline,
        captures,
        stock_consistent: stock_broken_at.is_none(),
        stock_broken_at,
    }))
}
