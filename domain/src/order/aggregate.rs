//! The order aggregate: one placement, at most one capture, one final status.

use cqrs_es::Aggregate;

use super::{OrderCommand, OrderEvent, PaymentResult};
use crate::refusal::{DomainError, RefusalKind};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    #[default]
    New,
    Placed,
    Confirmed,
    Declined,
    Expired,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Placed => "placed",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Declined => "declined",
            OrderStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Order {
    pub order_id: String,
    pub status: OrderStatus,
    pub amount_minor: i64,
    /// ISO code of `amount_minor`'s currency (empty before placement).
    pub currency: String,
    pub capture_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    #[error("order already placed")]
    AlreadyPlaced,
    #[error("order not found")]
    NotFound,
    #[error("order already {0}")]
    AlreadySettled(&'static str),
}

impl DomainError for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::AlreadyPlaced => "order_exists",
            OrderError::NotFound => "order_not_found",
            OrderError::AlreadySettled(_) => "order_settled",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            OrderError::NotFound => RefusalKind::NotFound,
            OrderError::AlreadyPlaced | OrderError::AlreadySettled(_) => RefusalKind::Conflict,
        }
    }
}

impl Order {
    fn decide(&self, command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        match command {
            OrderCommand::Place {
                order_id,
                reservation_id,
                product_id,
                buyer,
                seller,
                quantity,
                amount_minor,
                currency,
            } => {
                if self.status != OrderStatus::New {
                    return Err(OrderError::AlreadyPlaced);
                }
                Ok(vec![OrderEvent::OrderPlaced {
                    order_id,
                    reservation_id,
                    product_id,
                    buyer,
                    seller,
                    quantity,
                    amount_minor,
                    currency,
                }])
            }
            OrderCommand::RecordPayment(result) => {
                match self.status {
                    OrderStatus::New => return Err(OrderError::NotFound),
                    OrderStatus::Placed => {}
                    settled => return Err(OrderError::AlreadySettled(settled.as_str())),
                }
                Ok(match result {
                    PaymentResult::Captured { capture_id } => vec![
                        OrderEvent::PaymentCaptured { capture_id, amount_minor: self.amount_minor },
                        OrderEvent::OrderConfirmed,
                    ],
                    PaymentResult::Declined { reason } => vec![OrderEvent::PaymentDeclined { decline_code: reason }],
                    PaymentResult::TimedOut => vec![OrderEvent::OrderExpired {
                        reason: "the payment gateway did not answer in time; nothing was charged".to_owned(),
                    }],
                })
            }
        }
    }
}

impl Aggregate for Order {
    const TYPE: &'static str = "Order";
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            OrderEvent::OrderPlaced { order_id, amount_minor, currency, .. } => {
                self.order_id = order_id;
                self.amount_minor = amount_minor;
                self.currency = currency.as_str().to_owned();
                self.status = OrderStatus::Placed;
            }
            OrderEvent::PaymentCaptured { capture_id, .. } => self.capture_id = Some(capture_id),
            OrderEvent::OrderConfirmed => self.status = OrderStatus::Confirmed,
            OrderEvent::PaymentDeclined { .. } => self.status = OrderStatus::Declined,
            OrderEvent::OrderExpired { .. } => self.status = OrderStatus::Expired,
        }
    }
}
