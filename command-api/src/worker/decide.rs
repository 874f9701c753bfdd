//! Turns one application command into aggregate commands against the hot
//! state of its partition, and into the answer its caller gets: events staged
//! for the batch's commit, or a refusal with the API's status and code.

use chrono::{DateTime, Utc};
use serde_json::json;

use cartcast_domain::channel::{Channel, ChannelCommand, ChannelError};
use cartcast_domain::ids::ReservationId;
use cartcast_domain::money::Currency;
use cartcast_domain::order::{Order, OrderCommand, OrderError, OrderStatus};
use cartcast_domain::product::{Product, ProductCommand, ProductError};
use cartcast_domain::show::{Show, ShowCommand, ShowError};
use cartcast_infra::envelope::{AppCommand, CommandEnvelope, Outcome};
use cartcast_infra::store::{EventKey, EventMetadata, EventStore, StoreError, StoredEvent};

use super::hot::HotSet;

/// What deciding a command came to.
pub enum Decision {
    /// Answered now: a refusal (no events) or a success with its events staged.
    Done { outcome: Outcome, events: Vec<EventKey> },
    /// A checkout whose order was placed (events staged); its payment runs after the commit.
    Pay(PaymentRequest),
}

/// A checkout waiting for its payment, carried from phase 1 to phase 2.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub order_id: String,
    pub reservation_id: ReservationId,
    pub card: String,
    pub amount_minor: i64,
    pub currency: String,
    /// Events of the command so far (the order placement).
    pub events: Vec<EventKey>,
}

/// The hot aggregates of one partition.
pub struct Aggregates {
    pub products: HotSet<Product>,
    pub orders: HotSet<Order>,
    pub shows: HotSet<Show>,
    pub channels: HotSet<Channel>,
}

impl Aggregates {
    pub fn new(store: std::sync::Arc<dyn EventStore>) -> Self {
        Self {
            products: HotSet::new(store.clone()),
            orders: HotSet::new(store.clone()),
            shows: HotSet::new(store.clone()),
            channels: HotSet::new(store),
        }
    }

    /// Forget all hot state (after a failed commit).
    pub fn clear(&mut self) {
        self.products.clear();
        self.orders.clear();
        self.shows.clear();
        self.channels.clear();
    }

