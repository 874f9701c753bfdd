//! Turns one application command into commands of the aggregates it concerns,
//! decided against the hot state of the partition: events staged for the
//! batch's commit, and the outcome its caller gets — a typed answer, or the
//! domain's refusal. One file per aggregate family (products, checkout,
//! shows, live stats, channels and their handles, follows, moderation,
//! polls); this one dispatches.

mod channel;
mod checkout;
mod follows;
mod live_stats;
mod moderation;
mod polls;
mod product;
mod show;

use live_stats::Sample;
use polls::Question;

use chrono::{DateTime, Utc};

use cartcast_domain::channel::Channel;
use cartcast_domain::follow::Follows;
use cartcast_domain::handle::Handle;
use cartcast_domain::ids::ReservationId;
use cartcast_domain::live_stats::LiveStats;
use cartcast_domain::moderation::Moderation;
use cartcast_domain::order::Order;
use cartcast_domain::poll::Polls;
use cartcast_domain::product::Product;
use cartcast_domain::refusal::DomainError;
use cartcast_domain::show::{Show, ShowCommand};
use cartcast_infra::envelope::{AppCommand, CommandEnvelope};
use cartcast_infra::outcome::{Answer, Outcome, Refusal};
use cartcast_infra::store::{EventKey, EventMetadata, EventStore, StoreError, StoredEvent};

use crate::hot::HotSet;

pub use checkout::Paying;

/// What deciding a command came to.
pub enum Decision {
    /// Answered now: a refusal (no events) or a success with its events staged.
    Done { outcome: Outcome, events: Vec<EventKey> },
    /// A checkout whose order was placed (events staged); its payment runs after the commit.
    Pay(PaymentRequest),
}

impl Decision {
    fn answer(answer: Answer, events: Vec<EventKey>) -> Self {
        Decision::Done { outcome: Outcome::answer(answer), events }
    }

    /// `answer` when the aggregate took the command, its refusal when not.
    fn taken(executed: Result<Vec<EventKey>, impl DomainError>, answer: Answer) -> Self {
        match executed {
            Ok(events) => Decision::answer(answer, events),
            Err(e) => Decision::refused(&e, vec![]),
        }
    }

    /// Refused: nothing of this command is committed but `events` staged before the refusal.
    fn refused(error: &impl DomainError, events: Vec<EventKey>) -> Self {
        Decision::Done { outcome: Outcome::refusal(Refusal::of(error)), events }
    }
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
    pub live_stats: HotSet<LiveStats>,
    pub channels: HotSet<Channel>,
    /// Shared by every partition (any channel may claim any handle), so read
    /// fresh for each batch: see [`Aggregates::begin_batch`].
    pub handles: HotSet<Handle>,
    pub follows: HotSet<Follows>,
    pub moderation: HotSet<Moderation>,
    pub polls: HotSet<Polls>,
}

/// What every decision of one command shares.
struct Deciding<'a> {
    envelope: &'a CommandEnvelope,
    meta: EventMetadata,
    now: DateTime<Utc>,
    staged: &'a mut Vec<StoredEvent>,
}

impl Aggregates {
    pub fn new(store: std::sync::Arc<dyn EventStore>) -> Self {
        Self {
            products: HotSet::new(store.clone()),
            orders: HotSet::new(store.clone()),
            shows: HotSet::new(store.clone()),
            live_stats: HotSet::new(store.clone()),
            channels: HotSet::new(store.clone()),
            handles: HotSet::new(store.clone()),
            follows: HotSet::new(store.clone()),
            moderation: HotSet::new(store.clone()),
            polls: HotSet::new(store),
        }
    }

    /// Forget all hot state (after a failed commit).
    pub fn clear(&mut self) {
        self.products.clear();
        self.orders.clear();
        self.shows.clear();
        self.live_stats.clear();
        self.channels.clear();
        self.handles.clear();
        self.follows.clear();
        self.moderation.clear();
        self.polls.clear();
    }

    /// Before deciding a batch: forget what other partitions may have changed
    /// since the last one. A handle another partition released or claimed
    /// is read again, so a refusal is never decided on a stale holder (a
    /// stale claim would fail its commit's version check and be retried).
    pub fn begin_batch(&mut self) {
        self.handles.clear();
    }

