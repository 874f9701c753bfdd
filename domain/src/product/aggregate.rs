//! The product aggregate: decides stock commands against the current holds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;

use super::{ProductCommand, ProductEvent};
use crate::ids::{MAX_PRODUCT_ID_LEN, ReservationId};
use crate::money::Currency;
use crate::refusal::{DomainError, RefusalKind};

/// The four stock counters; `available + reserved + sold = total` always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stock {
    pub total: u64,
    pub available: u64,
    pub reserved: u64,
    pub sold: u64,
}

impl Stock {
    pub fn is_consistent(&self) -> bool {
        self.available + self.reserved + self.sold == self.total
    }
}

/// Units held for one buyer until a deadline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hold {
    pub buyer: String,
    pub quantity: u64,
    pub expires_at: DateTime<Utc>,
}

/// Most units a single stock change may carry; keeps counters far from overflow.
const MAX_UNITS: u64 = 1_000_000_000;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Product {
    pub product_id: Option<String>,
    pub seller: String,
    pub sku: String,
    pub title: String,
    pub price_minor: i64,
    pub currency: Option<Currency>,
    pub stock: Stock,
    /// Active holds by reservation id; a hold leaves when released, expired or sold.
    pub holds: BTreeMap<String, Hold>,
    /// Holds ever taken; numbers the next reservation id.
    pub holds_taken: u64,
    /// How each hold that left `holds` ended, so a late checkout is told why.
    #[serde(default)]
    pub ended: BTreeMap<String, EndedHold>,
}

/// A hold that is no longer live, and how it ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndedHold {
    pub buyer: String,
    pub end: HoldEnd,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum HoldEnd {
    Released,
    Expired { expires_at: DateTime<Utc> },
    Sold { order_id: String },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProductError {
    #[error("product already exists")]
    AlreadyExists,
    #[error("product not found")]
    NotFound,
    #[error("only the product's seller may do this")]
    NotSeller,
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
    #[error("only {available} units available")]
    SoldOut { available: u64 },
    #[error("reservation not found")]
    UnknownReservation,
    #[error("the reservation belongs to another buyer")]
    NotHolder,
    #[error("the reservation expired at {expires_at}")]
    ReservationExpired { expires_at: DateTime<Utc> },
    #[error("the reservation was released")]
    ReservationReleased,
    #[error("the reservation was already checked out (order {order_id})")]
    ReservationSold { order_id: String },
}

impl DomainError for ProductError {
    fn code(&self) -> &'static str {
        match self {
            ProductError::AlreadyExists => "already_exists",
            ProductError::NotFound => "product_not_found",
            ProductError::NotSeller => "not_seller",
            ProductError::Invalid { .. } => "invalid_input",
            ProductError::SoldOut { .. } => "sold_out",
            ProductError::UnknownReservation => "reservation_not_found",
            ProductError::NotHolder => "not_holder",
            ProductError::ReservationExpired { .. } => "reservation_expired",
            ProductError::ReservationReleased => "reservation_released",
            ProductError::ReservationSold { .. } => "reservation_sold",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            ProductError::AlreadyExists | ProductError::SoldOut { .. } | ProductError::ReservationSold { .. } => {
                RefusalKind::Conflict
            }
            ProductError::NotFound | ProductError::UnknownReservation => RefusalKind::NotFound,
            ProductError::NotSeller | ProductError::NotHolder => RefusalKind::NotAllowed,
            ProductError::Invalid { .. } => RefusalKind::Invalid,
            ProductError::ReservationExpired { .. } | ProductError::ReservationReleased => RefusalKind::Gone,
        }
    }
}

impl Product {
    fn exists(&self) -> Result<&str, ProductError> {
        self.product_id.as_deref().ok_or(ProductError::NotFound)
    }

    /// The hold `reservation_id` if `buyer` holds it and it is still live at `now`.
    pub fn live_hold(
        &self,
        reservation_id: &ReservationId,
        buyer: &str,
        now: DateTime<Utc>,
    ) -> Result<&Hold, ProductError> {
        self.exists()?;
        let key = reservation_id.to_string();
        let Some(hold) = self.holds.get(&key) else {
            let ended = self.ended.get(&key).ok_or(ProductError::UnknownReservation)?;
            if ended.buyer != buyer {
                return Err(ProductError::NotHolder);
            }
            return Err(match &ended.end {
                HoldEnd::Released => ProductError::ReservationReleased,
                HoldEnd::Expired { expires_at } => ProductError::ReservationExpired { expires_at: *expires_at },
                HoldEnd::Sold { order_id } => ProductError::ReservationSold { order_id: order_id.clone() },
            });
        };
        if hold.buyer != buyer {
            return Err(ProductError::NotHolder);
        }
        if hold.expires_at <= now {
            return Err(ProductError::ReservationExpired { expires_at: hold.expires_at });
        }
        Ok(hold)
    }

    fn end_hold(&mut self, reservation_id: &ReservationId, end: HoldEnd) {
        let key = reservation_id.to_string();
        if let Some(hold) = self.holds.remove(&key) {
            self.ended.insert(key, EndedHold { buyer: hold.buyer, end });
        }
    }

