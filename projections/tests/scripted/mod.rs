//! What the projection tests script: stored events at chosen times and
//! feed positions, a feed that delivers them, a fresh SQLite read model,
//! and a runner fed until it is idle.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use futures::stream::{self, BoxStream, StreamExt};
use serde::Serialize;
use uuid::Uuid;

use cartcast_domain::product::Stock;
use cartcast_infra::bus::{BusError, EventFeed, FeedEvent};
use cartcast_infra::store::{EventMetadata, StoredEvent};
use cartcast_projections::ReadModels;
use cartcast_projections::runner::{Projection, ProjectionRunner, Step};

/// A feed that delivers a fixed list of events at the positions given, as
/// JetStream would after a redelivery; it takes no publishes.
pub struct ScriptedFeed(pub Vec<FeedEvent>);

#[async_trait]
impl EventFeed for ScriptedFeed {
    async fn publish(&self, _events: &[StoredEvent], _positions: &[u64]) -> Result<Vec<u64>, BusError> {
        Err(BusError::Unavailable("a scripted feed takes no publishes".into()))
    }

    async fn subscribe(&self, after: u64) -> Result<BoxStream<'static, Result<FeedEvent, BusError>>, BusError> {
        let events: Vec<_> = self.0.iter().filter(|e| e.position > after).cloned().map(Ok).collect();
        Ok(stream::iter(events).chain(stream::pending()).boxed())
    }
}

/// `event` as stored: the `sequence`-th of its aggregate, occurred at `at`.
pub fn stored_at<E: DomainEvent + Serialize>(
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: u64,
    at: DateTime<Utc>,
    event: E,
) -> StoredEvent {
    let command_id = Uuid::new_v4();
    StoredEvent {
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_value(&event).unwrap(),
        metadata: EventMetadata {
            event_id: Uuid::now_v7(),
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
            actor: "buyer-1".to_owned(),
            occurred_at: at,
        },
    }
}

pub fn stock(total: u64, available: u64, reserved: u64, sold: u64) -> Stock {
    Stock { total, available, reserved, sold }
}

/// `events` at feed positions 1, 2, 3, …
pub fn at_positions(events: impl IntoIterator<Item = StoredEvent>) -> Vec<FeedEvent> {
    events.into_iter().zip(1..).map(|(event, position)| FeedEvent { position, event: event.into() }).collect()
}

pub async fn fresh_read_models() -> ReadModels {
    let dir = std::env::temp_dir().join(format!("cartcast-projection-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    ReadModels::connect(&format!("sqlite://{}", dir.join("read.sqlite").display())).await.unwrap()
}

/// Runs a fresh runner of `projection` over `feed` until it is idle; returns its checkpoint.
pub async fn project(read_models: &ReadModels, projection: Projection, feed: Vec<FeedEvent>) -> u64 {
    let mut runner = ProjectionRunner::new(projection, read_models.clone(), Arc::new(ScriptedFeed(feed)));
    while let Step::Applied { .. } = runner.try_process_next(Duration::from_millis(100)).await.unwrap() {}
    read_models.checkpoint(projection.name()).await.unwrap()
}
