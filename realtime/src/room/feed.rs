//! The show's events as they are published, heard by its room: the pin and
//! the products it lists (from the show's stream), each product's stock,
//! the show's polls, and raids (out of the show and into it). Followed before the read side is read, so nothing
//! falls between the two; what the room heard wins over what it read.

use cqrs_es::Aggregate;
use futures::stream::{BoxStream, SelectAll};

use cartcast_domain::poll::{Polls, PollsEvent};
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_domain::show::{Show, ShowEvent};
use cartcast_infra::store::StoredEvent;

use crate::frames::ServerFrame;

use super::Room;

/// How many report intervals after opening the room reads the show again:
/// an event published just before the room followed may not have reached
/// the read side when it first read it.
pub(super) const RESEED_REPORTS: u64 = 3;

/// Everything the room follows, merged.
pub(super) type Events = SelectAll<BoxStream<'static, StoredEvent>>;

/// Follows the show's own streams and the products the room knows of;
/// empty when the feed cannot be reached (the room tries again later).
pub(super) async fn follow(room: &Room) -> Events {
    let mut events = SelectAll::new();
    let products = room.state().shelf.product_ids();
    let mut followed: Vec<(&str, &str)> = vec![(Show::TYPE, &room.show_id), (Polls::TYPE, &room.show_id)];
    followed.extend(products.iter().map(|id| (Product::TYPE, id.as_str())));
    match room.core.live.follow(&followed).await {
        Ok(stream) => events.push(stream),
        Err(error) => tracing::warn!(show_id = %room.show_id, %error, "following the show's events"),
    }
    events
}

/// Reads the show as the read side has it: its products (then followed
/// too), its pin and its latest poll.
pub(super) async fn seed(room: &Room, events: &mut Events) {
    let show = match room.core.seed.show_state(&room.show_id).await {
        Ok(show) => show,
        Err(error) => {
            tracing::warn!(show_id = %room.show_id, %error, "reading the show");
            return;
        }
    };
    {
        let mut state = room.state();
        if let Some(poll) = show.poll {
            state.votes.seed(poll);
        }
    }
    follow_products(room, events, &show.product_ids).await;
    // Read again now that its stock is followed: no change falls between.
    if let Some(pinned) = show.pinned {
        pin(room, events, &pinned.product_id).await;
    }
}

/// Takes one event of the show's streams into the room's next batch.
pub(super) async fn hear(room: &Room, events: &mut Events, event: StoredEvent) {
    let payload = event.payload;
    match event.aggregate_type.as_str() {
        t if t == Product::TYPE => {
            if let Ok(product) = serde_json::from_value::<ProductEvent>(payload) {
                room.state().shelf.heard(&event.aggregate_id, product.stock().into());
            }
        }
        t if t == Polls::TYPE => {
            if let Ok(poll) = serde_json::from_value::<PollsEvent>(payload) {
                room.state().votes.heard(poll, event.sequence);
            }
        }
        // The show's stream also carries samples of other types: only its own events matter here.
        t if t == Show::TYPE => match serde_json::from_value::<ShowEvent>(payload) {
            Ok(ShowEvent::ProductsAttached { product_ids }) => follow_products(room, events, &product_ids).await,
            Ok(ShowEvent::ProductPinned { product_id, .. }) => pin(room, events, &product_id).await,
            Ok(ShowEvent::ProductUnpinned { product_id }) => room.state().shelf.unpin(&product_id),
            Ok(ShowEvent::ShowRaided { target_show_id, target_channel, .. }) => {
                room.state().announcements.push(ServerFrame::Raid { show_id: target_show_id, channel: target_channel });
            }
            Ok(ShowEvent::RaidArrived { from_channel, viewers, .. }) => {
                room.state().announcements.push(ServerFrame::Raided { from: from_channel, viewers });
            }
            _ => {}
        },
        _ => {}
    }
}

/// Follows the products of `product_ids` the room does not follow yet.
async fn follow_products(room: &Room, events: &mut Events, product_ids: &[String]) {
    let new = room.state().shelf.add(product_ids);
    if new.is_empty() {
        return;
    }
    let followed: Vec<(&str, &str)> = new.iter().map(|id| (Product::TYPE, id.as_str())).collect();
    match room.core.live.follow(&followed).await {
        Ok(stream) => events.push(stream),
        Err(error) => tracing::warn!(show_id = %room.show_id, %error, "following the show's products"),
    }
}

/// Pins `product_id`: followed first, then read with its stock.
async fn pin(room: &Room, events: &mut Events, product_id: &str) {
    follow_products(room, events, &[product_id.to_owned()]).await;
    match room.core.seed.product(product_id).await {
        Ok(Some(product)) => room.state().shelf.pin(product),
        Ok(None) => tracing::warn!(show_id = %room.show_id, product_id, "pinned product not on the read side yet"),
        Err(error) => tracing::warn!(show_id = %room.show_id, %error, "reading the pinned product"),
    }
}
