//! The `EventStore` contract: the same behaviours checked against every
//! adapter (SQLite and PostgreSQL), each on a fresh store.

use std::collections::HashMap;

use cartcast_domain::channel::{Channel, ChannelEvent};
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_domain::show::{Show, ShowEvent};
use cartcast_domain::versions;
use cartcast_infra::outcome::{Answer, ClipFinished, Outcome};
use cartcast_infra::store::{
    CommandRecord, CommitBatch, EventKey, EventMetadata, EventStore, OutboxEntry, OutboxUpdate, StoreError, StoredEvent,
};
use chrono::{TimeZone, Utc};
use cqrs_es::Aggregate;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn event(aggregate_type: &str, aggregate_id: &str, sequence: u64, command_id: Uuid) -> StoredEvent {
    StoredEvent {
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        event_type: "StockAdded".to_owned(),
        event_version: "1".to_owned(),
        payload: json!({"StockAdded": {"add": sequence, "note": "zeta before alpha", "alpha": 1}}),
        metadata: EventMetadata {
            event_id: Uuid::now_v7(),
            command_id,
            correlation_id: Uuid::new_v4(),
            causation_id: command_id,
            actor: "seller-1".to_owned(),
            occurred_at: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap(),
        },
    }
}

pub fn record(command_id: Uuid, events: &[StoredEvent]) -> CommandRecord {
    CommandRecord {
        command_id,
        outcome: Outcome::answer(Answer::ClipFinished(ClipFinished { clip_id: command_id.to_string() })),
        events: events.iter().map(StoredEvent::key).collect(),
    }
}

pub async fn commit_then_load_round_trips_events_with_metadata(store: &dyn EventStore) {
    let command_id = Uuid::new_v4();
    let events = vec![
        event("Product", "p1", 1, command_id),
        event("Show", "s1", 1, command_id),
        event("Product", "p1", 2, command_id),
    ];

    let positions = store
        .commit(&CommitBatch {
            events: events.clone(),
            commands: vec![record(command_id, &events)],
            ..Default::default()
        })
        .await
        .unwrap();

    assert_eq!(positions.len(), 3);
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "positions follow batch order: {positions:?}");
    assert_eq!(store.load("Product", "p1").await.unwrap(), vec![events[0].clone(), events[2].clone()]);
    assert_eq!(store.load("Show", "s1").await.unwrap(), vec![events[1].clone()]);
    assert!(store.load("Product", "nope").await.unwrap().is_empty());
}

pub async fn commit_conflicting_append_writes_nothing_of_the_batch(store: &dyn EventStore) {
    let first = event("Product", "p1", 1, Uuid::new_v4());
    store.commit(&CommitBatch { events: vec![first.clone()], commands: vec![], ..Default::default() }).await.unwrap();

    let command_id = Uuid::new_v4();
    let events = vec![event("Product", "p2", 1, command_id), event("Product", "p1", 1, command_id)];
    let result = store
        .commit(&CommitBatch {
            events: events.clone(),
            commands: vec![record(command_id, &events)],
            ..Default::default()
        })
        .await;

    assert!(matches!(result, Err(StoreError::Conflict(_))), "got {result:?}");
    assert!(store.load("Product", "p2").await.unwrap().is_empty());
    assert_eq!(store.load("Product", "p1").await.unwrap(), vec![first]);
    assert!(store.recorded(&[command_id]).await.unwrap().is_empty());
    assert_eq!(store.read_all(0, 100).await.unwrap().len(), 1);
}

pub async fn commit_recording_a_command_twice_conflicts(store: &dyn EventStore) {
    let command_id = Uuid::new_v4();
    store
        .commit(&CommitBatch { events: vec![], commands: vec![record(command_id, &[])], ..Default::default() })
        .await
        .unwrap();

    let again = vec![event("Product", "p1", 1, command_id)];
    let result = store
        .commit(&CommitBatch {
            events: again.clone(),
            commands: vec![record(command_id, &again)],
            ..Default::default()
        })
        .await;

    assert!(matches!(result, Err(StoreError::Conflict(_))), "got {result:?}");
    assert!(store.load("Product", "p1").await.unwrap().is_empty());
}

