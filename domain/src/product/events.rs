//! What happened to a product. Each event carries the stock it leaves behind,
//! so read models copy values instead of recomputing them.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;

use super::Stock;
use crate::ids::ReservationId;
use crate::money::Currency;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ProductEvent {
    ProductCreated {
        product_id: String,
        seller: String,
        sku: String,
        title: String,
        price_minor: i64,
        currency: Currency,
        stock: Stock,
    },
    StockAdded {
        added: u64,
        stock: Stock,
    },
    UnitsReserved {
        reservation_id: ReservationId,
        buyer: String,
        quantity: u64,
        expires_at: DateTime<Utc>,
        stock: Stock,
    },
    ReservationReleased {
        reservation_id: ReservationId,
        quantity: u64,
        stock: Stock,
    },
    ReservationExpired {
        reservation_id: ReservationId,
        quantity: u64,
        stock: Stock,
    },
    UnitsSold {
        reservation_id: ReservationId,
        order_id: String,
        quantity: u64,
        stock: Stock,
    },
}

impl ProductEvent {
    /// The stock after this event.
    pub fn stock(&self) -> Stock {
        match self {
            ProductEvent::ProductCreated { stock, .. }
            | ProductEvent::StockAdded { stock, .. }
            | ProductEvent::UnitsReserved { stock, .. }
            | ProductEvent::ReservationReleased { stock, .. }
            | ProductEvent::ReservationExpired { stock, .. }
            | ProductEvent::UnitsSold { stock, .. } => *stock,
        }
    }
}

impl DomainEvent for ProductEvent {
    fn event_type(&self) -> String {
        match self {
            ProductEvent::ProductCreated { .. } => "ProductCreated",
            ProductEvent::StockAdded { .. } => "StockAdded",
            ProductEvent::UnitsReserved { .. } => "UnitsReserved",
            ProductEvent::ReservationReleased { .. } => "ReservationReleased",
            ProductEvent::ReservationExpired { .. } => "ReservationExpired",
            ProductEvent::UnitsSold { .. } => "UnitsSold",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}
