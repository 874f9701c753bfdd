//! `SqliteStore` (the embedded shape's event store): the event-store
//! contract, each behaviour on a fresh database file; and `StoreFeed`, its
//! global order as the event feed: subscribers read it from any position,
//! catch up side by side on one read of each whole block, and follow new
//! commits at the head.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use uuid::Uuid;

use cartcast_infra::bus::inprocess::StoreFeed;
use cartcast_infra::bus::{BusError, EventFeed, FeedEvent};
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_infra::store::{CommitBatch, EventStore, StoredEvent};

#[macro_use]
mod contract;

use contract::event;

async fn open() -> (Box<dyn EventStore>, impl Future<Output = ()>) {
    let dir = std::env::temp_dir().join(format!("cartcast-store-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("events.sqlite")).await.unwrap();
    (Box::new(store), async move { std::fs::remove_dir_all(dir).unwrap() })
}

event_store_contract!(open);

/// Commit `count` events of one product, sequences `first..`, and tell the feed.
async fn commit(store: &SqliteStore, feed: &StoreFeed, first: u64, count: u64) {
    let command_id = Uuid::new_v4();
    let events: Vec<StoredEvent> = (first..first + count).map(|s| event("Product", "p1", s, command_id)).collect();
    let positions = store.commit(&CommitBatch { events: events.clone(), ..Default::default() }).await.unwrap();
    feed.publish(&events, &positions).await.unwrap();
}

/// The next `count` events of `feed`, failing rather than waiting forever.
async fn take(feed: &mut BoxStream<'static, Result<FeedEvent, BusError>>, count: usize) -> Vec<FeedEvent> {
    let mut taken = Vec::with_capacity(count);
    while taken.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(5), feed.next()).await;
        taken.push(next.expect("the feed hands over committed events").expect("the feed goes on").unwrap());
    }
    taken
}

fn positions(events: &[FeedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

#[tokio::test]
async fn subscribers_read_every_event_in_order_and_share_what_both_read() {
    let dir = std::env::temp_dir().join(format!("cartcast-feed-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("events.sqlite")).await.unwrap();
    let feed = StoreFeed::new(Arc::new(store.clone()));
    commit(&store, &feed, 1, 1300).await;

    let mut first = feed.subscribe(0).await.unwrap();
    let read_first = take(&mut first, 1300).await;
    assert_eq!(positions(&read_first), (1..=1300).collect::<Vec<_>>());
    assert_eq!(read_first.iter().map(|e| e.event.sequence).collect::<Vec<_>>(), (1..=1300).collect::<Vec<_>>());

    // A second subscriber from the start reads the same events; those of the
    // blocks already read whole are the very copies the first one read.
    let mut second = feed.subscribe(0).await.unwrap();
    let read_second = take(&mut second, 1300).await;
    assert_eq!(positions(&read_second), positions(&read_first));
    let shared = read_first.iter().zip(&read_second).filter(|(a, b)| Arc::ptr_eq(&a.event, &b.event)).count();
    assert_eq!(shared, 1024, "the two whole blocks (positions 1-1024) are read once");
    assert!(read_first.iter().zip(&read_second).all(|(a, b)| a.event == b.event));

    // One from the middle of a block starts just after its position.
    let mut middle = feed.subscribe(700).await.unwrap();
    assert_eq!(positions(&take(&mut middle, 600).await), (701..=1300).collect::<Vec<_>>());

    // At the head, each follows what is committed next.
    commit(&store, &feed, 1301, 300).await;
    let later: Vec<u64> = (1301..=1600).collect();
    assert_eq!(positions(&take(&mut first, 300).await), later);
    assert_eq!(positions(&take(&mut second, 300).await), later);
    assert_eq!(positions(&take(&mut middle, 300).await), later);
    std::fs::remove_dir_all(dir).unwrap();
}
