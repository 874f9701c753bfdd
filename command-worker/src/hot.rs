//! Aggregates kept hot in memory by their partition's single writer: loaded
//! from the event store on first use, then advanced by the writer's own
//! decisions. Events decided but not yet committed are staged here with
//! their sequence numbers and metadata.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::DomainEvent;
use cqrs_es::event_sink::EventSink;

use cartcast_domain::live_stats::stream_of;
use cartcast_infra::store::{EventKey, EventMetadata, EventStore, StoreError, StoredEvent};

/// One aggregate and the sequence number of its last event.
#[derive(Debug)]
struct Hot<A> {
    state: A,
    version: u64,
}

/// The hot aggregates of one type in one partition.
pub struct HotSet<A: Aggregate> {
    store: Arc<dyn EventStore>,
    aggregates: HashMap<String, Hot<A>>,
}

impl<A> HotSet<A>
where
    A: Aggregate<Services = ()>,
{
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, aggregates: HashMap::new() }
    }

    /// Forget every aggregate, e.g. after a failed commit left memory ahead of the store.
    pub fn clear(&mut self) {
        self.aggregates.clear();
    }

    /// Forget one aggregate, so its next use reads it from the store: for one
    /// another partition writes, when nothing of it is staged in this batch
    /// (then memory holds only what was committed, and the store is as new or newer).
    pub fn forget(&mut self, id: &str) {
        self.aggregates.remove(id);
    }

    async fn hot(&mut self, id: &str) -> Result<&mut Hot<A>, StoreError> {
        if !self.aggregates.contains_key(id) {
            let mut hot = Hot { state: A::default(), version: 0 };
            for stored in self.store.load(A::TYPE, id).await? {
                hot.version = stored.sequence;
                // An event stored here that belongs to another stream today.
                if stream_of(A::TYPE, &stored.event_type) != A::TYPE {
                    continue;
                }
                let event: A::Event = serde_json::from_value(stored.payload)?;
                hot.state.apply(event);
            }
            self.aggregates.insert(id.to_owned(), hot);
        }
        Ok(self.aggregates.get_mut(id).expect("inserted above"))
    }

    /// The aggregate's current state (default when it has no events).
    pub async fn get(&mut self, id: &str) -> Result<&A, StoreError> {
        Ok(&self.hot(id).await?.state)
    }

    /// Decide `command` against the hot state. On success the events are
    /// applied in memory and staged into `staged` with their sequence numbers;
    /// their keys are returned.
    pub async fn execute(
        &mut self,
        id: &str,
        command: A::Command,
        metadata: &EventMetadata,
        staged: &mut Vec<StoredEvent>,
    ) -> Result<Result<Vec<EventKey>, A::Error>, StoreError> {
        let hot = self.hot(id).await?;
        let sink = EventSink::default();
        if let Err(refusal) = hot.state.handle(command, &(), &sink).await {
            return Ok(Err(refusal));
        }
        let mut keys = Vec::new();
        for event in sink.collect().await {
            hot.version += 1;
            let stored = StoredEvent {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: id.to_owned(),
                sequence: hot.version,
                event_type: event.event_type(),
                event_version: event.event_version(),
                payload: serde_json::to_value(&event)?,
                metadata: EventMetadata { event_id: uuid::Uuid::now_v7(), ..metadata.clone() },
            };
            keys.push(stored.key());
            staged.push(stored);
        }
        Ok(Ok(keys))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use cartcast_domain::show::{Show, ShowCommand, ShowStatus};
    use cartcast_infra::store::CommitBatch;
    use cartcast_infra::store::sqlite::SqliteStore;

    use super::*;

    fn stored(sequence: u64, payload: serde_json::Value) -> StoredEvent {
        let command_id = Uuid::now_v7();
        StoredEvent {
            aggregate_type: Show::TYPE.to_owned(),
            aggregate_id: "s1".to_owned(),
            sequence,
            event_type: payload["type"].as_str().unwrap().to_owned(),
            event_version: "1".to_owned(),
            payload,
            metadata: EventMetadata {
                event_id: Uuid::now_v7(),
                command_id,
                correlation_id: command_id,
                causation_id: command_id,
                actor: "cara".to_owned(),
                occurred_at: Utc::now(),
            },
        }
    }

    #[tokio::test]
    async fn a_show_with_samples_recorded_in_its_own_stream_still_loads_and_goes_on() {
        let dir = std::env::temp_dir().join(format!("cartcast-hot-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store: Arc<dyn EventStore> = Arc::new(SqliteStore::open(&dir.join("events.sqlite")).await.unwrap());
        // As shows were stored before samples had a stream of their own.
        let history = vec![
            stored(
                1,
                json!({"type": "ShowScheduled", "show_id": "s1", "creator": "cara", "title": "Drop",
                             "scheduled_at": null, "product_ids": ["p1"]}),
            ),
            stored(2, json!({"type": "ShowWentLive", "at": "2026-11-29T12:00:00Z"})),
            stored(3, json!({"type": "ViewersCounted", "connected": 4, "watching": 3})),
            stored(
                4,
                json!({"type": "StreamHealthReported", "health": {"input_bits_per_second": 1,
                             "frames_per_second": 30.0, "dropped_frames": 0, "encoder_lag_ms": 0}}),
            ),
        ];
        store.commit(&CommitBatch { events: history, ..Default::default() }).await.unwrap();

        let mut shows = HotSet::<Show>::new(store);
        assert_eq!(shows.get("s1").await.unwrap().status, ShowStatus::Live);
        let pin = ShowCommand::Pin { actor: "cara".to_owned(), product_id: "p1".to_owned(), drop: false };
        let mut staged = Vec::new();
        let keys = shows.execute("s1", pin, &stored(0, json!({"type": "-"})).metadata, &mut staged).await.unwrap();
        assert_eq!(keys.unwrap()[0].sequence, 5, "the show's next event follows its stored samples");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_aggregate_another_partition_wrote_is_read_anew_once_forgotten() {
        let dir = std::env::temp_dir().join(format!("cartcast-hot-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store: Arc<dyn EventStore> = Arc::new(SqliteStore::open(&dir.join("events.sqlite")).await.unwrap());
        let scheduled = stored(
            1,
            json!({"type": "ShowScheduled", "show_id": "s1", "creator": "cara", "title": "Drop",
                   "scheduled_at": null, "product_ids": []}),
        );
        store.commit(&CommitBatch { events: vec![scheduled], ..Default::default() }).await.unwrap();
        // Partition A reads the show; partition B (its owner) takes it live.
        let mut a = HotSet::<Show>::new(store.clone());
        assert_eq!(a.get("s1").await.unwrap().status, ShowStatus::Scheduled);
        let live = stored(2, json!({"type": "ShowWentLive", "at": "2026-11-29T12:00:00Z"}));
        store.commit(&CommitBatch { events: vec![live], ..Default::default() }).await.unwrap();
        assert_eq!(a.get("s1").await.unwrap().status, ShowStatus::Scheduled, "A's memory is A's last read");
        a.forget("s1");
        assert_eq!(a.get("s1").await.unwrap().status, ShowStatus::Live, "read anew");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
