//! `JetStreamBus` against a real NATS JetStream (each test on streams and
//! subjects under its own prefix) and `PgAdvisoryLeases` against a real
//! PostgreSQL (each test in a fresh database named with a UUID).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::AckPolicy;
use async_nats::jetstream::stream::{RetentionPolicy, StorageType};
use cartcast_domain::Role;
use cartcast_infra::bus::jetstream::{BusNames, JetStreamBus, JetStreamSource, PgAdvisoryLeases};
use cartcast_infra::bus::{BusError, CommandBus, CommandSource, Delivery, EventFeed, PartitionLeases};
use cartcast_infra::envelope::{Actor, AppCommand, CommandEnvelope};
use cartcast_infra::outcome::{Answer, ClipFinished, Outcome};
use cartcast_infra::store::{EventMetadata, StoredEvent};
use chrono::Utc;
use futures::StreamExt;
use serde_json::json;
use sqlx::{Connection, PgConnection};
use tokio::time::{Instant, timeout};
use uuid::Uuid;

mod common;
use common::TestDb;

const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
const PARTITIONS: u32 = 4;
/// Longest any awaited event may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

fn nats_url() -> String {
    std::env::var("CARTCAST_TEST_NATS_URL").unwrap_or_else(|_| DEFAULT_NATS_URL.to_owned())
}

/// Streams and subjects of this test's own.
struct TestBus {
    prefix: String,
    names: BusNames,
}

impl TestBus {
    fn new() -> Self {
        let prefix = format!("t{}", Uuid::new_v4().simple());
        Self { names: BusNames::prefixed(prefix.clone()), prefix }
    }

    async fn connect(&self) -> JetStreamBus {
        JetStreamBus::connect(&nats_url(), self.names.clone(), PARTITIONS)
            .await
            .expect("the test NATS server is reachable")
    }

    async fn delete_streams(self) {
        let js = async_nats::jetstream::new(async_nats::connect(nats_url()).await.unwrap());
        js.delete_stream(self.names.cmd_stream()).await.unwrap();
        js.delete_stream(self.names.events_stream()).await.unwrap();
    }
}

fn reserve(product_id: &str) -> CommandEnvelope {
    CommandEnvelope {
        command_id: Uuid::new_v4(),
        actor: Actor { sub: "ann".to_owned(), role: Role::Viewer },
        correlation_id: Uuid::new_v4(),
        received_at: Utc::now(),
        command: AppCommand::Reserve { product_id: product_id.to_owned(), quantity: 1 },
    }
}

fn partition_of(envelope: &CommandEnvelope) -> u32 {
    envelope.command.partition(&envelope.actor, PARTITIONS)
}

fn answer(envelope: &CommandEnvelope) -> Outcome {
    Outcome::answer(Answer::ClipFinished(ClipFinished { clip_id: envelope.command_id.to_string() }))
}

/// Waits for the next non-empty batch.
async fn next_deliveries(source: &mut JetStreamSource, max: usize) -> Vec<Delivery> {
    let batch = source.next_batch(max, PATIENCE).await.unwrap();
    assert!(!batch.is_empty(), "no command within {PATIENCE:?}");
    batch
}

fn event(aggregate_id: &str, sequence: u64) -> StoredEvent {
    let command_id = Uuid::new_v4();
    StoredEvent {
        aggregate_type: "Product".to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        event_type: "StockAdded".to_owned(),
        event_version: "1".to_owned(),
        payload: json!({"StockAdded": {"add": sequence}}),
        metadata: EventMetadata {
            event_id: Uuid::now_v7(),
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            actor: "seller-1".to_owned(),
            occurred_at: Utc::now(),
        },
    }
}

#[tokio::test]
async fn test_connect_and_source_set_up_the_streams_and_consumer_as_specified() {
    let test = TestBus::new();
    let bus = test.connect().await;
    let _source = bus.source(2).await.unwrap();
    let _reconnected = test.connect().await;
    let js = async_nats::jetstream::new(async_nats::connect(nats_url()).await.unwrap());

    let cmd = js.get_stream(test.names.cmd_stream()).await.unwrap().cached_info().config.clone();
    assert_eq!(cmd.subjects, vec![format!("{}.cmd.>", test.prefix)]);
    assert_eq!(cmd.storage, StorageType::File);
    assert_eq!(cmd.retention, RetentionPolicy::Limits);
    assert_eq!(cmd.max_age, Duration::from_secs(24 * 3600));
    assert_eq!(cmd.duplicate_window, Duration::from_secs(120));
    let events = js.get_stream(test.names.events_stream()).await.unwrap().cached_info().config.clone();
    assert_eq!(events.subjects, vec![format!("{}.evt.>", test.prefix)]);
    assert_eq!(events.max_age, Duration::ZERO);
    assert_eq!(events.duplicate_window, Duration::from_secs(600));
    let cmd_stream = js.get_stream(test.names.cmd_stream()).await.unwrap();
    let worker = cmd_stream.consumer_info("worker-p2").await.unwrap().config.clone();
    assert_eq!(worker.filter_subject, format!("{}.cmd.*.2", test.prefix));
    assert_eq!(worker.ack_policy, AckPolicy::Explicit);
    assert_eq!(worker.ack_wait, Duration::from_secs(5));
    assert!(worker.max_ack_pending >= 20_000);
    assert_eq!(worker.max_deliver, -1);
    test.delete_streams().await;
}

