//! The distributed shape's bus: the command log is the JetStream stream
//! `CMD`, the event feed is `EVENTS`, and partition ownership is a Postgres
//! advisory lock.
//!
//! # Layout
//! - `names`: [`BusNames`], stream names, subjects (optionally under a test prefix) and headers.
//! - `dispatch`: [`CommandBus`](crate::bus::CommandBus) — append a command and
//!   wait for its outcome on this instance's reply subject.
//! - `source`: [`JetStreamSource`], one partition's durable pull consumer.
//! - `feed`: [`EventFeed`](crate::bus::EventFeed) — publish committed events
//!   (de-duplicated by `msg_id`), and ordered subscriptions by stream sequence.
//! - `leases`: [`PgAdvisoryLeases`], single-writer ownership of partitions.

mod dispatch;
mod feed;
mod leases;
mod names;
mod source;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::{Context, GetStreamError, GetStreamErrorKind};
use async_nats::jetstream::stream::{Config as StreamConfig, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, ErrorCode};
use tokio_util::sync::{CancellationToken, DropGuard};
use uuid::Uuid;

use super::BusError;
use dispatch::Waiters;

pub use leases::PgAdvisoryLeases;
pub use names::BusNames;
pub use source::JetStreamSource;

/// How long the command log keeps a command: far longer than any caller waits.
const CMD_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// A retried dispatch within this window is recognised as a duplicate.
const CMD_DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60);
/// A republished event within this window keeps its first feed position.
const EVENTS_DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Both sides of the JetStream command log and the event feed, on one connection.
pub struct JetStreamBus {
    client: async_nats::Client,
    js: Context,
    names: BusNames,
    /// How many partitions commands are spread over; every process must agree.
    partitions: u32,
    /// This instance's reply subject: one subscription serves every dispatch.
    outcome_subject: String,
    /// Dispatches waiting for their outcome, by command id.
    waiters: Arc<Waiters>,
    /// Stops the outcome router when the bus is dropped.
    _router: DropGuard,
}

impl JetStreamBus {
    /// Connects to `nats_url`, creates or updates the `CMD` and `EVENTS`
    /// streams, and subscribes to this instance's outcome subject.
    ///
    /// A stream created here has one replica; where a deployment made it
    /// R3, the update keeps its replica count.
    pub async fn connect(nats_url: &str, names: BusNames, partitions: u32) -> Result<Self, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("cartcast")
            .connect(nats_url)
            .await
            .map_err(|err| unavailable("connect", err))?;
        let js = jetstream::new(client.clone());
        ensure_stream(&js, command_stream(&names)).await?;
        ensure_stream(&js, event_stream(&names)).await?;

        let outcome_subject = names.outcomes(Uuid::new_v4());
        let subscriber =
            client.subscribe(outcome_subject.clone()).await.map_err(|err| unavailable("subscribe to outcomes", err))?;
        let waiters = Arc::new(Waiters::default());
        let stop = CancellationToken::new();
        // Task: routes outcomes on `outcome_subject` to waiting dispatches until the bus drops.
        dispatch::spawn_router(subscriber, Arc::clone(&waiters), stop.clone());

        Ok(Self { client, js, names, partitions, outcome_subject, waiters, _router: stop.drop_guard() })
    }

    /// The command source of `partition`: its durable consumer `worker-p<N>`,
    /// created (or updated) on first use and shared by every later owner.
    pub async fn source(&self, partition: u32) -> Result<JetStreamSource, BusError> {
        if partition >= self.partitions.max(1) {
            return Err(BusError::Unavailable(format!("partition {partition} is outside 0..{}", self.partitions)));
        }
        JetStreamSource::open(&self.js, self.client.clone(), &self.names, partition).await
    }
}

fn command_stream(names: &BusNames) -> StreamConfig {
    StreamConfig {
        name: names.cmd_stream(),
        subjects: vec![names.cmd_subjects()],
        storage: StorageType::File,
        retention: RetentionPolicy::Limits,
        max_age: CMD_MAX_AGE,
        duplicate_window: CMD_DUPLICATE_WINDOW,
        num_replicas: 1,
        ..Default::default()
    }
}

fn event_stream(names: &BusNames) -> StreamConfig {
    StreamConfig {
        name: names.events_stream(),
        subjects: vec![names.events_subjects()],
        storage: StorageType::File,
        retention: RetentionPolicy::Limits,
        duplicate_window: EVENTS_DUPLICATE_WINDOW,
        num_replicas: 1,
        ..Default::default()
    }
}

/// Creates the stream, or updates an existing one to `wanted` while keeping
/// its replica count (replication is the deployment's choice).
pub async fn ensure_stream(js: &Context, wanted: StreamConfig) -> Result<(), BusError> {
    match js.get_stream(&wanted.name).await {
        Ok(stream) => {
            let replicas = stream.cached_info().config.num_replicas;
            js.update_stream(StreamConfig { num_replicas: replicas, ..wanted })
                .await
                .map_err(|err| unavailable("update stream", err))?;
        }
        Err(err) if stream_not_found(&err) => {
            js.create_stream(wanted).await.map_err(|err| unavailable("create stream", err))?;
        }
        Err(err) => return Err(unavailable("look up stream", err)),
    }
    Ok(())
}

fn stream_not_found(err: &GetStreamError) -> bool {
    matches!(err.kind(), GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

/// A NATS failure, with what we were doing.
fn unavailable(doing: &str, err: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(format!("{doing}: {err}"))
}
