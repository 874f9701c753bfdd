//! Aggregates kept hot in memory by their partition's single writer: loaded
//! from the event store on first use, then advanced by the writer's own
//! decisions. Events decided but not yet committed are staged here with
//! their sequence numbers and metadata.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::DomainEvent;
use cqrs_es::event_sink::EventSink;

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

    async fn hot(&mut self, id: &str) -> Result<&mut Hot<A>, StoreError> {
        if !self.aggregates.contains_key(id) {
            let mut hot = Hot { state: A::default(), version: 0 };
            for stored in self.store.load(A::TYPE, id).await? {
                let event: A::Event = serde_json::from_value(stored.payload)?;
                hot.state.apply(event);
                hot.version = stored.sequence;
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
