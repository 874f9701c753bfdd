//! What can be asked of a product. Times are passed in by the worker.

use chrono::{DateTime, Utc};

use crate::ids::ReservationId;
use crate::money::Currency;

#[derive(Debug, Clone, PartialEq)]
pub enum ProductCommand {
    Create {
        product_id: String,
        seller: String,
        sku: String,
        title: String,
        price_minor: i64,
        currency: Currency,
        stock: u64,
    },
    AddStock {
        actor: String,
        add: u64,
    },
    /// Hold `quantity` units for `buyer` until `now + hold_for`.
    Reserve {
        buyer: String,
        quantity: u64,
        now: DateTime<Utc>,
        hold_for: chrono::Duration,
    },
    /// The buyer gives the units back.
    Release {
        buyer: String,
        reservation_id: ReservationId,
    },
    /// Release every hold whose deadline is at or before `now`.
    ExpireHolds {
        now: DateTime<Utc>,
    },
    /// Turn a hold into a sale once its order's payment was captured.
    Sell {
        reservation_id: ReservationId,
        order_id: String,
    },
}
