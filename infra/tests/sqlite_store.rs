//! `SqliteStore` (the embedded shape's event store): the event-store
//! contract, each behaviour on a fresh database file.

use std::future::Future;

use cartcast_infra::store::EventStore;
use cartcast_infra::store::sqlite::SqliteStore;

#[macro_use]
mod contract;

async fn open() -> (Box<dyn EventStore>, impl Future<Output = ()>) {
    let dir = std::env::temp_dir().join(format!("cartcast-store-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("events.sqlite")).await.unwrap();
    (Box::new(store), async move { std::fs::remove_dir_all(dir).unwrap() })
}

event_store_contract!(open);
