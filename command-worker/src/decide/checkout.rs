//! Checkout, in two phases around the payment: phase 1 places the order for
//! a live hold (its payment runs after the commit, outside the loop); phase 2
//! records the payment's result on the order and, when captured, sells the
//! held units — staged for the next batch's commit.

use tracing::error;

use cartcast_domain::ids::ReservationId;
use cartcast_domain::order::{OrderCommand, OrderStatus, PaymentResult};
use cartcast_domain::product::ProductCommand;
use cartcast_infra::bus::DeliveryHandle;
use cartcast_infra::envelope::CommandEnvelope;
use cartcast_infra::outcome::{Answer, OrderConfirmed, Outcome, Refusal};
use cartcast_infra::store::{EventKey, EventMetadata, StoreError, StoredEvent};

use super::{Aggregates, Deciding, Decision, PaymentRequest};

/// A checkout whose payment is in flight; its deliveries are answered when it settles.
pub struct Paying {
    pub envelope: CommandEnvelope,
    pub request: PaymentRequest,
    pub handles: Vec<Box<dyn DeliveryHandle>>,
}

impl Aggregates {
    /// Phase 1: the hold must be live and the buyer's; the order is placed
    /// (its id derived from the command, so a redelivery finds it) and the
    /// payment is requested after the commit.
    pub(super) async fn place_order(
        &mut self,
        at: &mut Deciding<'_>,
        reservation_id: ReservationId,
        card: String,
    ) -> Result<Decision, StoreError> {
        let envelope = at.envelope;
        let order_id = envelope.derived_id("order").to_string();
        let product_id = reservation_id.product_id().to_owned();
        // A redelivered checkout whose order was placed before a crash resumes its payment.
        let order = self.orders.get(&order_id).await?;
        if order.status == OrderStatus::Placed {
            let (amount_minor, currency) = (order.amount_minor, order.currency.clone());
            let request = PaymentRequest { order_id, reservation_id, card, amount_minor, currency, events: vec![] };
            return Ok(Decision::Pay(request));
        }
        let product = self.products.get(&product_id).await?;
        let hold = match product.live_hold(&reservation_id, &envelope.actor.sub, at.now) {
            Ok(hold) => hold.clone(),
            Err(e) => return Ok(Decision::refused(&e, vec![])),
        };
        let currency = product.currency.clone().expect("a live hold's product exists");
        let amount_minor = product.price_minor * hold.quantity as i64;
        let place = OrderCommand::Place {
            order_id: order_id.clone(),
            reservation_id: reservation_id.clone(),
            product_id,
            buyer: envelope.actor.sub.clone(),
            seller: product.seller.clone(),
            quantity: hold.quantity,
            amount_minor,
            currency: currency.clone(),
        };
        Ok(match self.orders.execute(&order_id, place, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => Decision::Pay(PaymentRequest {
                order_id,
                reservation_id,
                card,
                amount_minor,
                currency: currency.as_str().to_owned(),
                events,
            }),
        })
    }

    /// Phase 2: record `result` on the order (and sell the units when
    /// captured). Returns the checkout's outcome and all its events, phase 1 included.
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
            Err(e) => return Ok((Outcome::refusal(Refusal::of(&e)), events)),
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
                Outcome::answer(Answer::OrderConfirmed(OrderConfirmed {
                    order_id: order_id.clone(),
                    status: "confirmed".to_owned(),
                    reservation_id: request.reservation_id.to_string(),
                    amount_minor: request.amount_minor,
                    currency: request.currency.clone(),
                    capture_id,
                }))
            }
            PaymentResult::Declined { reason } => Outcome::refusal(Refusal::payment_declined(order_id, &reason)),
            PaymentResult::TimedOut => Outcome::refusal(Refusal::payment_timed_out(order_id)),
        };
        Ok((outcome, events))
    }
}