#[tokio::test]
async fn test_dispatch_returns_the_outcome_its_worker_settles() {
    let test = TestBus::new();
    let bus = test.connect().await;
    let envelope = reserve("p1");
    let mut source = bus.source(partition_of(&envelope)).await.unwrap();
    // Task: a one-command worker that answers whatever it pulls.
    let worker = tokio::spawn(async move {
        for delivery in next_deliveries(&mut source, 10).await {
            let outcome = answer(&delivery.envelope);
            delivery.handle.settle(&outcome).await;
        }
    });

    let outcome = bus.dispatch(envelope.clone(), PATIENCE).await.unwrap();

    assert_eq!(outcome, answer(&envelope));
    worker.await.unwrap();
    test.delete_streams().await;
}

#[tokio::test]
async fn test_dispatch_without_a_worker_times_out() {
    let test = TestBus::new();
    let bus = test.connect().await;

    let result = bus.dispatch(reserve("p1"), Duration::from_millis(300)).await;

    assert!(matches!(result, Err(BusError::Timeout(_))), "got {result:?}");
    test.delete_streams().await;
}

#[tokio::test]
async fn test_a_repeated_dispatch_is_asked_again_of_the_partition_owner() {
    let test = TestBus::new();
    let first_api = test.connect().await;
    let envelope = reserve("p1");
    let mut source = first_api.source(partition_of(&envelope)).await.unwrap();
    let first_worker_answer = async {
        let delivery = next_deliveries(&mut source, 1).await.pop().unwrap();
        delivery.handle.settle(&answer(&delivery.envelope)).await;
    };
    let (first, ()) = tokio::join!(first_api.dispatch(envelope.clone(), PATIENCE), first_worker_answer);

    // The retry reaches another API instance inside the de-duplication window:
    // the log keeps one copy, and the owner is asked again for the answer.
    let second_api = test.connect().await;
    let owner_answers_again = async {
        let delivery = next_deliveries(&mut source, 1).await.pop().unwrap();
        assert_eq!(delivery.envelope.command_id, envelope.command_id);
        delivery.handle.settle(&answer(&delivery.envelope)).await;
    };
    let (second, ()) = tokio::join!(second_api.dispatch(envelope.clone(), PATIENCE), owner_answers_again);

    assert_eq!(second.unwrap(), first.unwrap());
    test.delete_streams().await;
}

#[tokio::test]
async fn test_retry_redelivers_the_command() {
    let test = TestBus::new();
    let bus = Arc::new(test.connect().await);
    let envelope = reserve("p1");
    let mut source = bus.source(partition_of(&envelope)).await.unwrap();
    let caller = Arc::clone(&bus);
    let sent = envelope.clone();
    // Task: the caller, waiting for its answer while the worker retries once.
    let dispatch = tokio::spawn(async move { caller.dispatch(sent, PATIENCE).await });

    let first = next_deliveries(&mut source, 10).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].envelope.command_id, envelope.command_id);
    for delivery in first {
        delivery.handle.retry().await;
    }
    let again = next_deliveries(&mut source, 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].envelope.command_id, envelope.command_id);
    for delivery in again {
        delivery.handle.settle(&answer(&envelope)).await;
    }

    assert_eq!(dispatch.await.unwrap().unwrap(), answer(&envelope));
    test.delete_streams().await;
}

#[tokio::test]
async fn test_next_batch_drains_a_backlog_in_log_order_and_skips_bad_commands() {
    let test = TestBus::new();
    let bus = test.connect().await;
    let envelopes: Vec<CommandEnvelope> = (0..50).map(|_| reserve("p1")).collect();
    let partition = partition_of(&envelopes[0]);
    let subject = format!("{}.cmd.product.{partition}", test.prefix);
    let js = async_nats::jetstream::new(async_nats::connect(nats_url()).await.unwrap());
    js.publish(subject.clone(), "not an envelope".into()).await.unwrap().await.unwrap();
    for envelope in &envelopes {
        let payload = serde_json::to_vec(envelope).unwrap();
        js.publish(subject.clone(), payload.into()).await.unwrap().await.unwrap();
    }
    let mut source = bus.source(partition).await.unwrap();

    let mut received = Vec::new();
    let mut batches = 0;
    while received.len() < envelopes.len() {
        let batch = next_deliveries(&mut source, 100).await;
        batches += 1;
        for delivery in batch {
            received.push(delivery.envelope.command_id);
            delivery
                .handle
                .settle(&Outcome::answer(Answer::ClipFinished(ClipFinished { clip_id: String::new() })))
                .await;
        }
    }

    assert_eq!(received, envelopes.iter().map(|envelope| envelope.command_id).collect::<Vec<_>>());
    assert!(batches < 10, "a queued backlog comes in few batches, took {batches}");
    let started = Instant::now();
    let idle = source.next_batch(100, Duration::from_millis(200)).await.unwrap();
    assert!(idle.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(190));
    test.delete_streams().await;
}

