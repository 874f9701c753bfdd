//! Feeds a projection (the catalog, or the notifications) from the event
//! feed, each with its own checkpoint. Each step applies what is ready
//! (up to a page) and moves the projection's checkpoint in the SAME
//! transaction, so a crash replays nothing twice and skips nothing; an event
//! the projection already applied under another feed position is skipped
//! per aggregate ([`sequences`](crate::sequences)).

use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use cartcast_infra::bus::{BusError, EventFeed, FeedEvent};

use cartcast_infra::store::StoredEvent;
use sqlx::{Any, Transaction};

use crate::read_models::{ReadError, ReadModels};
use crate::{notifications, sequences, views};

/// A projection the runner can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// Products, orders, shows, channels, moderation, polls: what screens read.
    Catalog,
    /// Followers' notifications, fanned out apart so a big channel never holds up the catalog.
    Notifications,
}

impl Projection {
    pub const ALL: [Projection; 2] = [Projection::Catalog, Projection::Notifications];

    /// Its name in `projection_checkpoints` and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Projection::Catalog => views::CATALOG,
            Projection::Notifications => notifications::NOTIFICATIONS,
        }
    }

    async fn apply(
        self,
        tx: &mut Transaction<'static, Any>,
        position: u64,
        event: &StoredEvent,
    ) -> Result<(), ReadError> {
        match self {
            Projection::Catalog => views::apply(tx, position, event).await,
            Projection::Notifications => notifications::apply(tx, position, event).await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("event feed: {0}")]
    Feed(#[from] BusError),
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Applied events up to this position.
    Applied { events: usize, position: u64 },
    /// Nothing new within the wait.
    Idle,
}

/// One projection attached to a feed.
pub struct ProjectionRunner {
    projection: Projection,
    read_models: ReadModels,
    feed: Arc<dyn EventFeed>,
    stream: Option<BoxStream<'static, Result<FeedEvent, BusError>>>,
    position: u64,
}

/// Most events applied in one transaction.
const PAGE: usize = 1000;

impl ProjectionRunner {
    pub fn new(projection: Projection, read_models: ReadModels, feed: Arc<dyn EventFeed>) -> Self {
        Self { projection, read_models, feed, stream: None, position: 0 }
    }

    /// Apply the events that are ready, waiting up to `wait` for the first.
    pub async fn try_process_next(&mut self, wait: Duration) -> Result<Step, ProjectionError> {
        if self.stream.is_none() {
            self.position = self.read_models.checkpoint(self.projection.name()).await?;
            self.stream = Some(self.feed.subscribe(self.position).await?);
        }
        let stream = self.stream.as_mut().expect("subscribed above");
        let mut ready = Vec::new();
        match tokio::time::timeout(wait, stream.next()).await {
            Err(_) => return Ok(Step::Idle),
            Ok(None) => {
                self.stream = None;
                return Ok(Step::Idle);
            }
            Ok(Some(first)) => ready.push(first),
        }
        while ready.len() < PAGE {
            match stream.next().now_or_never() {
                Some(Some(next)) => ready.push(next),
                _ => break,
            }
        }
        let mut tx = self.read_models.pool().begin().await.map_err(ReadError::from)?;
        let mut applied = 0;
        let mut position = self.position;
        for item in ready {
            let feed_event = match item {
                Ok(e) => e,
                Err(e) => {
                    // Resubscribe from the checkpoint on the next step.
                    self.stream = None;
                    return Err(e.into());
                }
            };
            if feed_event.position <= position {
                continue;
            }
            let event = &feed_event.event;
            let name = self.projection.name();
            if sequences::advance(&mut tx, name, event).await? {
                self.projection.apply(&mut tx, feed_event.position, event).await?;
                applied += 1;
            } else {
                warn!(
                    position = feed_event.position,
                    event = %event.msg_id(),
                    projection = name,
                    "already applied this or a later event of the aggregate; skipped"
                );
                metrics::counter!("projection_events_skipped_total", "projection" => name).increment(1);
            }
            position = feed_event.position;
        }
        sqlx::query(
            "INSERT INTO projection_checkpoints (projection, position) VALUES ($1, $2) \
             ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
        )
        .bind(self.projection.name())
        .bind(position as i64)
        .execute(&mut *tx)
        .await
        .map_err(ReadError::from)?;
        tx.commit().await.map_err(ReadError::from)?;
        self.position = position;
        metrics::gauge!("projection_position", "projection" => self.projection.name()).set(position as f64);
        Ok(Step::Applied { events: applied, position })
    }

    /// Keep the projection up to date until `stop`.
    pub async fn run(mut self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            if let Err(e) = self.try_process_next(Duration::from_millis(250)).await {
                warn!(projection = self.projection.name(), error = %e, "projection step failed; retrying");
                self.stream = None;
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}
