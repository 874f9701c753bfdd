//! Feeds a projection (the catalog, the notifications or the dashboards)
//! from the event feed, each with its own checkpoint. Each step applies what is ready
//! (up to a page) and moves the projection's checkpoint in the SAME
//! transaction, so a crash replays nothing twice and skips nothing; an event
//! the projection already applied under another feed position is skipped
//! per aggregate ([`sequences`](crate::sequences)).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;
use tracing::{error, warn};

use cartcast_infra::bus::{BusError, EventFeed, FeedEvent};
use cartcast_infra::store::StoredEvent;
use sqlx::{Any, Transaction};

use crate::read_models::{ReadError, ReadModels};
use crate::sequences::Sequences;
use crate::{dashboard, notifications, views};

/// A projection the runner can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projection {
    /// Products, orders, shows, channels, moderation, polls: what screens read.
    Catalog,
    /// Followers' notifications, fanned out apart so a big channel never holds up the catalog.
    Notifications,
    /// Creators' dashboards: each show's audience, activity and sales by the minute.
    Dashboard,
}

impl Projection {
    pub const ALL: [Projection; 3] = [Projection::Catalog, Projection::Notifications, Projection::Dashboard];

    /// Its name in `projection_checkpoints` and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Projection::Catalog => views::CATALOG,
            Projection::Notifications => notifications::NOTIFICATIONS,
            Projection::Dashboard => dashboard::DASHBOARD,
        }
    }

    /// The projection called `name`.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|projection| projection.name() == name)
    }

    /// The tables it writes (a rebuild replaces exactly these).
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Projection::Catalog => &[
                "rm_products",
                "rm_reservations",
                "rm_orders",
                "rm_history",
                "rm_shows",
                "rm_show_tags",
                "rm_show_pins",
                "rm_show_reactions",
                "rm_show_chat",
                "rm_clips",
                "rm_channels",
                "rm_moderators",
                "rm_bans",
                "rm_banned_words",
                "rm_polls",
            ],
            Projection::Notifications => &["rm_followers", "rm_notify_shows", "rm_notifications"],
            Projection::Dashboard => &[
                "rm_dash_shows",
                "rm_dash_products",
                "rm_dash_stock",
                "rm_dash_holds",
                "rm_dash_orders",
                "rm_dash_buyers",
                "rm_dash_minutes",
            ],
        }
    }

    /// Tables the database keeps from its [`tables`](Self::tables) by triggers (search documents).
    pub fn derived_tables(self) -> &'static [&'static str] {
        match self {
            Projection::Catalog => &["rm_search"],
            Projection::Notifications | Projection::Dashboard => &[],
        }
    }

    /// Every table it fills, its per-aggregate sequences included.
    pub fn written_tables(self) -> Vec<&'static str> {
        let kept = self.tables().iter().chain(self.derived_tables());
        kept.copied().chain(["projection_sequences"]).collect()
    }

    /// A fresh page of writes for one step.
    fn page(self) -> Page {
        match self {
            Projection::Catalog => Page::Catalog(Box::default()),
            Projection::Notifications => Page::Notifications,
            Projection::Dashboard => Page::Dashboard(Box::default()),
        }
    }
}

/// What a step's events write, gathered per projection and written once at
/// the end of the step (see [`views::Page`] and [`dashboard::Page`]).
enum Page {
    Catalog(Box<views::Page>),
    /// Notifications are rare beside the rest of the feed: written as they come.
    Notifications,
    Dashboard(Box<dashboard::Page>),
}

impl Page {
    async fn apply(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        position: u64,
        event: &StoredEvent,
    ) -> Result<(), ReadError> {
        match self {
            Page::Catalog(page) => page.apply(tx, position, event).await,
            Page::Notifications => notifications::apply(tx, position, event).await,
            Page::Dashboard(page) => page.apply(tx, position, event).await,
        }
    }

    async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        match self {
            Page::Catalog(page) => page.flush(tx).await,
            Page::Notifications => Ok(()),
            Page::Dashboard(page) => page.flush(tx).await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("event feed: {0}")]
    Feed(#[from] BusError),
    /// An event the projection cannot apply: it stops just before it.
    #[error("parked before event {event} at position {position}, which it cannot apply: {error}")]
    Parked { position: u64, event: String, error: ReadError },
}

/// What one transaction of a step did.
enum Applied {
    /// Applied this many events (the rest were already applied).
    All(usize),
    /// The event at this index of the batch cannot be applied (or, where
    /// `at` is `None`, one of the batch's, written together, cannot be); nothing was.
    Poisoned { at: Option<usize>, error: ReadError },
    /// The checkpoint is not where this runner left it (a rebuild swapped in).
    Moved,
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
    /// Events applied since the runner started, and at how many it next
    /// refreshes its tables' statistics (see [`ReadModels::analyze`]).
    events_applied: u64,
    analyze_at: u64,
}

/// How a step writes its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// Everything at the end: the fewest statements.
    Together,
    /// Each event's writes before the next event: finds the one a database refuses.
    EachAlone,
}