    /// Decide `envelope` at `now`. Staged events go to `staged`.
    pub async fn decide(
        &mut self,
        envelope: &CommandEnvelope,
        now: DateTime<Utc>,
        hold_for: chrono::Duration,
        staged: &mut Vec<StoredEvent>,
    ) -> Result<Decision, StoreError> {
        let meta = metadata(envelope, now);
        let actor = envelope.actor.sub.clone();
        let done = |outcome: Outcome, events: Vec<EventKey>| Ok(Decision::Done { outcome, events });
        match envelope.command.clone() {
            AppCommand::CreateProduct { product_id, sku, title, price_minor, currency, stock } => {
                let currency = match Currency::parse(&currency) {
                    Ok(c) => c,
                    Err(e) => return done(Outcome::refused(422, "invalid_input", format!("currency: {e}")), vec![]),
                };
                let command = ProductCommand::Create {
                    product_id: product_id.clone(),
                    seller: actor,
                    sku,
                    title,
                    price_minor,
                    currency,
                    stock,
                };
                match self.products.execute(&product_id, command, &meta, staged).await? {
                    Err(e) => done(product_refusal(&e), vec![]),
                    Ok(events) => done(Outcome::ok(201, product_body(self.products.get(&product_id).await?)), events),
                }
            }
            AppCommand::AddStock { product_id, add } => {
                match self.products.execute(&product_id, ProductCommand::AddStock { actor, add }, &meta, staged).await?
                {
                    Err(e) => done(product_refusal(&e), vec![]),
                    Ok(events) => done(Outcome::ok(200, product_body(self.products.get(&product_id).await?)), events),
                }
            }
            AppCommand::Reserve { product_id, quantity } => {
                let command = ProductCommand::Reserve { buyer: actor, quantity, now, hold_for };
                match self.products.execute(&product_id, command, &meta, staged).await? {
                    Err(e) => done(product_refusal(&e), vec![]),
                    Ok(events) => {
                        let product = self.products.get(&product_id).await?;
                        let number = product.holds_taken;
                        let reservation_id = ReservationId::new(&product_id, number).to_string();
                        let hold = &product.holds[&reservation_id];
                        let body = json!({
                            "reservation_id": reservation_id,
                            "product_id": product_id,
                            "quantity": hold.quantity,
                            "expires_at": hold.expires_at,
                        });
                        done(Outcome::ok(201, body), events)
                    }
                }
            }
            AppCommand::Release { reservation_id } => {
                let product_id = reservation_id.product_id().to_owned();
                let command = ProductCommand::Release { buyer: actor, reservation_id: reservation_id.clone() };
                match self.products.execute(&product_id, command, &meta, staged).await? {
                    Err(e) => done(product_refusal(&e), vec![]),
                    Ok(events) => {
                        let stock = self.products.get(&product_id).await?.stock;
                        let body = json!({"reservation_id": reservation_id, "status": "released", "product_id": product_id, "stock": stock});
                        done(Outcome::ok(200, body), events)
                    }
                }
            }
            AppCommand::Checkout { reservation_id, card } => {
                self.place_order(envelope, reservation_id, card, now, &meta, staged).await
            }
            AppCommand::CreateShow { show_id, title, scheduled_at, product_ids } => {
                let mut events = Vec::new();
                if self.channels.get(&actor).await?.channel_id.is_none() {
                    let open = ChannelCommand::Open {
                        channel_id: actor.clone(),
                        owner: actor.clone(),
                        stream_key: new_stream_key(),
                    };
                    match self.channels.execute(&actor, open, &meta, staged).await? {
                        Err(e) => return done(channel_refusal(&e), vec![]),
                        Ok(keys) => events.extend(keys),
                    }
                }
                let schedule = ShowCommand::Schedule {
                    show_id: show_id.clone(),
                    creator: actor.clone(),
                    title: title.clone(),
                    scheduled_at,
                    product_ids,
                };
                match self.shows.execute(&show_id, schedule, &meta, staged).await? {
                    // The channel opening (if any) is staged; it stands on its own.
                    Err(e) => done(show_refusal(&e), events),
                    Ok(keys) => {
                        events.extend(keys);
                        let stream_key = self.channels.get(&actor).await?.stream_key.clone();
                        let body = json!({"show_id": show_id, "title": title, "status": "scheduled", "stream_key": stream_key});
                        done(Outcome::ok(201, body), events)
                    }
                }
            }
            AppCommand::PinProduct { show_id, product_id } => {
                let body = json!({"show_id": show_id, "pinned_product_id": product_id});
                let command = ShowCommand::Pin { actor, product_id };
                self.show_command(&show_id, command, &meta, staged, 200, body).await
            }
            AppCommand::GoLive { show_id } => {
                let body = json!({"show_id": show_id, "status": "live"});
                self.show_command(&show_id, ShowCommand::GoLive { at: envelope.received_at }, &meta, staged, 200, body)
                    .await
            }
            AppCommand::EndShow { show_id } => {
                let body = json!({"show_id": show_id, "status": "ended"});
                self.show_command(&show_id, ShowCommand::End { at: envelope.received_at }, &meta, staged, 200, body)
                    .await
            }
            AppCommand::RequestClip { show_id, clip_id, seconds } => {
                let body = json!({"clip_id": clip_id, "show_id": show_id, "seconds": seconds, "status": "processing"});
                let command = ShowCommand::RequestClip { clip_id, actor, seconds };
                self.show_command(&show_id, command, &meta, staged, 202, body).await
            }
            AppCommand::FinishClip { show_id, clip_id, outcome } => {
                let body = json!({"clip_id": clip_id});
                let command = ShowCommand::FinishClip { clip_id, outcome };
                self.show_command(&show_id, command, &meta, staged, 200, body).await
            }
            AppCommand::ReportStreamHealth { show_id, health } => {
                let body = json!({"show_id": show_id});
                self.show_command(&show_id, ShowCommand::ReportStreamHealth { health }, &meta, staged, 200, body).await
            }
            AppCommand::CountViewers { show_id, connected, watching } => {
                let body = json!({"show_id": show_id, "connected": connected, "watching": watching});
                let command = ShowCommand::CountViewers { connected, watching };
                self.show_command(&show_id, command, &meta, staged, 200, body).await
            }
            AppCommand::RegenerateStreamKey => {
                let command = ChannelCommand::RegenerateKey { actor: actor.clone(), stream_key: new_stream_key() };
                match self.channels.execute(&actor, command, &meta, staged).await? {
                    Err(e) => done(channel_refusal(&e), vec![]),
                    Ok(events) => {
                        let stream_key = self.channels.get(&actor).await?.stream_key.clone();
                        done(Outcome::ok(200, json!({"channel_id": actor, "stream_key": stream_key})), events)
                    }
                }
            }
        }
    }

