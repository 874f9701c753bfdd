//! The store-wide invariant scan behind `cartcast audit check`: every
//! event read once in global order, the stock recomputed from the
//! quantities each event moves, every hold, sale, capture and order tracked,
//! and each broken invariant reported with the event that broke it.

use std::collections::HashMap;

use cqrs_es::Aggregate;
use serde::Serialize;

use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent, Stock};
use cartcast_infra::payment::Settled;
use cartcast_infra::store::{EventStore, StoredEvent};

use super::AuditError;

/// The invariants, as an auditor states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Invariant {
    /// No product's available, reserved or sold units ever go below zero.
    StockNeverNegative,
    /// `available + reserved + sold = total`, and the stock an event carries is the one its movements give.
    StockAddsUp,
    /// A hold is sold once at most, and only while it is held.
    NoUnitSoldTwice,
    /// Every captured payment belongs to exactly one order, and that order is confirmed (or refunded).
    CaptureBelongsToAConfirmedOrder,
    /// Every confirmed order was captured exactly once, and its units sold.
    ConfirmedOrderCapturedOnce,
}

impl Invariant {
    pub fn as_str(self) -> &'static str {
        match self {
            Invariant::StockNeverNegative => "stock_never_negative",
            Invariant::StockAddsUp => "stock_adds_up",
            Invariant::NoUnitSoldTwice => "no_unit_sold_twice",
            Invariant::CaptureBelongsToAConfirmedOrder => "capture_belongs_to_a_confirmed_order",
            Invariant::ConfirmedOrderCapturedOnce => "confirmed_order_captured_once",
        }
    }
}

/// One broken invariant, where it broke.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub invariant: Invariant,
    /// The global position of the event that broke it (for an order's end state, its last event).
    pub position: u64,
    pub detail: String,
}

/// What `audit check` prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub events: u64,
    pub products: usize,
    pub holds: usize,
    pub orders: usize,
    pub captures: usize,
    /// Orders the payment gateway's ledger says it captured.
    pub gateway_captures: usize,
    pub violations: Vec<Violation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    Held,
    Ended,
    Sold,
}

/// What the scan knows of one order.
#[derive(Debug, Default)]
struct OrderSeen {
    captures: u32,
    confirmed: bool,
    sold: u32,
    last_position: u64,
}

#[derive(Default)]
struct Scan {
    report: CheckReport,
    stock: HashMap<String, Stock>,
    holds: HashMap<String, Hold>,
    orders: HashMap<String, OrderSeen>,
    capture_owner: HashMap<String, String>,
}

/// Events read per store query.
const PAGE: u32 = 5000;

