//! The media worker's adapters to the rest of Cartcast: stream keys are looked
//! up in the read models, a show going live or ending is a command on the bus
//! like any other (sent by the `media` actor, idempotent per show), and pins
//! and audience counts come from the event feed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use cqrs_es::Aggregate;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use cartcast_domain::live_stats::{LiveStats, LiveStatsEvent, StreamHealth, stream_of};
use cartcast_domain::show::{Show, ShowEvent};
use cartcast_infra::bus::{CommandBus, EventFeed};
use cartcast_infra::envelope::{AppCommand, CommandEnvelope};
use cartcast_infra::store::StoredEvent;
use cartcast_media::hls::rendition::Pin;
use cartcast_media::hub::{MediaHub, Refusal, ShowDirectory};
use cartcast_projections::ReadModels;

pub struct BusShowDirectory {
    bus: Arc<dyn CommandBus>,
    read_models: ReadModels,
    timeout: Duration,
}

impl BusShowDirectory {
    pub fn new(bus: Arc<dyn CommandBus>, read_models: ReadModels, timeout: Duration) -> Self {
        Self { bus, read_models, timeout }
    }

    /// Sends `command`; with a `key` its id is derived from it, so a repeat
    /// (a publisher reconnecting) is answered from the first outcome.
    async fn send(&self, key: Option<&str>, command: AppCommand) -> anyhow::Result<()> {
        let envelope = CommandEnvelope::from_system("media", key, command);
        let name = envelope.command.name();
        let outcome = self.bus.dispatch(envelope, self.timeout).await.with_context(|| format!("sending {name}"))?;
        anyhow::ensure!(outcome.is_answer(), "{name} refused: {:?}", outcome.verdict);
        Ok(())
    }
}

#[async_trait]
impl ShowDirectory for BusShowDirectory {
    async fn authorize(&self, stream_key: &str) -> Result<String, Refusal> {
        let unavailable = |e: cartcast_projections::read_models::ReadError| Refusal::Unavailable(e.to_string());
        let channel = self.read_models.channel_by_stream_key(stream_key).await.map_err(unavailable)?;
        let channel = channel.ok_or(Refusal::UnknownKey)?;
        self.read_models.publishable_show(&channel).await.map_err(unavailable)?.ok_or(Refusal::NoShow)
    }

    async fn went_live(&self, show_id: &str) -> anyhow::Result<()> {
        self.send(Some(&format!("go-live/{show_id}")), AppCommand::GoLive { show_id: show_id.to_owned() }).await
    }

    async fn ended(&self, show_id: &str) -> anyhow::Result<()> {
        self.send(Some(&format!("end/{show_id}")), AppCommand::EndShow { show_id: show_id.to_owned() }).await
    }

    async fn clip_finished(&self, show_id: &str, clip_id: &str, outcome: Result<String, String>) -> anyhow::Result<()> {
        let command = AppCommand::FinishClip { show_id: show_id.to_owned(), clip_id: clip_id.to_owned(), outcome };
        self.send(Some(&format!("clip/{clip_id}")), command).await
    }

    async fn stream_health(&self, show_id: &str, health: StreamHealth) -> anyhow::Result<()> {
        self.send(None, AppCommand::ReportStreamHealth { show_id: show_id.to_owned(), health }).await
    }
}

/// Feeds `hub` the show events it acts on — pins (written as DATERANGEs at
/// the moment they were made), audience counts (tiering) and clip requests —
/// from where it last read, until `stop`; reconnects when the feed breaks.
pub async fn follow_shows(feed: Arc<dyn EventFeed>, hub: Arc<MediaHub>, stop: CancellationToken) {
    /// How often, at most, the read position is saved.
    const SAVE_EVERY: Duration = Duration::from_secs(1);
    let mut after = hub.feed_position();
    let mut saved = (after, tokio::time::Instant::now());
    while !stop.is_cancelled() {
        let mut events = match feed.subscribe(after).await {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(%error, "media: event feed not reachable; retrying");
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        loop {
            let next = tokio::select! {
                () = stop.cancelled() => break,
                next = tokio::time::timeout(SAVE_EVERY, events.next()) => next,
            };
            if after != saved.0 && saved.1.elapsed() >= SAVE_EVERY {
                match hub.save_feed_position(after) {
                    Ok(()) => saved = (after, tokio::time::Instant::now()),
                    Err(error) => tracing::warn!(%error, "media: saving the feed position"),
                }
            }
            let fed = match next {
                Err(_) => continue,
                Ok(Some(Ok(fed))) => fed,
                Ok(_) => break,
            };
            after = fed.position;
            act_on(&hub, &fed.event);
        }
    }
    if let Err(error) = hub.save_feed_position(after) {
        tracing::warn!(%error, "media: saving the feed position");
    }
}

/// What the media worker does with one event of the feed.
fn act_on(hub: &Arc<MediaHub>, event: &StoredEvent) {
    let show_id = event.aggregate_id.as_str();
    let stream = stream_of(&event.aggregate_type, &event.event_type);
    if stream == LiveStats::TYPE {
        match event.payload_as::<LiveStatsEvent>() {
            Ok(LiveStatsEvent::ViewersCounted { watching, .. }) => hub.watchers(show_id, watching),
            Ok(
                LiveStatsEvent::StreamHealthReported { .. }
                | LiveStatsEvent::ReactionsCounted { .. }
                | LiveStatsEvent::ChatCounted { .. }
                | LiveStatsEvent::AudienceSampled { .. },
            ) => {}
            Err(error) => tracing::warn!(%show_id, %error, "media: unreadable live-stats event"),
        }
    } else if stream == Show::TYPE {
        match event.payload_as::<ShowEvent>() {
            Ok(ShowEvent::ProductPinned { product_id, .. }) => {
                let pin = Pin { id: format!("pin-{}", event.sequence), product_id, at: event.metadata.occurred_at };
                hub.pin(show_id, pin);
            }
            Ok(ShowEvent::ClipRequested { clip_id, seconds, .. }) => hub.clip(show_id, &clip_id, seconds),
            Ok(_) => {}
            Err(error) => tracing::warn!(%show_id, %error, "media: unreadable show event"),
        }
    }
}
