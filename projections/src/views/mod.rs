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
use cartcast_domain::product::Product;
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

/// Apply one event at feed `position` inside the projection's transaction.
pub async fn apply(tx: &mut Transaction<'static, Any>, position: u64, event: &StoredEvent) -> Result<(), ReadError> {
    match stream_of(&event.aggregate_type, &event.event_type) {
        t if t == Product::TYPE => {
            products::apply(tx, position, event, serde_json::from_value(event.payload.clone())?).await
        }
        t if t == Order::TYPE => {
            orders::apply(tx, position, event, serde_json::from_value(event.payload.clone())?).await
        }
        t if t == LiveStats::TYPE => {
            shows::apply_live_stats(tx, event, serde_json::from_value(event.payload.clone())?).await
        }
        t if t == Show::TYPE => shows::apply(tx, event, serde_json::from_value(event.payload.clone())?).await,
        t if t == Channel::TYPE => channels::apply(tx, event, serde_json::from_value(event.payload.clone())?).await,
        t if t == Follows::TYPE => channels::apply_follows(tx, serde_json::from_value(event.payload.clone())?).await,
        // A channel's row carries its handle, from its `ChannelProfileSet`.
        t if t == Handle::TYPE => Ok(()),
        t if t == Moderation::TYPE => {
            moderation::apply(tx, event, serde_json::from_value(event.payload.clone())?).await
        }
        t if t == Polls::TYPE => polls::apply(tx, event, serde_json::from_value(event.payload.clone())?).await,
        other => {
            warn!(aggregate_type = other, "catalog ignores unknown aggregate type");
            Ok(())
        }
    }
}
