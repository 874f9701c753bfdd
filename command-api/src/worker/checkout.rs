//! Checkout phase 2: a payment's result becomes the order's outcome and, when
//! captured, the sale of the held units — staged for the next batch commit.

use serde_json::json;
use tracing::error;

use cartcast_domain::order::{OrderCommand, PaymentResult};
use cartcast_domain::product::ProductCommand;
use cartcast_infra::envelope::{CommandEnvelope, Outcome};
use cartcast_infra::store::{EventKey, EventMetadata, StoreError, StoredEvent};

use super::decide::{Aggregates, PaymentRequest, order_refusal};

/// A checkout whose payment is in flight; its deliveries are answered when it settles.
pub struct Paying {
    pub envelope: CommandEnvelope,
    pub request: PaymentRequest,
    pub handles: Vec<Box<dyn cartcast_infra::bus::DeliveryHandle>>,
}

impl Aggregates {
    /// Record `result` on the order (and sell the units when captured).
    /// Returns the checkout's answer and all its events, phase 1 included.
    pub async fn settle_payment(
        &mut self,
        request: &PaymentRequest,
        result: PaymentResult,
        meta: &EventMetadata,
        staged: &mut Vec<StoredEvent>,
    ) -> Result<(Outcome, Vec<EventKey>), StoreError> {
        let mut events = request.events.clone();
        let order_id = &request.order_id;
        let record = OrderCommand::RecordPayment(result.clone());
        match self.orders.execute(order_id, record, meta, staged).await? {
            Err(e) => return Ok((order_refusal(&e), events)),
            Ok(keys) => events.extend(keys),
        }
        let outcome = match result {
            PaymentResult::Captured { capture_id } => {
                let product_id = request.reservation_id.product_id();
                let sell =
                    ProductCommand::Sell { reservation_id: request.reservation_id.clone(), order_id: order_id.clone() };
                match self.products.execute(product_id, sell, meta, staged).await? {
                    Ok(keys) => events.extend(keys),
                    // Expiry is held back while a payment is in flight, so the
                    // hold is still there; if not, the auditor must see it.
                    Err(e) => error!(order_id, error = %e, "captured payment found no hold to sell"),
                }
                Outcome::ok(
                    201,
                    json!({
                        "order_id": order_id,
                        "status": "confirmed",
                        "reservation_id": request.reservation_id,
                        "amount_minor": request.amount_minor,
                        "currency": request.currency,
                        "capture_id": capture_id,
                    }),
                )
            }
            PaymentResult::Declined { reason } => {
                refused_order(402, "payment_declined", format!("the card was declined ({reason})"), order_id)
            }
            PaymentResult::TimedOut => refused_order(
                504,
                "payment_timeout",
                "the payment gateway did not answer in time; nothing was charged and the order expired",
                order_id,
            ),
        };
        Ok((outcome, events))
    }
}

fn refused_order(status: u16, code: &str, message: impl std::fmt::Display, order_id: &str) -> Outcome {
    let mut outcome = Outcome::refused(status, code, message);
    outcome.body["error"]["order_id"] = json!(order_id);
    outcome
}
