//! `PostgresStore` against a real PostgreSQL: the event-store contract, each
//! behaviour on a fresh database named with a UUID on
//! `CARTCAST_TEST_POSTGRES_URL`'s server, plus postgres-es compatibility.

use std::future::Future;

use cartcast_domain::product::Product;
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_infra::store::{CommitBatch, EventStore};
use cqrs_es::persist::PersistedEventRepository;
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;
use uuid::Uuid;

mod common;
#[macro_use]
mod contract;
use common::TestDb;
use contract::event;

async fn open() -> (Box<dyn EventStore>, impl Future<Output = ()>) {
    let db = TestDb::create().await;
    let store = PostgresStore::connect(&db.url).await.unwrap();
    (Box::new(store), db.drop_database())
}

event_store_contract!(open);

#[tokio::test]
async fn test_postgres_es_reads_the_events_we_commit() {
    let db = TestDb::create().await;
    let store = PostgresStore::connect(&db.url).await.unwrap();
    let command_id = Uuid::new_v4();
    let events = vec![event("Product", "p1", 1, command_id), event("Product", "p1", 2, command_id)];
    store.commit(&CommitBatch { events: events.clone(), commands: vec![], ..Default::default() }).await.unwrap();
    let pool = PgPool::connect(&db.url).await.unwrap();

    let read = PostgresEventRepository::new(pool.clone()).get_events::<Product>("p1").await.unwrap();

    assert_eq!(read.len(), 2);
    for (serialized, stored) in read.iter().zip(&events) {
        assert_eq!(serialized.sequence as u64, stored.sequence);
        assert_eq!(serialized.event_type, stored.event_type);
        assert_eq!(serialized.payload, stored.payload);
        assert_eq!(serialized.metadata, serde_json::to_value(&stored.metadata).unwrap());
    }
    pool.close().await;
    db.drop_database().await;
}
