//! What happened to an order.

use cqrs_es::DomainEvent;

use crate::ids::ReservationId;
use crate::money::Currency;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum OrderEvent {
    OrderPlaced {
        order_id: String,
        reservation_id: ReservationId,
        product_id: String,
        buyer: String,
        seller: String,
        quantity: u64,
        amount_minor: i64,
        currency: Currency,
    },
    PaymentCaptured {
        capture_id: String,
        amount_minor: i64,
    },
    OrderConfirmed,
    /// Version 2; version 1 named `decline_code` `reason` (see [`crate::versions`]).
    PaymentDeclined {
        /// The payment gateway's decline code, e.g. `card_declined`.
        decline_code: String,
    },
    OrderExpired {
        reason: String,
    },
}

impl DomainEvent for OrderEvent {
    fn event_type(&self) -> String {
        match self {
            OrderEvent::OrderPlaced { .. } => "OrderPlaced",
            OrderEvent::PaymentCaptured { .. } => "PaymentCaptured",
            OrderEvent::OrderConfirmed => "OrderConfirmed",
            OrderEvent::PaymentDeclined { .. } => "PaymentDeclined",
            OrderEvent::OrderExpired { .. } => "OrderExpired",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}