    /// A show command whose answer does not depend on the show after it:
    /// `status` and `body` when decided, the show's refusal when not.
    async fn show_command(
        &mut self,
        show_id: &str,
        command: ShowCommand,
        meta: &EventMetadata,
        staged: &mut Vec<StoredEvent>,
        status: u16,
        body: serde_json::Value,
    ) -> Result<Decision, StoreError> {
        let (outcome, events) = match self.shows.execute(show_id, command, meta, staged).await? {
            Err(e) => (show_refusal(&e), vec![]),
            Ok(events) => (Outcome::ok(status, body), events),
        };
        Ok(Decision::Done { outcome, events })
    }

    /// Checkout phase 1: the hold must be live and the buyer's; the order is
    /// placed (id derived from the command, so a redelivery finds it) and the
    /// payment is requested after the commit.
    async fn place_order(
        &mut self,
        envelope: &CommandEnvelope,
        reservation_id: ReservationId,
        card: String,
        now: DateTime<Utc>,
        meta: &EventMetadata,
        staged: &mut Vec<StoredEvent>,
    ) -> Result<Decision, StoreError> {
        let order_id = envelope.derived_id("order").to_string();
        let product_id = reservation_id.product_id().to_owned();
        // A redelivered checkout whose order was placed before a crash resumes its payment.
        let order = self.orders.get(&order_id).await?;
        if order.status == OrderStatus::Placed {
            let (amount_minor, currency) = (order.amount_minor, order.currency.clone());
            return Ok(Decision::Pay(PaymentRequest {
                order_id,
                reservation_id,
                card,
                amount_minor,
                currency,
                events: vec![],
            }));
        }
        let product = self.products.get(&product_id).await?;
        let hold = match product.live_hold(&reservation_id, &envelope.actor.sub, now) {
            Ok(hold) => hold.clone(),
            Err(e) => return Ok(Decision::Done { outcome: product_refusal(&e), events: vec![] }),
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
        match self.orders.execute(&order_id, place, meta, staged).await? {
            Err(e) => Ok(Decision::Done { outcome: order_refusal(&e), events: vec![] }),
            Ok(events) => Ok(Decision::Pay(PaymentRequest {
                order_id,
                reservation_id,
                card,
                amount_minor,
                currency: currency.as_str().to_owned(),
                events,
            })),
        }
    }
}

/// Event metadata for everything `envelope` causes.
pub fn metadata(envelope: &CommandEnvelope, now: DateTime<Utc>) -> EventMetadata {
    EventMetadata {
        event_id: uuid::Uuid::now_v7(),
        command_id: envelope.command_id,
        correlation_id: envelope.correlation_id,
        causation_id: envelope.command_id,
        actor: envelope.actor.sub.clone(),
        occurred_at: now,
    }
}

/// 256 bits from the OS RNG, hex: the RTMP stream name that authenticates a publisher.
fn new_stream_key() -> String {
    format!("sk_{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

pub fn product_body(product: &Product) -> serde_json::Value {
    json!({
        "product_id": product.product_id,
        "seller": product.seller,
        "sku": product.sku,
        "title": product.title,
        "price_minor": product.price_minor,
        "currency": product.currency.as_ref().map(Currency::as_str),
        "stock": product.stock,
    })
}

pub fn product_refusal(e: &ProductError) -> Outcome {
    let status = match e {
        ProductError::AlreadyExists | ProductError::SoldOut { .. } => 409,
        ProductError::NotFound | ProductError::UnknownReservation => 404,
        ProductError::NotSeller | ProductError::NotHolder => 403,
        ProductError::Invalid { .. } => 422,
        ProductError::ReservationExpired { .. } | ProductError::ReservationReleased => 410,
        ProductError::ReservationSold { .. } => 409,
    };
    Outcome::refused(status, e.code(), e)
}

pub fn order_refusal(e: &OrderError) -> Outcome {
    let status = match e {
        OrderError::NotFound => 404,
        OrderError::AlreadyPlaced | OrderError::AlreadySettled(_) => 409,
    };
    Outcome::refused(status, e.code(), e)
}

fn show_refusal(e: &ShowError) -> Outcome {
    let status = match e {
        ShowError::AlreadyExists | ShowError::WrongStatus(_) => 409,
        ShowError::NotFound => 404,
        ShowError::NotCreator => 403,
        ShowError::Invalid { .. } => 422,
    };
    Outcome::refused(status, e.code(), e)
}

fn channel_refusal(e: &ChannelError) -> Outcome {
    let status = match e {
        ChannelError::AlreadyExists => 409,
        ChannelError::NotFound => 404,
        ChannelError::NotOwner => 403,
        ChannelError::WeakKey => 422,
    };
    Outcome::refused(status, e.code(), e)
}