/// Most events applied in one transaction.
const PAGE: usize = 1000;

/// Events ready at once that tell a backlog from a live feed's trickle.
const BACKLOG: usize = 100;

/// How long a step catching up waits for more events to fill its page.
const FILL: Duration = Duration::from_millis(3);

/// Events a runner applies before it first refreshes its tables'
/// statistics; then again each time the count has doubled. A projection
/// catching up on a backlog (a fresh deployment, a rebuild's shadow) fills
/// its tables much faster than autovacuum samples them.
const FIRST_ANALYZE: u64 = 5000;

/// How often a parked projection tries its poison event again.
const PARKED_RETRY: Duration = Duration::from_secs(30);

impl ProjectionRunner {
    pub fn new(projection: Projection, read_models: ReadModels, feed: Arc<dyn EventFeed>) -> Self {
        Self { projection, read_models, feed, stream: None, position: 0, events_applied: 0, analyze_at: FIRST_ANALYZE }
    }

    /// The feed position applied so far (as of the last step).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Apply the events that are ready, waiting up to `wait` for the first.
    /// A poison event — one this projection cannot apply however often it
    /// tries — parks it: what came before it is applied, the checkpoint
    /// stays just before it, and [`ProjectionError::Parked`] names it.
    pub async fn try_process_next(&mut self, wait: Duration) -> Result<Step, ProjectionError> {
        let Some(ready) = self.next_ready(wait).await? else {
            // Nothing waiting: caught up.
            metrics::gauge!("projection_lag_seconds", "projection" => self.projection.name()).set(0.0);
            return Ok(Step::Idle);
        };
        let ready: Vec<FeedEvent> = ready.into_iter().filter(|e| e.position > self.position).collect();
        let mut applied = self.apply(&ready, Writes::Together).await?;
        if let Applied::Poisoned { at: None, .. } = applied {
            // Written together, the page failed: write it event by event to find the one.
            applied = self.apply(&ready, Writes::EachAlone).await?;
        }
        match applied {
            Applied::Moved => {
                self.stream = None;
                Ok(Step::Idle)
            }
            Applied::All(events) => {
                self.events_applied += events as u64;
                if self.events_applied >= self.analyze_at {
                    self.read_models.analyze(&self.projection.written_tables()).await?;
                    self.analyze_at = self.events_applied * 2;
                }
                Ok(self.applied(events, &ready))
            }
            Applied::Poisoned { at, error } => {
                let at = at.unwrap_or(0);
                if at > 0 {
                    self.apply(&ready[..at], Writes::Together).await?;
                }
                // Resubscribe from just before the poison on the next step.
                self.stream = None;
                let poison = &ready[at];
                Err(ProjectionError::Parked { position: poison.position, event: poison.event.msg_id(), error })
            }
        }
    }