    /// The earliest hold deadline, for the worker's timer.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.holds.values().map(|h| h.expires_at).min()
    }

    fn decide(&self, command: ProductCommand) -> Result<Vec<ProductEvent>, ProductError> {
        let mut stock = self.stock;
        match command {
            ProductCommand::Create { product_id, seller, sku, title, price_minor, currency, stock: units } => {
                if self.product_id.is_some() {
                    return Err(ProductError::AlreadyExists);
                }
                if product_id.is_empty() || product_id.len() > MAX_PRODUCT_ID_LEN {
                    return Err(ProductError::Invalid { field: "product_id", reason: "must be 1 to 64 bytes" });
                }
                check_text("sku", &sku, 64)?;
                check_text("title", &title, 200)?;
                if price_minor < 0 {
                    return Err(ProductError::Invalid { field: "price_minor", reason: "must not be negative" });
                }
                check_units("stock", units, false)?;
                stock.total = units;
                stock.available = units;
                Ok(vec![ProductEvent::ProductCreated { product_id, seller, sku, title, price_minor, currency, stock }])
            }
            ProductCommand::AddStock { actor, add } => {
                self.exists()?;
                if actor != self.seller {
                    return Err(ProductError::NotSeller);
                }
                check_units("add", add, true)?;
                if stock.total + add > MAX_UNITS {
                    return Err(ProductError::Invalid { field: "add", reason: "total stock would exceed 1000000000" });
                }
                stock.total += add;
                stock.available += add;
                Ok(vec![ProductEvent::StockAdded { added: add, stock }])
            }
            ProductCommand::Reserve { buyer, quantity, now, hold_for } => {
                let product_id = self.exists()?;
                check_units("quantity", quantity, true)?;
                if quantity > stock.available {
                    return Err(ProductError::SoldOut { available: stock.available });
                }
                stock.available -= quantity;
                stock.reserved += quantity;
                Ok(vec![ProductEvent::UnitsReserved {
                    reservation_id: ReservationId::new(product_id, self.holds_taken + 1),
                    buyer,
                    quantity,
                    expires_at: now + hold_for,
                    stock,
                }])
            }
            ProductCommand::Release { buyer, reservation_id } => {
                self.exists()?;
                let hold = self.holds.get(&reservation_id.to_string()).ok_or(ProductError::UnknownReservation)?;
                if hold.buyer != buyer {
                    return Err(ProductError::NotHolder);
                }
                stock.available += hold.quantity;
                stock.reserved -= hold.quantity;
                Ok(vec![ProductEvent::ReservationReleased { reservation_id, quantity: hold.quantity, stock }])
            }
            ProductCommand::ExpireHolds { now } => {
                self.exists()?;
                let mut events = Vec::new();
                for (id, hold) in self.holds.iter().filter(|(_, h)| h.expires_at <= now) {
                    stock.available += hold.quantity;
                    stock.reserved -= hold.quantity;
                    let reservation_id = id.parse().expect("hold keys are reservation ids");
                    events.push(ProductEvent::ReservationExpired { reservation_id, quantity: hold.quantity, stock });
                }
                Ok(events)
            }
            ProductCommand::Sell { reservation_id, order_id } => {
                self.exists()?;
                let hold = self.holds.get(&reservation_id.to_string()).ok_or(ProductError::UnknownReservation)?;
                stock.reserved -= hold.quantity;
                stock.sold += hold.quantity;
                Ok(vec![ProductEvent::UnitsSold { reservation_id, order_id, quantity: hold.quantity, stock }])
            }
        }
    }
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ProductError> {
    if value.trim().is_empty() {
        return Err(ProductError::Invalid { field, reason: "must not be empty" });
    }
    if value.chars().count() > max {
        return Err(ProductError::Invalid { field, reason: "too long" });
    }
    Ok(())
}

fn check_units(field: &'static str, units: u64, positive: bool) -> Result<(), ProductError> {
    if positive && units == 0 {
        return Err(ProductError::Invalid { field, reason: "must be at least 1" });
    }
    if units > MAX_UNITS {
        return Err(ProductError::Invalid { field, reason: "must be at most 1000000000" });
    }
    Ok(())
}

impl Aggregate for Product {
    const TYPE: &'static str = "Product";
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        self.stock = event.stock();
        match event {
            ProductEvent::ProductCreated { product_id, seller, sku, title, price_minor, currency, .. } => {
                self.product_id = Some(product_id);
                self.seller = seller;
                self.sku = sku;
                self.title = title;
                self.price_minor = price_minor;
                self.currency = Some(currency);
            }
            ProductEvent::StockAdded { .. } => {}
            ProductEvent::UnitsReserved { reservation_id, buyer, quantity, expires_at, .. } => {
                self.holds_taken += 1;
                self.holds.insert(reservation_id.to_string(), Hold { buyer, quantity, expires_at });
            }
            ProductEvent::ReservationReleased { reservation_id, .. } => {
                self.end_hold(&reservation_id, HoldEnd::Released)
            }
            ProductEvent::ReservationExpired { reservation_id, .. } => {
                let expires_at = self.holds.get(&reservation_id.to_string()).map(|h| h.expires_at);
                if let Some(expires_at) = expires_at {
                    self.end_hold(&reservation_id, HoldEnd::Expired { expires_at });
                }
            }
            ProductEvent::UnitsSold { reservation_id, order_id, .. } => {
                self.end_hold(&reservation_id, HoldEnd::Sold { order_id })
            }
        }
    }
}
