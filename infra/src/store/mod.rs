//! The event store: per-aggregate event streams plus the `command_log`, both
//! written in one transaction so a redelivered command finds its recorded
//! answer and events. One adapter per shape: [`sqlite`] and [`postgres`].

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::Outcome;

/// Metadata every event carries (ARCHITECTURE.md "Contracts").
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
}

impl CommitBatch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.commands.is_empty()
    }
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
}

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// All events of one aggregate, in sequence order.
    async fn load(&self, aggregate_type: &str, aggregate_id: &str) -> Result<Vec<StoredEvent>, StoreError>;

    /// Append the batch's events and command records in one transaction.
    /// Returns the store's global position of each event, in batch order.
    async fn commit(&self, batch: &CommitBatch) -> Result<Vec<u64>, StoreError>;

    /// The records of those `command_ids` that were already decided.
    async fn recorded(&self, command_ids: &[Uuid]) -> Result<Vec<CommandRecord>, StoreError>;

    /// The events named by `keys` with their global positions, in the order given.
    async fn events(&self, keys: &[EventKey]) -> Result<Vec<(u64, StoredEvent)>, StoreError>;

    /// Every aggregate id of one type (to rebuild hold timers on takeover).
    async fn aggregate_ids(&self, aggregate_type: &str) -> Result<Vec<String>, StoreError>;

    /// Every event in global order after `position`, at most `limit` (replay, audit, embedded feed).
    async fn read_all(&self, after: u64, limit: u32) -> Result<Vec<(u64, StoredEvent)>, StoreError>;
}