pub async fn recorded_returns_the_outcome_and_event_keys_without_the_feed_position(store: &dyn EventStore) {
    let (decided, other, undecided) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let events = vec![event("Product", "p1", 1, decided), event("Product", "p1", 2, decided)];
    let mut answered = record(decided, &events);
    answered.outcome.position = Some(42);
    let batch = CommitBatch {
        events: events.clone(),
        commands: vec![answered.clone(), record(other, &[])],
        ..Default::default()
    };
    store.commit(&batch).await.unwrap();

    let recorded = store.recorded(&[undecided, other, decided]).await.unwrap();

    answered.outcome.position = None;
    assert_eq!(recorded, vec![record(other, &[]), answered]);
    assert_eq!(
        recorded[1].events,
        vec![
            EventKey { aggregate_type: "Product".into(), aggregate_id: "p1".into(), sequence: 1 },
            EventKey { aggregate_type: "Product".into(), aggregate_id: "p1".into(), sequence: 2 },
        ]
    );
}

pub async fn events_returns_the_named_events_in_the_order_given(store: &dyn EventStore) {
    let command_id = Uuid::new_v4();
    let events = vec![
        event("Product", "p1", 1, command_id),
        event("Product", "p2", 1, command_id),
        event("Product", "p1", 2, command_id),
    ];
    let positions =
        store.commit(&CommitBatch { events: events.clone(), commands: vec![], ..Default::default() }).await.unwrap();

    let keys = vec![events[2].key(), events[0].key(), events[1].key()];
    let found = store.events(&keys).await.unwrap();

    assert_eq!(
        found,
        vec![(positions[2], events[2].clone()), (positions[0], events[0].clone()), (positions[1], events[1].clone())]
    );
}

pub async fn head_is_where_the_global_order_is_settled(store: &dyn EventStore) {
    assert_eq!(store.head().await.unwrap(), 0, "an empty store");
    let command_id = Uuid::new_v4();
    let events = vec![event("Product", "p1", 1, command_id), event("Product", "p1", 2, command_id)];
    let positions = store.commit(&CommitBatch { events, ..Default::default() }).await.unwrap();

    let head = store.head().await.unwrap();

    assert!(head >= positions[1], "head {head} is behind the last event {}", positions[1]);
    assert!(store.read_all(head, 10).await.unwrap().is_empty(), "nothing beyond the head");
}

pub async fn read_all_pages_every_event_in_global_order(store: &dyn EventStore) {
    let command_id = Uuid::new_v4();
    let first = vec![event("Product", "p2", 1, command_id), event("Product", "p1", 1, command_id)];
    // Ids and payloads may hold any character, separators and quotes included.
    let mut awkward = event("Show", "s1\u{1e}\t\"quoted\"\u{1f}\n", 1, command_id);
    awkward.payload = json!({"note": "a\u{1e}b\u{1f}c\td\ne\\\"f"});
    let second = vec![awkward, event("Product", "p2", 2, command_id), event("Product", "p1", 2, command_id)];
    let mut positions =
        store.commit(&CommitBatch { events: first.clone(), commands: vec![], ..Default::default() }).await.unwrap();
    positions.extend(
        store.commit(&CommitBatch { events: second.clone(), commands: vec![], ..Default::default() }).await.unwrap(),
    );
    let committed: Vec<(u64, StoredEvent)> = positions.into_iter().zip(first.into_iter().chain(second)).collect();

    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.read_all(after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some((last, _)) = page.last() else { break };
        after = *last;
        paged.extend(page);
    }

    assert_eq!(paged, committed);
    assert_eq!(store.read_all(committed[2].0, 100).await.unwrap(), committed[3..].to_vec());
}

pub async fn aggregate_ids_lists_each_aggregate_of_a_type_once(store: &dyn EventStore) {
    let command_id = Uuid::new_v4();
    let events = vec![
        event("Product", "p2", 1, command_id),
        event("Product", "p1", 1, command_id),
        event("Product", "p2", 2, command_id),
        event("Show", "s1", 1, command_id),
    ];
    store.commit(&CommitBatch { events, commands: vec![], ..Default::default() }).await.unwrap();

    assert_eq!(store.aggregate_ids("Product").await.unwrap(), vec!["p1".to_owned(), "p2".to_owned()]);
    assert_eq!(store.aggregate_ids("Show").await.unwrap(), vec!["s1".to_owned()]);
    assert!(store.aggregate_ids("Order").await.unwrap().is_empty());
}

