//! The event store: per-aggregate event streams plus the `command_log`, both
//! written in one transaction so a redelivered command finds its recorded
//! answer and events. One adapter per shape: [`sqlite`] and [`postgres`].

pub mod postgres;
mod raw;
pub mod sqlite;

pub use raw::RawEvent;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use cartcast_domain::versions::{self, UpcastError};

use crate::outcome::Outcome;

/// Metadata every event carries: who caused it, through which command and request, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventMetadata {
    pub event_id: Uuid,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    pub actor: String,
    pub occurred_at: DateTime<Utc>,
}

/// One event as stored: the `postgres-es` row shape plus its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// 1-based position within its aggregate's stream.
    pub sequence: u64,
    pub event_type: String,
    pub event_version: String,
    pub payload: serde_json::Value,
    pub metadata: EventMetadata,
}

impl StoredEvent {
    /// `<aggregate>:<id>:<sequence>`: the feed's de-duplication id for this event.
    pub fn msg_id(&self) -> String {
        format!("{}:{}:{}", self.aggregate_type, self.aggregate_id, self.sequence)
    }

    /// The payload as the aggregate's event type, read in place (without a copy of the JSON).
    pub fn payload_as<E: serde::de::DeserializeOwned>(&self) -> Result<E, serde_json::Error> {
        E::deserialize(&self.payload)
    }

    /// This event as its current version reads (see [`cartcast_domain::versions`]):
    /// every read path of the store and the feed passes events through here.
    pub fn upcast(mut self) -> Result<Self, UpcastError> {
        let version = versions::upcast(&self.event_type, &self.event_version, &mut self.payload)?;
        self.event_version = version.to_string();
        Ok(self)
    }

    pub fn key(&self) -> EventKey {
        EventKey {
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            sequence: self.sequence,
        }
    }
}

/// Names one stored event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventKey {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
}

/// A decided command: its answer and the events it produced, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub command_id: Uuid,
    pub outcome: Outcome,
    pub events: Vec<EventKey>,
}

/// What one worker batch writes atomically.
#[derive(Debug, Default, Clone)]
pub struct CommitBatch {
    pub events: Vec<StoredEvent>,
    pub commands: Vec<CommandRecord>,
    /// The batch's side of the feed outbox.
    pub outbox: OutboxUpdate,
}

impl CommitBatch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.commands.is_empty() && self.outbox.published.is_empty()
    }
}

/// The feed outbox (README, "The command path"): every committed batch
/// of events is listed as not yet on the feed, under the partition that wrote
/// it, until its writer says it was published. A worker that acquires a
/// partition publishes what is still listed before it decides anything new,
/// so a dead owner's last batch reaches the feed before its successor's.
#[derive(Debug, Default, Clone)]
pub struct OutboxUpdate {
    /// The partition whose writer commits the batch; its events, if any,
    /// become an outbox entry of this partition.
    pub partition: u32,
    /// Entries of this partition (by [`OutboxEntry::id`]) now on the feed:
    /// forgotten in the same transaction.
    pub published: Vec<u64>,
}

/// One committed batch's events that may not be on the feed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// The lowest store position of the batch's events.
    pub id: u64,
    /// The events' store positions, ascending.
    pub positions: Vec<u64>,
    /// The events, in the same order.
    pub events: Vec<StoredEvent>,
}

impl OutboxEntry {
    /// The entry a commit of `events` at `positions` (batch order) lists, if any.
    pub fn of_commit(positions: Vec<u64>, events: Vec<StoredEvent>) -> Option<Self> {
        let mut pairs: Vec<(u64, StoredEvent)> = positions.into_iter().zip(events).collect();
        pairs.sort_by_key(|(position, _)| *position);
        let id = pairs.first()?.0;
        let (positions, events) = pairs.into_iter().unzip();
        Some(Self { id, positions, events })
    }
}

/// The outbox entry `id` listing `positions` (ascending), its events taken
/// out of `events`; each adapter reads its outbox this way.
fn outbox_entry(
    id: u64,
    positions: Vec<u64>,
    events: &mut std::collections::HashMap<u64, StoredEvent>,
) -> Result<OutboxEntry, StoreError> {
    let events = positions
        .iter()
        .map(|position| {
            events.remove(position).ok_or_else(|| {
                StoreError::Corrupt(serde::de::Error::custom(format!(
                    "the feed outbox names position {position}, which holds no event"
                )))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(OutboxEntry { id, positions, events })
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to one of the batch's streams first (a
    /// partition changed owner under us); nothing of the batch was written.
    #[error("optimistic concurrency conflict on {0}")]
    Conflict(String),
    #[error("event store unavailable: {0}")]
    Unavailable(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("a stored event cannot be read: {0}")]
    Version(#[from] UpcastError),
}

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// All events of one aggregate, in sequence order.
    async fn load(&self, aggregate_type: &str, aggregate_id: &str) -> Result<Vec<StoredEvent>, StoreError>;

    /// Append the batch's events and command records in one transaction,
    /// list the events as an outbox entry of `batch.outbox.partition` (its id
    /// is the lowest of their positions) and forget `batch.outbox.published`.
    /// Returns the store's global position of each event, in batch order.
    async fn commit(&self, batch: &CommitBatch) -> Result<Vec<u64>, StoreError>;

    /// The outbox entries of `partition` not yet said to be published, oldest first.
    async fn unpublished(&self, partition: u32) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The records of those `command_ids` that were already decided.
    async fn recorded(&self, command_ids: &[Uuid]) -> Result<Vec<CommandRecord>, StoreError>;

    /// The events named by `keys` with their global positions, in the order given.
    async fn events(&self, keys: &[EventKey]) -> Result<Vec<(u64, StoredEvent)>, StoreError>;

    /// Every aggregate id of one type (to rebuild hold timers on takeover).
    async fn aggregate_ids(&self, aggregate_type: &str) -> Result<Vec<String>, StoreError>;

    /// Every event in global order after `position`, at most `limit` (replay, audit, embedded feed).
    async fn read_all(&self, after: u64, limit: u32) -> Result<Vec<(u64, StoredEvent)>, StoreError>;

    /// Like [`read_all`](Self::read_all), each event's payload and metadata
    /// as the JSON text stored, at its current version (an export passes it
    /// through without parsing it).
    async fn read_all_raw(&self, after: u64, limit: u32) -> Result<Vec<RawEvent>, StoreError>;

    /// How far the global order is settled: at least the last event's
    /// position, and nothing beyond it is readable yet (0 for an empty store).
    async fn head(&self) -> Result<u64, StoreError>;
}
