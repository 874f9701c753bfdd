//! The command log, the event feed and partition ownership: how commands
//! reach their single writer and how events reach projections. One adapter
//! per shape: [`inprocess`] (tokio channels and the SQLite store's own global
//! order) and [`jetstream`] (`CMD`, `EVENTS` and Postgres advisory-lock leases).

pub mod inprocess;
pub mod jetstream;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::envelope::CommandEnvelope;
use crate::outcome::Outcome;
use crate::store::StoredEvent;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// No outcome within the caller's deadline; the command stays in the log
    /// and will be decided — a retry with the same key gets its answer.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("command log unavailable: {0}")]
    Unavailable(String),
    #[error("stopped")]
    Closed,
}

/// The caller's side of the command log (the API).
#[async_trait]
pub trait CommandBus: Send + Sync + 'static {
    /// Append the envelope to its partition's log and wait for its outcome.
    async fn dispatch(&self, envelope: CommandEnvelope, timeout: Duration) -> Result<Outcome, BusError>;

    /// Whether a command sent now can reach its log (for `/healthz`).
    fn is_ready(&self) -> bool;
}

/// One command pulled from a partition's log, to be settled exactly once.
pub struct Delivery {
    pub envelope: CommandEnvelope,
    pub handle: Box<dyn DeliveryHandle>,
}

/// How a delivery is answered and acknowledged, per shape.
#[async_trait]
pub trait DeliveryHandle: Send + Sync {
    /// Answer the caller, then acknowledge the command in the log.
    async fn settle(self: Box<Self>, outcome: &Outcome);
    /// Give the command back for redelivery (nothing of it was committed).
    async fn retry(self: Box<Self>);
}

/// A partition owner's side of the command log.
#[async_trait]
pub trait CommandSource: Send {
    /// Wait up to `wait` for commands, then return at most `max` of them in log order.
    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError>;
}

/// One event at its global feed position (the `$all` position). The event
/// is shared: subscribers reading the same stretch of the feed hold one copy.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    pub position: u64,
    pub event: Arc<StoredEvent>,
}

/// The ordered feed of every committed event.
#[async_trait]
pub trait EventFeed: Send + Sync + 'static {
    /// Publish committed events (idempotent per event: `msg_id`); `store_positions`
    /// are the store's positions from `commit`. Returns each event's feed position.
    async fn publish(&self, events: &[StoredEvent], store_positions: &[u64]) -> Result<Vec<u64>, BusError>;

    /// Every event after `position`, then new ones as they come.
    async fn subscribe(&self, after: u64) -> Result<BoxStream<'static, Result<FeedEvent, BusError>>, BusError>;
}

/// A live tap on the feed, for screens: the events of some aggregates as
/// they are published from now on. No history and no redelivery — a
/// follower that falls behind or reconnects reads the read models again.
#[async_trait]
pub trait LiveEvents: Send + Sync + 'static {
    /// Events of the `(aggregate type, aggregate id)` pairs, each
    /// aggregate's in its order, until the stream is dropped.
    async fn follow(&self, aggregates: &[(&str, &str)]) -> Result<BoxStream<'static, StoredEvent>, BusError>;
}

/// Exclusive ownership of partitions (single writer).
#[async_trait]
pub trait PartitionLeases: Send + Sync + 'static {
    /// Wait until this process owns `partition`; the returned lease is held
    /// until dropped or lost. `lost()` resolves when ownership ends.
    async fn acquire(&self, partition: u32) -> Result<Box<dyn Lease>, BusError>;
}

#[async_trait]
pub trait Lease: Send {
    /// Resolves when this process no longer owns the partition.
    async fn lost(&mut self);
}
