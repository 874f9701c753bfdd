//! What can be asked of an order. Payment results come from the gateway via
//! the worker; the domain only records and judges them.

use crate::ids::ReservationId;
use crate::money::Currency;

#[derive(Debug, Clone, PartialEq)]
pub enum OrderCommand {
    Place {
        order_id: String,
        reservation_id: ReservationId,
        product_id: String,
        buyer: String,
        seller: String,
        quantity: u64,
        amount_minor: i64,
        currency: Currency,
    },
    RecordPayment(PaymentResult),
}

/// What the payment gateway answered for this order's charge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PaymentResult {
    Captured { capture_id: String },
    Declined { reason: String },
    TimedOut,
}
