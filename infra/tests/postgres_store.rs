//! `PostgresStore` against a real PostgreSQL: the event-store contract, each
//! behaviour on a fresh database named with a UUID on
//! `CARTCAST_TEST_POSTGRES_URL`'s server, plus postgres-es compatibility
//! and the gap-safe global order under concurrent committers.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use cartcast_domain::product::Product;
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_infra::store::{CommitBatch, EventStore};
use cqrs_es::persist::PersistedEventRepository;
use postgres_es::PostgresEventRepository;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

mod common;
#[macro_use]
mod contract;
use common::TestDb;
use contract::{event, record};

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

/// A batch that took a lower position but commits after a higher one is
/// still read, before it: the reader waits the slower commit out.
#[tokio::test]
async fn test_read_all_never_skips_a_lower_position_that_commits_later() {
    let db = TestDb::create().await;
    let store = PostgresStore::connect(&db.url).await.unwrap();
    let slow_command = Uuid::new_v4();
    // An uncommitted claim on the slow batch's command id: its commit takes
    // its position, then waits on this row until we roll it back.
    let mut blocker = PgConnection::connect(&db.url).await.unwrap();
    blocker.execute("BEGIN").await.unwrap();
    sqlx::query("INSERT INTO command_log (command_id, outcome, events) VALUES ($1, '{}', '[]')")
        .bind(slow_command)
        .execute(&mut blocker)
        .await
        .unwrap();
    let slow_events = vec![event("Product", "slow", 1, slow_command)];
    let slow = tokio::spawn({
        let store = store.clone();
        let batch = CommitBatch {
            events: slow_events.clone(),
            commands: vec![record(slow_command, &slow_events)],
            ..Default::default()
        };
        async move { store.commit(&batch).await.unwrap() }
    });
    wait_for_a_blocked_insert(&db.url).await;
    let fast_command = Uuid::new_v4();
    let fast_events = vec![event("Product", "fast", 1, fast_command)];
    let fast = store.commit(&CommitBatch { events: fast_events.clone(), ..Default::default() }).await.unwrap();

    let reader = tokio::spawn({
        let store = store.clone();
        async move { store.read_all(0, 100).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    blocker.execute("ROLLBACK").await.unwrap();
    let slow = slow.await.unwrap();
    let read = reader.await.unwrap();

    assert!(slow[0] < fast[0], "the slow batch took the lower position: {slow:?} vs {fast:?}");
    assert_eq!(read, vec![(slow[0], slow_events[0].clone()), (fast[0], fast_events[0].clone())]);
    db.drop_database().await;
}

/// Eight writers commit at once while a reader tails in small pages: it
/// sees every event exactly once, in position order.
#[tokio::test]
async fn test_a_tailing_reader_sees_every_concurrent_commit_once_in_order() {
    const WRITERS: usize = 8;
    const BATCHES: usize = 40;
    const EVENTS: usize = 5;
    let db = TestDb::create().await;
    let store = PostgresStore::connect(&db.url).await.unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                for batch in 0..BATCHES {
                    let command_id = Uuid::new_v4();
                    let id = format!("w{writer}");
                    let events =
                        (1..=EVENTS).map(|n| event("Product", &id, (batch * EVENTS + n) as u64, command_id)).collect();
                    store.commit(&CommitBatch { events, ..Default::default() }).await.unwrap();
                }
            })
        })
        .collect();

    let mut seen = Vec::new();
    let mut after = 0;
    let mut writing = true;
    loop {
        // Once every writer is done, one more read that finds nothing ends the tail.
        let done = !writing;
        writing = !writers.iter().all(|writer| writer.is_finished());
        let page = store.read_all(after, 7).await.unwrap();
        if page.is_empty() && done {
            break;
        }
        if let Some((last, _)) = page.last() {
            after = *last;
        }
        seen.extend(page.into_iter().map(|(position, event)| (position, event.key())));
    }
    for writer in writers {
        writer.await.unwrap();
    }

    assert!(seen.windows(2).all(|pair| pair[0].0 < pair[1].0), "positions only rise");
    let keys: HashSet<_> = seen.iter().map(|(_, key)| key.clone()).collect();
    assert_eq!(keys.len(), WRITERS * BATCHES * EVENTS, "each event once");
    db.drop_database().await;
}

/// Waits until some session waits on a lock (the slow commit on the claimed command id).
async fn wait_for_a_blocked_insert(url: &str) {
    let mut watcher = PgConnection::connect(url).await.unwrap();
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the slow commit never blocked on the claimed command id");
}
