//! The catalog projection: sends each event to the view its aggregate feeds.
//!
//! One file per view holds its row types, its update and its queries:
//! `products` (with stock and reservations), `orders` (with their
//! history), `shows` (with their clips and live stats), `channels`,
//! `moderation` (the chat rules gateways enforce) and `polls`; `browse`,
//! `videos` and `search` only read (search's documents are kept by triggers). Events carry the
//! values they produce (stock after the event, status), so the updates only
//! copy them.

use cqrs_es::Aggregate;
use sqlx::{Any, Transaction};
use tracing::warn;

use cartcast_domain::channel::Channel;
use cartcast_domain::follow::Follows;
use cartcast_domain::handle::Handle;
use cartcast_domain::live_stats::{LiveStats, stream_of};
use cartcast_domain::moderation::Moderation;
use cartcast_domain::order::Order;
use cartcast_domain::poll::Polls;
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_domain::show::Show;
use cartcast_infra::store::StoredEvent;

use crate::read_models::ReadError;

mod browse;
mod channels;
mod moderation;
mod orders;
mod polls;
mod products;
mod search;
mod shows;
mod videos;

pub use browse::{Browse, PageEnd, ShowPage, Sort, SortKey};
pub use channels::ChannelView;
pub use moderation::{BanView, ChannelRules, ChatRulesView, Highlight, ShowChat};
pub use orders::{HistoryEntry, OrderView};
pub use polls::PollView;
pub use products::{ProductView, StockView};
pub use search::{Found, MAX_QUERY};
pub use shows::{ClipView, ShowView};
pub use videos::{PinView, VideoPage, VideoView};

/// The projection's name in `projection_checkpoints`.
pub const CATALOG: &str = "catalog";

/// The catalog's writes for one step. The events a sale and a live show
/// come in thousands of — holds, orders, audience and reactions — are
/// gathered and written once per step, table by table; any other event
/// first writes what is gathered, then its own rows, so every row ends as
/// if each event had been applied alone, in order.
#[derive(Default)]
pub struct Page {
    products: products::Pending,
    orders: orders::Pending,
    history: orders::History,
    stats: shows::Stats,
}

impl Page {
    /// Apply one event at feed `position` inside the projection's transaction.
    pub async fn apply(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        position: u64,
        event: &StoredEvent,
    ) -> Result<(), ReadError> {
        match stream_of(&event.aggregate_type, &event.event_type) {
            t if t == Product::TYPE => {
                let product_event: ProductEvent = event.payload_as()?;
                if let ProductEvent::ProductCreated { .. } = product_event {
                    self.flush(tx).await?;
                    products::insert(tx, event, &product_event).await?;
                }
                self.products.record(&mut self.history, position, event, product_event);
                Ok(())
            }
            t if t == Order::TYPE => {
                self.orders.record(&mut self.history, position, event, event.payload_as()?);
                Ok(())
            }
            t if t == LiveStats::TYPE => {
                self.stats.record(event, event.payload_as()?);
                Ok(())
            }
            _ => {
                self.flush(tx).await?;
                apply_alone(tx, event).await
            }
        }
    }

    /// Write what the page gathered, and start again empty.
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        self.products.flush(tx).await?;
        self.orders.flush(tx).await?;
        self.history.flush(tx).await?;
        self.stats.flush(tx).await
    }
}

/// Apply one of the events a page does not gather.
async fn apply_alone(tx: &mut Transaction<'static, Any>, event: &StoredEvent) -> Result<(), ReadError> {
    match event.aggregate_type.as_str() {
        t if t == Show::TYPE => shows::apply(tx, event, event.payload_as()?).await,
        t if t == Channel::TYPE => channels::apply(tx, event, event.payload_as()?).await,
        t if t == Follows::TYPE => channels::apply_follows(tx, event.payload_as()?).await,
        // A channel's row carries its handle, from its `ChannelProfileSet`.
        t if t == Handle::TYPE => Ok(()),
        t if t == Moderation::TYPE => moderation::apply(tx, event, event.payload_as()?).await,
        t if t == Polls::TYPE => polls::apply(tx, event, event.payload_as()?).await,
        other => {
            warn!(aggregate_type = other, "catalog ignores unknown aggregate type");
            Ok(())
        }
    }
}
