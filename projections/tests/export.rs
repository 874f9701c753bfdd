//! The export over many pages of a real SQLite store: every event once, in
//! global order, whether the next page is read ahead or not.

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_infra::store::{CommitBatch, EventMetadata, EventStore, StoredEvent};
use cartcast_projections::replay::{self, Filter, Ndjson};

/// More than two pages of the export's reads.
const EVENTS: u64 = 12_001;

/// A store in `dir` holding [`EVENTS`] events.
async fn a_store_of_many_events(dir: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open(&dir.join("events.sqlite")).await.unwrap();
    let event = |sequence: u64| StoredEvent {
        aggregate_type: "Product".into(),
        aggregate_id: format!("p{}", sequence % 7),
        sequence: sequence / 7 + 1,
        event_type: "StockAdded".into(),
        event_version: "1".into(),
        payload: serde_json::json!({"type": "StockAdded", "added": sequence}),
        metadata: EventMetadata {
            event_id: Uuid::now_v7(),
            command_id: Uuid::nil(),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            actor: "seller-1".into(),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        },
    };
    let all: Vec<StoredEvent> = (0..EVENTS).map(event).collect();
    for batch in all.chunks(2000) {
        store.commit(&CommitBatch { events: batch.to_vec(), ..Default::default() }).await.unwrap();
    }
    store
}

/// The positions and `added` of each exported line.
async fn export(store: &SqliteStore, filter: Filter) -> Vec<(u64, u64)> {
    let mut sink = Ndjson::new(Vec::new());
    replay::export(store, &filter, &mut sink, &mut |_| {}).await.unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    text.lines()
        .map(|line| {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            (line["position"].as_u64().unwrap(), line["payload"]["added"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn every_event_is_exported_once_in_order_across_pages() {
    let dir = std::env::temp_dir().join(format!("cartcast-export-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = a_store_of_many_events(&dir).await;
    let all = export(&store, Filter::default()).await;
    assert_eq!(all.len() as u64, EVENTS);
    assert!(all.iter().zip(1..).all(|((position, added), n)| *position == n && *added == n - 1), "in order, once");

    let limited = export(&store, Filter { limit: Some(7000), after: 10, ..Filter::default() }).await;
    assert_eq!(limited, all[10..7010].to_vec(), "a limit past one page, resumed after 10");
    let bounded = export(&store, Filter { to: Some(11_000), after: 5000, ..Filter::default() }).await;
    assert_eq!(bounded, all[5000..11_000].to_vec(), "a position range across pages");
    std::fs::remove_dir_all(&dir).unwrap();
}