    /// Decide `envelope` at `now`. Staged events go to `staged`.
    pub async fn decide(
        &mut self,
        envelope: &CommandEnvelope,
        now: DateTime<Utc>,
        hold_for: chrono::Duration,
        staged: &mut Vec<StoredEvent>,
    ) -> Result<Decision, StoreError> {
        let mut at = Deciding { envelope, meta: metadata(envelope, now), now, staged };
        match envelope.command.clone() {
            AppCommand::CreateProduct { product_id, sku, title, price_minor, currency, stock } => {
                self.create_product(&mut at, product_id, sku, title, price_minor, &currency, stock).await
            }
            AppCommand::AddStock { product_id, add } => self.add_stock(&mut at, &product_id, add).await,
            AppCommand::Reserve { product_id, quantity } => {
                self.reserve(&mut at, &product_id, quantity, hold_for).await
            }
            AppCommand::Release { reservation_id } => self.release(&mut at, reservation_id).await,
            AppCommand::Checkout { reservation_id, card } => self.place_order(&mut at, reservation_id, card).await,
            AppCommand::CreateShow { show_id, title, scheduled_at, product_ids, listing } => {
                self.create_show(&mut at, show_id, title, scheduled_at, product_ids, listing).await
            }
            AppCommand::EditShow { show_id, title, category, tags, language, scheduled_at } => {
                let actor = envelope.actor.sub.clone();
                let now = envelope.received_at;
                let edit = ShowCommand::Edit { actor, title, category, tags, language, scheduled_at, now };
                self.edit_show(&mut at, show_id, edit).await
            }
            AppCommand::CancelShow { show_id } => self.cancel_show(&mut at, show_id).await,
            AppCommand::AttachProducts { show_id, product_ids } => {
                self.attach_products(&mut at, show_id, product_ids).await
            }
            AppCommand::PinProduct { show_id, product_id, drop } => self.pin(&mut at, show_id, product_id, drop).await,
            AppCommand::UnpinProduct { show_id } => self.unpin(&mut at, show_id).await,
            AppCommand::Raid { show_id, target_show_id, target_channel, from_channel, viewers } => {
                let target = show::Raid { show_id: target_show_id, channel: target_channel, from_channel, viewers };
                self.raid(&mut at, show_id, target).await
            }
            AppCommand::RemindFollowers { show_id, scheduled_at } => {
                self.remind_followers(&mut at, show_id, scheduled_at).await
            }
            AppCommand::GoLive { show_id } => self.go_live(&mut at, show_id).await,
            AppCommand::EndShow { show_id } => self.end_show(&mut at, show_id).await,
            AppCommand::RequestClip { show_id, clip_id, seconds } => {
                self.request_clip(&mut at, show_id, clip_id, seconds).await
            }
            AppCommand::FinishClip { show_id, clip_id, outcome } => {
                self.finish_clip(&mut at, show_id, clip_id, outcome).await
            }
            AppCommand::ReportStreamHealth { show_id, health } => {
                self.report_stream_health(&mut at, show_id, health).await
            }
            AppCommand::CountViewers { show_id, connected, watching } => {
                self.count_viewers(&mut at, show_id, connected, watching).await
            }
            AppCommand::CountReactions { show_id, counts } => self.count_reactions(&mut at, show_id, counts).await,
            AppCommand::CountChat { show_id, messages } => self.count_chat(&mut at, show_id, messages).await,
            AppCommand::SampleAudience { show_id, connected, watching, peak, unique } => {
                let sample = Sample { connected, watching, peak, unique };
                self.sample_audience(&mut at, show_id, sample).await
            }
            AppCommand::Moderate { channel_id, action } => self.moderate(&mut at, channel_id, action).await,
            AppCommand::RegenerateStreamKey => self.regenerate_stream_key(&mut at).await,
            AppCommand::SetChannelProfile { profile } => self.set_channel_profile(&mut at, profile).await,
            AppCommand::Follow { channel_id } => self.follow(&mut at, channel_id, true).await,
            AppCommand::Unfollow { channel_id } => self.follow(&mut at, channel_id, false).await,
            AppCommand::MarkNotificationsRead { up_to } => self.mark_read(&mut at, up_to).await,
            AppCommand::OpenPoll { show_id, question, options, duration_s, changeable } => {
                self.open_poll(&mut at, show_id, Question { question, options, duration_s, changeable }).await
            }
            AppCommand::ClosePoll { poll_id } => self.close_poll(&mut at, poll_id).await,
            AppCommand::CountVotes { poll_id, ballots } => self.count_votes(&mut at, poll_id, ballots).await,
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