pub async fn a_committed_batch_stays_unpublished_until_its_writer_says_so(store: &dyn EventStore) {
    let batch = |events: Vec<StoredEvent>, published: Vec<u64>| CommitBatch {
        events,
        commands: vec![],
        outbox: OutboxUpdate { partition: 3, published },
    };
    let first = vec![event("Product", "p1", 1, Uuid::new_v4()), event("Order", "o1", 1, Uuid::new_v4())];
    let second = vec![event("Product", "p1", 2, Uuid::new_v4())];
    let first_positions = store.commit(&batch(first.clone(), vec![])).await.unwrap();
    let second_positions = store.commit(&batch(second.clone(), vec![])).await.unwrap();
    store
        .commit(&CommitBatch { events: vec![event("Show", "s1", 1, Uuid::new_v4())], ..Default::default() })
        .await
        .unwrap();

    let unpublished = store.unpublished(3).await.unwrap();
    assert_eq!(
        unpublished,
        vec![
            OutboxEntry { id: first_positions[0], positions: first_positions.clone(), events: first },
            OutboxEntry { id: second_positions[0], positions: second_positions.clone(), events: second },
        ],
        "each batch of partition 3 is one entry, oldest first, its events in position order"
    );
    assert_eq!(store.unpublished(4).await.unwrap(), vec![], "another partition's outbox is its own");

    store.commit(&batch(vec![], vec![first_positions[0]])).await.unwrap();
    let left: Vec<u64> = store.unpublished(3).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(left, vec![second_positions[0]], "a commit with nothing but published entries forgets them");

    let third = vec![event("Product", "p1", 3, Uuid::new_v4())];
    let third_positions = store.commit(&batch(third, vec![second_positions[0]])).await.unwrap();
    let left: Vec<u64> = store.unpublished(3).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(left, vec![third_positions[0]], "the next batch forgets what was published before it");
}

pub async fn a_conflicting_batch_leaves_the_outbox_as_it_was(store: &dyn EventStore) {
    let outbox = |published: Vec<u64>| OutboxUpdate { partition: 1, published };
    let first = vec![event("Product", "p1", 1, Uuid::new_v4())];
    let positions =
        store.commit(&CommitBatch { events: first, commands: vec![], outbox: outbox(vec![]) }).await.unwrap();

    let clash = vec![event("Product", "p2", 1, Uuid::new_v4()), event("Product", "p1", 1, Uuid::new_v4())];
    let result =
        store.commit(&CommitBatch { events: clash, commands: vec![], outbox: outbox(vec![positions[0]]) }).await;

    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let left: Vec<u64> = store.unpublished(1).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(left, vec![positions[0]], "neither listed nor forgotten");
}

