//! Given/when/then tests for the product aggregate, with the fixtures they share.

mod add_stock;
mod create;
mod holds;
mod reserve;
mod stock_invariant;

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::TestFramework;

use super::{Product, ProductCommand, ProductEvent, Stock};
use crate::ids::ReservationId;
use crate::money::Currency;

type ProductTestFramework = TestFramework<Product>;

const PRODUCT: &str = "p-1";
const SELLER: &str = "seller-1";
const BUYER: &str = "buyer-1";
const OTHER_BUYER: &str = "buyer-2";
/// Most units one stock change may carry, as the aggregate enforces it.
const MAX_UNITS: u64 = 1_000_000_000;

/// `secs` seconds after a fixed instant; tests never read the clock.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000 + secs, 0).expect("a representable instant")
}

fn hold_for() -> Duration {
    Duration::minutes(5)
}

fn stock(total: u64, available: u64, reserved: u64, sold: u64) -> Stock {
    Stock { total, available, reserved, sold }
}

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR is an ISO 4217 code")
}

fn reservation(number: u64) -> ReservationId {
    ReservationId::new(PRODUCT, number)
}

fn create(units: u64) -> ProductCommand {
    ProductCommand::Create {
        product_id: PRODUCT.to_owned(),
        seller: SELLER.to_owned(),
        sku: "MUG-01".to_owned(),
        title: "Ceramic mug".to_owned(),
        price_minor: 1_500,
        currency: eur(),
        stock: units,
    }
}

fn created(units: u64) -> ProductEvent {
    ProductEvent::ProductCreated {
        product_id: PRODUCT.to_owned(),
        seller: SELLER.to_owned(),
        sku: "MUG-01".to_owned(),
        title: "Ceramic mug".to_owned(),
        price_minor: 1_500,
        currency: eur(),
        stock: stock(units, units, 0, 0),
    }
}

fn reserve(buyer: &str, quantity: u64, now: i64) -> ProductCommand {
    ProductCommand::Reserve { buyer: buyer.to_owned(), quantity, now: at(now), hold_for: hold_for() }
}

/// The `number`-th hold, taken at `now` for [`hold_for`], leaving `after`.
fn reserved(number: u64, buyer: &str, quantity: u64, now: i64, after: Stock) -> ProductEvent {
    ProductEvent::UnitsReserved {
        reservation_id: reservation(number),
        buyer: buyer.to_owned(),
        quantity,
        expires_at: at(now) + hold_for(),
        stock: after,
    }
}

#[test]
fn test_events_are_tagged_with_their_event_type() {
    use cqrs_es::DomainEvent;

    let events = vec![
        created(10),
        ProductEvent::StockAdded { added: 5, stock: stock(15, 15, 0, 0) },
        reserved(1, BUYER, 2, 0, stock(15, 13, 2, 0)),
        ProductEvent::ReservationReleased { reservation_id: reservation(1), quantity: 2, stock: stock(15, 15, 0, 0) },
        ProductEvent::ReservationExpired { reservation_id: reservation(2), quantity: 1, stock: stock(15, 15, 0, 0) },
        ProductEvent::UnitsSold {
            reservation_id: reservation(3),
            order_id: "o-1".to_owned(),
            quantity: 1,
            stock: stock(15, 14, 0, 1),
        },
    ];
    for event in events {
        let json = serde_json::to_value(&event).expect("events serialize");
        assert_eq!(json["type"], event.event_type());
        assert_eq!(serde_json::from_value::<ProductEvent>(json).expect("events deserialize"), event);
    }
}