/// Scan the whole store, then hold each order's end state against the
/// gateway's `settled` ledger; `progress` hears the position reached after each page.
pub async fn check(
    store: &dyn EventStore,
    settled: &[Settled],
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<CheckReport, AuditError> {
    let mut scan = Scan::default();
    let mut after = 0;
    loop {
        let page = store.read_all(after, PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (position, event) in &page {
            scan.event(*position, event)?;
        }
        progress(after);
    }
    Ok(scan.finish(settled))
}

impl Scan {
    fn event(&mut self, position: u64, stored: &StoredEvent) -> Result<(), AuditError> {
        self.report.events += 1;
        if stored.aggregate_type == Product::TYPE {
            let event: ProductEvent = stored.payload_as()?;
            self.product(position, &stored.aggregate_id, &event);
        } else if stored.aggregate_type == Order::TYPE {
            let event: OrderEvent = stored.payload_as()?;
            self.order(position, &stored.aggregate_id, &event);
        }
        Ok(())
    }

    fn violation(&mut self, invariant: Invariant, position: u64, detail: String) {
        self.report.violations.push(Violation { invariant, position, detail });
    }

    fn product(&mut self, position: u64, product_id: &str, event: &ProductEvent) {
        let before = self.stock.get(product_id).copied().unwrap_or_default();
        let (moved, negative) = movement(before, event);
        if negative {
            let detail = format!("{} of product {product_id} takes units it does not have", event_name(event));
            self.violation(Invariant::StockNeverNegative, position, detail);
        }
        let carried = event.stock();
        if moved != carried || !carried.is_consistent() {
            let detail = format!(
                "{} of product {product_id} carries {carried:?} where its movements give {moved:?}",
                event_name(event)
            );
            self.violation(Invariant::StockAddsUp, position, detail);
        }
        self.stock.insert(product_id.to_owned(), carried);
        self.hold(position, product_id, event);
    }

    /// A hold's life: held, then released, expired or sold — once.
    fn hold(&mut self, position: u64, product_id: &str, event: &ProductEvent) {
        let (reservation_id, next) = match event {
            ProductEvent::UnitsReserved { reservation_id, .. } => (reservation_id, Hold::Held),
            ProductEvent::ReservationReleased { reservation_id, .. }
            | ProductEvent::ReservationExpired { reservation_id, .. } => (reservation_id, Hold::Ended),
            ProductEvent::UnitsSold { reservation_id, order_id, .. } => {
                let order = self.orders.entry(order_id.clone()).or_default();
                order.sold += 1;
                order.last_position = order.last_position.max(position);
                (reservation_id, Hold::Sold)
            }
            ProductEvent::ProductCreated { .. } | ProductEvent::StockAdded { .. } => return,
        };
        let id = reservation_id.to_string();
        let was = self.holds.insert(id.clone(), next);
        if next == Hold::Sold && was != Some(Hold::Held) {
            let detail = match was {
                Some(Hold::Sold) => format!("hold {id} of product {product_id} sold twice"),
                _ => format!("hold {id} of product {product_id} sold while not held"),
            };
            self.violation(Invariant::NoUnitSoldTwice, position, detail);
        }
    }

    fn order(&mut self, position: u64, order_id: &str, event: &OrderEvent) {
        let order = self.orders.entry(order_id.to_owned()).or_default();
        order.last_position = order.last_position.max(position);
        match event {
            OrderEvent::PaymentCaptured { capture_id, .. } => {
                order.captures += 1;
                self.report.captures += 1;
                if let Some(owner) = self.capture_owner.insert(capture_id.clone(), order_id.to_owned()) {
                    let detail = format!("capture {capture_id} is recorded on orders {owner} and {order_id}");
                    self.violation(Invariant::CaptureBelongsToAConfirmedOrder, position, detail);
                }
            }
            OrderEvent::OrderConfirmed => order.confirmed = true,
            OrderEvent::OrderPlaced { .. } | OrderEvent::PaymentDeclined { .. } | OrderEvent::OrderExpired { .. } => {}
        }
    }

    /// The checks on each order's end state, and on what the gateway captured.
    fn finish(mut self, settled: &[Settled]) -> CheckReport {
        for charge in settled.iter().filter(|charge| charge.captures > 0) {
            self.report.gateway_captures += 1;
            let key = &charge.idempotency_key;
            let (confirmed, position) = self.orders.get(key).map_or((false, 0), |o| (o.confirmed, o.last_position));
            if !confirmed {
                let detail =
                    format!("the gateway captured a payment for order {key}, which is not confirmed in the store");
                self.violation(Invariant::CaptureBelongsToAConfirmedOrder, position, detail);
            }
            if charge.captures > 1 {
                let detail = format!("the gateway captured order {key} {} times", charge.captures);
                self.violation(Invariant::ConfirmedOrderCapturedOnce, position, detail);
            }
        }
        let mut ended: Vec<(String, OrderSeen)> = std::mem::take(&mut self.orders).into_iter().collect();
        ended.sort_by_key(|(_, order)| order.last_position);
        for (order_id, order) in &ended {
            if order.captures > 0 && !order.confirmed {
                let detail = format!("order {order_id} was captured but never confirmed");
                self.violation(Invariant::CaptureBelongsToAConfirmedOrder, order.last_position, detail);
            }
            if order.confirmed && (order.captures != 1 || order.sold != 1) {
                let detail = format!(
                    "order {order_id} is confirmed with {} captures and {} sales (one of each expected)",
                    order.captures, order.sold
                );
                self.violation(Invariant::ConfirmedOrderCapturedOnce, order.last_position, detail);
            }
        }
        self.report.products = self.stock.len();
        self.report.holds = self.holds.len();
        self.report.orders = ended.len();
        self.report.violations.sort_by_key(|v| v.position);
        self.report
    }
}

/// The stock after `event` as its quantities move `before`, and whether a count would go below zero.
fn movement(before: Stock, event: &ProductEvent) -> (Stock, bool) {
    let mut negative = false;
    let mut take = |from: u64, quantity: u64| {
        from.checked_sub(quantity).unwrap_or_else(|| {
            negative = true;
            0
        })
    };
    let after = match *event {
        ProductEvent::ProductCreated { stock, .. } => Stock { available: stock.total, reserved: 0, sold: 0, ..stock },
        ProductEvent::StockAdded { added, .. } => {
            Stock { total: before.total + added, available: before.available + added, ..before }
        }
        ProductEvent::UnitsReserved { quantity, .. } => {
            Stock { available: take(before.available, quantity), reserved: before.reserved + quantity, ..before }
        }
        ProductEvent::ReservationReleased { quantity, .. } | ProductEvent::ReservationExpired { quantity, .. } => {
            Stock { reserved: take(before.reserved, quantity), available: before.available + quantity, ..before }
        }
        ProductEvent::UnitsSold { quantity, .. } => {
            Stock { reserved: take(before.reserved, quantity), sold: before.sold + quantity, ..before }
        }
    };
    (after, negative)
}

fn event_name(event: &ProductEvent) -> String {
    use cqrs_es::DomainEvent;
    event.event_type()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use cqrs_es::DomainEvent;
    use uuid::Uuid;

    use cartcast_domain::ids::ReservationId;
    use cartcast_domain::money::Currency;
    use cartcast_infra::store::EventMetadata;

    use super::*;

    fn stored<E: DomainEvent>(aggregate_type: &str, id: &str, event: &E) -> StoredEvent {
        let command_id = Uuid::new_v4();
        StoredEvent {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: id.to_owned(),
            sequence: 1,
            event_type: event.event_type(),
            event_version: event.event_version(),
            payload: serde_json::to_value(event).unwrap(),
            metadata: EventMetadata {
                event_id: Uuid::now_v7(),
                command_id,
                correlation_id: command_id,
                causation_id: command_id,
                actor: "ann".to_owned(),
                occurred_at: Utc::now(),
            },
        }
    }

    fn stock(total: u64, available: u64, reserved: u64, sold: u64) -> Stock {
        Stock { total, available, reserved, sold }
    }

    fn hold() -> ReservationId {
        ReservationId::new("p", 1)
    }

    /// A product of 2, one unit held, paid and sold: every invariant holds.
    fn sound_sale() -> Vec<StoredEvent> {
        let product = |event: ProductEvent| stored(Product::TYPE, "p", &event);
        let order = |event: OrderEvent| stored(Order::TYPE, "o", &event);
        vec![
            product(ProductEvent::ProductCreated {
                product_id: "p".into(),
                seller: "s".into(),
                sku: "sku".into(),
                title: "Mug".into(),
                price_minor: 500,
                currency: Currency::parse("EUR").unwrap(),
                stock: stock(2, 2, 0, 0),
            }),
            product(ProductEvent::UnitsReserved {
                reservation_id: hold(),
                buyer: "ann".into(),
                quantity: 1,
                expires_at: Utc::now(),
                stock: stock(2, 1, 1, 0),
            }),
            order(OrderEvent::OrderPlaced {
                order_id: "o".into(),
                reservation_id: hold(),
                product_id: "p".into(),
                buyer: "ann".into(),
                seller: "s".into(),
                quantity: 1,
                amount_minor: 500,
                currency: Currency::parse("EUR").unwrap(),
            }),
            order(OrderEvent::PaymentCaptured { capture_id: "cap_1".into(), amount_minor: 500 }),
            order(OrderEvent::OrderConfirmed),
            product(ProductEvent::UnitsSold {
                reservation_id: hold(),
                order_id: "o".into(),
                quantity: 1,
                stock: stock(2, 1, 0, 1),
            }),
        ]
    }

    fn scan(events: &[StoredEvent], settled: &[Settled]) -> Vec<(Invariant, u64)> {
        let mut scan = Scan::default();
        for (n, event) in events.iter().enumerate() {
            scan.event(n as u64 + 1, event).unwrap();
        }
        scan.finish(settled).violations.into_iter().map(|v| (v.invariant, v.position)).collect()
    }

    fn captured_once() -> Vec<Settled> {
        vec![Settled { idempotency_key: "o".into(), captures: 1 }]
    }

    #[test]
    fn a_sound_sale_breaks_nothing() {
        assert_eq!(scan(&sound_sale(), &captured_once()), []);
    }

    #[test]
    fn a_sale_whose_carried_stock_does_not_add_up_is_named() {
        let mut events = sound_sale();
        events[5].payload["stock"]["sold"] = 2.into();
        assert_eq!(scan(&events, &captured_once()), [(Invariant::StockAddsUp, 6)]);
    }

    #[test]
    fn a_hold_beyond_the_units_there_are_goes_negative() {
        let mut events = sound_sale();
        events[1].payload["quantity"] = 3.into();
        let violations = scan(&events, &captured_once());
        assert!(violations.contains(&(Invariant::StockNeverNegative, 2)), "{violations:?}");
    }

    #[test]
    fn a_hold_sold_twice_is_named() {
        let mut events = sound_sale();
        let mut again = events[5].clone();
        again.payload["stock"] = serde_json::to_value(stock(2, 1, 0, 1)).unwrap();
        events.push(again);
        let violations = scan(&events, &captured_once());
        assert!(violations.contains(&(Invariant::NoUnitSoldTwice, 7)), "{violations:?}");
    }

    #[test]
    fn a_second_capture_or_one_without_confirmation_is_named() {
        let mut twice = sound_sale();
        twice.insert(4, twice[3].clone());
        twice[4].payload["capture_id"] = "cap_2".into();
        assert_eq!(scan(&twice, &captured_once()), [(Invariant::ConfirmedOrderCapturedOnce, 7)]);

        let unconfirmed: Vec<StoredEvent> = sound_sale().into_iter().take(4).collect();
        assert_eq!(
            scan(&unconfirmed, &captured_once()),
            [(Invariant::CaptureBelongsToAConfirmedOrder, 4), (Invariant::CaptureBelongsToAConfirmedOrder, 4)]
        );
    }

    #[test]
    fn a_gateway_capture_the_store_never_confirmed_is_named() {
        let settled = vec![Settled { idempotency_key: "o".into(), captures: 2 }];
        assert_eq!(scan(&sound_sale(), &settled), [(Invariant::ConfirmedOrderCapturedOnce, 6)]);
        let stray = vec![Settled { idempotency_key: "elsewhere".into(), captures: 1 }];
        assert_eq!(scan(&sound_sale(), &stray), [(Invariant::CaptureBelongsToAConfirmedOrder, 0)]);
    }
}