/// Events as a past build wrote them (`tests/fixtures/events-2026-11-30.ndjson`,
/// exported by `cartcast replay` before `PaymentDeclined` became version 2),
/// committed as they were and read back through the store: each at its
/// type's current version, each payload one the domain reads, and every
/// aggregate rebuilt from them as it stood.
pub async fn events_of_a_past_build_read_as_their_current_versions(store: &dyn EventStore) {
    let past: Vec<StoredEvent> = include_str!("../fixtures/events-2026-11-30.ndjson")
        .lines()
        .map(|line| {
            let line: Value = serde_json::from_str(line).unwrap();
            let text = |key: &str| line[key].as_str().unwrap().to_owned();
            StoredEvent {
                aggregate_type: text("aggregate_type"),
                aggregate_id: text("aggregate_id"),
                sequence: line["sequence"].as_u64().unwrap(),
                event_type: text("type"),
                event_version: text("version"),
                payload: line["payload"].clone(),
                metadata: serde_json::from_value(line["metadata"].clone()).unwrap(),
            }
        })
        .collect();
    store.commit(&CommitBatch { events: past.clone(), ..Default::default() }).await.unwrap();

    let read: Vec<StoredEvent> = store.read_all(0, 100).await.unwrap().into_iter().map(|(_, e)| e).collect();
    assert_eq!(read.len(), past.len());
    let (mut products, mut orders, mut channels, mut shows) =
        (HashMap::<String, Product>::new(), HashMap::<String, Order>::new(), HashMap::new(), HashMap::new());
    for event in &read {
        assert_eq!(event.event_version, versions::current(&event.event_type).to_string(), "{}", event.event_type);
        let id = event.aggregate_id.clone();
        let payload = event.payload.clone();
        match event.aggregate_type.as_str() {
            "Product" => {
                products.entry(id).or_default().apply(serde_json::from_value::<ProductEvent>(payload).unwrap())
            }
            "Order" => orders.entry(id).or_default().apply(serde_json::from_value::<OrderEvent>(payload).unwrap()),
            "Channel" => channels
                .entry(id)
                .or_insert_with(Channel::default)
                .apply(serde_json::from_value::<ChannelEvent>(payload).unwrap()),
            "Show" => shows
                .entry(id)
                .or_insert_with(Show::default)
                .apply(serde_json::from_value::<ShowEvent>(payload).unwrap()),
            other => panic!("the fixture has no {other} events"),
        }
    }
    let declined = read.iter().find(|e| e.event_type == "PaymentDeclined").expect("a declined payment");
    assert_eq!(declined.payload["decline_code"], "card_declined", "version 1's `reason`, renamed");
    let statuses: Vec<&str> = {
        let mut statuses: Vec<&str> = orders.values().map(|order| order.status.as_str()).collect();
        statuses.sort();
        statuses
    };
    assert_eq!(statuses, ["confirmed", "declined"]);
    assert_eq!(products.values().map(|p| p.stock.sold).sum::<u64>(), 1);
    assert_eq!((channels.len(), shows.len()), (1, 1));
    let loaded = store.load("Order", &declined.aggregate_id).await.unwrap();
    assert_eq!(loaded[1].payload, declined.payload, "loading an aggregate upcasts too");
}

/// One `#[tokio::test]` per contract behaviour; `$open` is an async fn
/// returning a fresh store and an async clean-up to run when the test passes.
macro_rules! event_store_contract {
    ($open:path) => {
        #[tokio::test]
        async fn test_commit_then_load_round_trips_events_with_metadata() {
            let (store, cleanup) = $open().await;
            contract::commit_then_load_round_trips_events_with_metadata(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_commit_conflicting_append_writes_nothing_of_the_batch() {
            let (store, cleanup) = $open().await;
            contract::commit_conflicting_append_writes_nothing_of_the_batch(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_commit_recording_a_command_twice_conflicts() {
            let (store, cleanup) = $open().await;
            contract::commit_recording_a_command_twice_conflicts(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_recorded_returns_the_outcome_and_event_keys_without_the_feed_position() {
            let (store, cleanup) = $open().await;
            contract::recorded_returns_the_outcome_and_event_keys_without_the_feed_position(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_events_returns_the_named_events_in_the_order_given() {
            let (store, cleanup) = $open().await;
            contract::events_returns_the_named_events_in_the_order_given(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_head_is_where_the_global_order_is_settled() {
            let (store, cleanup) = $open().await;
            contract::head_is_where_the_global_order_is_settled(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_read_all_pages_every_event_in_global_order() {
            let (store, cleanup) = $open().await;
            contract::read_all_pages_every_event_in_global_order(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_a_committed_batch_stays_unpublished_until_its_writer_says_so() {
            let (store, cleanup) = $open().await;
            contract::a_committed_batch_stays_unpublished_until_its_writer_says_so(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_a_conflicting_batch_leaves_the_outbox_as_it_was() {
            let (store, cleanup) = $open().await;
            contract::a_conflicting_batch_leaves_the_outbox_as_it_was(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_events_of_a_past_build_read_as_their_current_versions() {
            let (store, cleanup) = $open().await;
            contract::events_of_a_past_build_read_as_their_current_versions(store.as_ref()).await;
            cleanup.await;
        }
        #[tokio::test]
        async fn test_aggregate_ids_lists_each_aggregate_of_a_type_once() {
            let (store, cleanup) = $open().await;
            contract::aggregate_ids_lists_each_aggregate_of_a_type_once(store.as_ref()).await;
            cleanup.await;
        }
    };
}