#[tokio::test]
async fn test_publishing_an_event_twice_returns_its_first_position() {
    let test = TestBus::new();
    let bus = test.connect().await;
    let events = vec![event("p1", 1), event("p1", 2)];

    let first = bus.publish(&events, &[1, 2]).await.unwrap();
    let again = bus.publish(&[events[1].clone(), events[0].clone()], &[2, 1]).await.unwrap();

    assert_eq!(first.len(), 2);
    assert!(first[0] < first[1]);
    assert_eq!(again, vec![first[1], first[0]]);
    test.delete_streams().await;
}

#[tokio::test]
async fn test_subscribe_yields_exactly_the_events_after_a_position_in_order() {
    let test = TestBus::new();
    let bus = test.connect().await;
    let events: Vec<StoredEvent> = (1..=5).map(|sequence| event("p.1 x", sequence)).collect();
    let positions = bus.publish(&events, &[]).await.unwrap();

    let mut feed = bus.subscribe(positions[1]).await.unwrap();
    for (position, expected) in positions[2..].iter().zip(&events[2..]) {
        let next = timeout(PATIENCE, feed.next()).await.unwrap().unwrap().unwrap();
        assert_eq!((next.position, next.event.as_ref()), (*position, expected));
    }
    let later = event("p.1 x", 6);
    let later_position = bus.publish(std::slice::from_ref(&later), &[]).await.unwrap()[0];
    let next = timeout(PATIENCE, feed.next()).await.unwrap().unwrap().unwrap();
    assert_eq!((next.position, next.event.as_ref()), (later_position, &later));
    assert!(timeout(Duration::from_millis(300), feed.next()).await.is_err(), "nothing else follows");

    let mut from_start = bus.subscribe(0).await.unwrap();
    let first = timeout(PATIENCE, from_start.next()).await.unwrap().unwrap().unwrap();
    assert_eq!((first.position, first.event.as_ref()), (positions[0], &events[0]));
    test.delete_streams().await;
}

#[tokio::test]
async fn test_a_held_partition_is_won_soon_after_its_lease_is_dropped() {
    let db = TestDb::create().await;
    let namespace = Uuid::new_v4().to_string();
    let owner = PgAdvisoryLeases::new(&db.url, &namespace).unwrap();
    let contender = PgAdvisoryLeases::new(&db.url, &namespace).unwrap();
    let held = owner.acquire(1).await.unwrap();

    // Task: a second process waiting for the same partition.
    let mut waiting = tokio::spawn(async move { contender.acquire(1).await.map(|_lease| ()) });
    assert!(timeout(Duration::from_secs(1), &mut waiting).await.is_err(), "acquired while held");
    drop(held);

    timeout(Duration::from_secs(2), waiting).await.expect("won within 2 s").unwrap().unwrap();
    db.drop_database().await;
}

#[tokio::test]
async fn test_different_partitions_do_not_block_each_other() {
    let db = TestDb::create().await;
    let namespace = Uuid::new_v4().to_string();
    let first = PgAdvisoryLeases::new(&db.url, &namespace).unwrap();
    let second = PgAdvisoryLeases::new(&db.url, &namespace).unwrap();

    let one = first.acquire(1).await.unwrap();
    let two = timeout(Duration::from_secs(2), second.acquire(2)).await.expect("not blocked").unwrap();

    drop(one);
    drop(two);
    db.drop_database().await;
}

#[tokio::test]
async fn test_a_lease_is_lost_when_its_session_is_killed() {
    let db = TestDb::create().await;
    let leases = PgAdvisoryLeases::new(&db.url, &Uuid::new_v4().to_string()).unwrap();
    let mut lease = leases.acquire(3).await.unwrap();
    let mut admin = PgConnection::connect(&db.url).await.unwrap();

    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'cartcast-lease'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();

    assert_eq!(killed, vec![true]);
    timeout(Duration::from_secs(3), lease.lost()).await.expect("lost within 3 s");
    let again = timeout(Duration::from_secs(2), leases.acquire(3)).await.expect("free again").unwrap();
    drop(again);
    admin.close().await.unwrap();
    db.drop_database().await;
}
