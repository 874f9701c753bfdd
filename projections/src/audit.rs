//! Auditor reconstruction: an order's full history rebuilt from the event
//! store itself (not from a read model) — the reservation that preceded it,
//! its placement, payment and outcome, and the sale of its units — with the
//! checks an auditor makes: one capture per order, stock consistent at
//! every event of its product — each breach named, for the report.

use cqrs_es::Aggregate;
use serde::Serialize;

use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_infra::store::{EventStore, StoreError, StoredEvent};

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
    pub occurred_at: String,
    pub actor: String,
    pub command_id: String,
    pub correlation_id: String,
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

fn entry(event: &StoredEvent) -> AuditEntry {
    AuditEntry {
        event_type: event.event_type.clone(),
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence,
        occurred_at: event.metadata.occurred_at.to_rfc3339(),
        actor: event.metadata.actor.clone(),
        command_id: event.metadata.command_id.to_string(),
        correlation_id: event.metadata.correlation_id.to_string(),
        data: event.payload.clone(),
    }
}

/// The order's history, or `None` when the store has no such order.
pub async fn audit_order(store: &dyn EventStore, order_id: &str) -> Result<Option<OrderAudit>, AuditError> {
    let order_events = store.load(Order::TYPE, order_id).await?;
    let mut order = Order::default();
    let mut placed = None;
    let mut captures = 0;
    for stored in &order_events {
        let event: OrderEvent = serde_json::from_value(stored.payload.clone())?;
        match &event {
            OrderEvent::OrderPlaced { reservation_id, product_id, .. } => {
                placed = Some((reservation_id.clone(), product_id.clone()));
            }
            OrderEvent::PaymentCaptured { .. } => captures += 1,
            _ => {}
        }
        order.apply(event);
    }
    let Some((reservation_id, product_id)) = placed else { return Ok(None) };

    let mut product = Product::default();
    let mut stock_broken_at = None;
    let mut timeline = Vec::new();
    for stored in store.load(Product::TYPE, &product_id).await? {
        let event: ProductEvent = serde_json::from_value(stored.payload.clone())?;
        let concerns_order = match &event {
            ProductEvent::UnitsReserved { reservation_id: r, .. }
            | ProductEvent::ReservationReleased { reservation_id: r, .. }
            | ProductEvent::ReservationExpired { reservation_id: r, .. } => *r == reservation_id,
            ProductEvent::UnitsSold { order_id: o, .. } => o == order_id,
            ProductEvent::ProductCreated { .. } | ProductEvent::StockAdded { .. } => false,
        };
        product.apply(event);
        if stock_broken_at.is_none() && !product.stock.is_consistent() {
            stock_broken_at = Some(stored.sequence);
        }
        if concerns_order {
            timeline.push(entry(&stored));
        }
    }
    timeline.extend(order_events.iter().map(entry));
    // Events of one command share a time; the product's hold comes first,
    // then the order's steps, then the sale they caused.
    timeline.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| rank(a).cmp(&rank(b))));
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

fn rank(entry: &AuditEntry) -> (u8, u64) {
    match (entry.aggregate_type.as_str(), entry.event_type.as_str()) {
        (aggregate, "UnitsReserved") if aggregate == Product::TYPE => (0, entry.sequence),
        (aggregate, _) if aggregate == Order::TYPE => (1, entry.sequence),
        _ => (2, entry.sequence),
    }
}