    /// The events the feed has ready (at most a page), waiting up to `wait`
    /// for the first; `None` when there are none.
    async fn next_ready(&mut self, wait: Duration) -> Result<Option<Vec<FeedEvent>>, ProjectionError> {
        if self.stream.is_none() {
            self.position = self.read_models.checkpoint(self.projection.name()).await?;
            self.stream = Some(self.feed.subscribe(self.position).await?);
        }
        let stream = self.stream.as_mut().expect("subscribed above");
        let mut ready = Vec::new();
        match tokio::time::timeout(wait, stream.next()).await {
            Err(_) => return Ok(None),
            Ok(None) => {
                self.stream = None;
                return Ok(None);
            }
            Ok(Some(first)) => ready.push(first),
        }
        while ready.len() < PAGE {
            match stream.next().now_or_never() {
                Some(Some(next)) => ready.push(next),
                _ => break,
            }
        }
        // Catching up on a backlog over the network (JetStream hands it over
        // in bursts), wait a moment for the next burst rather than write a
        // short page; a live feed's few events are written at once.
        if ready.len() >= BACKLOG {
            let fill_until = tokio::time::Instant::now() + FILL;
            while ready.len() < PAGE {
                match tokio::time::timeout_at(fill_until, stream.next()).await {
                    Ok(Some(next)) => ready.push(next),
                    _ => break,
                }
            }
        }
        match ready.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(ready) => Ok(Some(ready)),
            Err(e) => {
                // Resubscribe from the checkpoint on the next step.
                self.stream = None;
                Err(e.into())
            }
        }
    }

    /// Apply `events` and move the checkpoint to the last, in one transaction.
    async fn apply(&mut self, events: &[FeedEvent], writes: Writes) -> Result<Applied, ProjectionError> {
        let name = self.projection.name();
        let read_models = self.read_models.clone();
        let _turn = read_models.write_turn().await;
        let mut tx = read_models.pool().begin().await.map_err(ReadError::from)?;
        if lock_checkpoint(&mut tx, name).await? != self.position {
            // A rebuild swapped its copy in: carry on from where it left the checkpoint.
            return Ok(Applied::Moved);
        }
        let mut sequences = Sequences::load(&mut tx, name, events).await?;
        let mut page = self.projection.page();
        let mut applied = 0;
        for (at, feed_event) in events.iter().enumerate() {
            let event = &feed_event.event;
            if !sequences.advance(event) {
                warn!(
                    position = feed_event.position,
                    event = %event.msg_id(),
                    projection = name,
                    "already applied this or a later event of the aggregate; skipped"
                );
                metrics::counter!("projection_events_skipped_total", "projection" => name).increment(1);
                continue;
            }
            let mut written = page.apply(&mut tx, feed_event.position, event).await;
            if written.is_ok() && writes == Writes::EachAlone {
                written = page.flush(&mut tx).await;
            }
            match written {
                Ok(()) => applied += 1,
                // Together, an event's error may come from rows gathered before it
                // (written first when the event writes its own): only alone is it its own.
                Err(error) if error.is_poison() => {
                    return Ok(Applied::Poisoned { at: (writes == Writes::EachAlone).then_some(at), error });
                }
                Err(error) => return Err(error.into()),
            }
        }
        match page.flush(&mut tx).await {
            Ok(()) => {}
            Err(error) if error.is_poison() => return Ok(Applied::Poisoned { at: None, error }),
            Err(error) => return Err(error.into()),
        }
        sequences.store(&mut tx).await?;
        let position = events.last().map_or(self.position, |e| e.position);
        store_checkpoint(&mut tx, name, position).await?;
        tx.commit().await.map_err(ReadError::from)?;
        self.position = position;
        Ok(Applied::All(applied))
    }

    /// Record a step's figures: position, and lag behind the last event's time.
    fn applied(&self, events: usize, ready: &[FeedEvent]) -> Step {
        let name = self.projection.name();
        metrics::gauge!("projection_position", "projection" => name).set(self.position as f64);
        if let Some(last) = ready.last() {
            let lag = Utc::now().signed_duration_since(last.event.metadata.occurred_at);
            metrics::gauge!("projection_lag_seconds", "projection" => name).set(lag.as_seconds_f64().max(0.0));
        }
        Step::Applied { events, position: self.position }
    }

    /// Keep the projection up to date until `stop`.
    /// A parked projection tries again every [`PARKED_RETRY`] (a deploy
    /// that can read the event frees it) and says so in `projection_parked`.
    pub async fn run(mut self, stop: CancellationToken) {
        let name = self.projection.name();
        while !stop.is_cancelled() {
            let pause = match self.try_process_next(Duration::from_millis(250)).await {
                Ok(_) => {
                    metrics::gauge!("projection_parked", "projection" => name).set(0.0);
                    continue;
                }
                Err(e @ ProjectionError::Parked { .. }) => {
                    error!(projection = name, error = %e, "projection parked on a poison event");
                    metrics::gauge!("projection_parked", "projection" => name).set(1.0);
                    PARKED_RETRY
                }
                Err(e) => {
                    warn!(projection = name, error = %e, "projection step failed; retrying");
                    self.stream = None;
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// Lock `projection`'s checkpoint row for the rest of `tx` and read it (0
/// before its first step). Every writer of a projection's rows takes this
/// first, so a runner's step and a rebuild's swap never interleave.
pub(crate) async fn lock_checkpoint(tx: &mut Transaction<'_, Any>, projection: &str) -> Result<u64, ReadError> {
    let position: Option<i64> = sqlx::query_scalar(
        "UPDATE projection_checkpoints SET position = position WHERE projection = $1 RETURNING position",
    )
    .bind(projection)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(position.map_or(0, |p| p as u64))
}

/// Set `projection`'s checkpoint to `position` in `tx`.
pub(crate) async fn store_checkpoint(
    tx: &mut Transaction<'_, Any>,
    projection: &str,
    position: u64,
) -> Result<(), ReadError> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (projection, position) VALUES ($1, $2) \
         ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
    )
    .bind(projection)
    .bind(position as i64)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
