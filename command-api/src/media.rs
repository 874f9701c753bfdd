//! The media worker's adapter to the rest of Cartcast: stream keys are looked
//! up in the read models, and a show going live or ending is a command on the
//! bus like any other (sent by the `media` actor, idempotent per show).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chrono::Utc;
use uuid::Uuid;

use cartcast_domain::Role;
use cartcast_infra::bus::CommandBus;
use cartcast_infra::envelope::{Actor, AppCommand, CommandEnvelope};
use cartcast_media::hub::{Refusal, ShowDirectory};
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

    fn actor() -> Actor {
        Actor { sub: "media".to_owned(), role: Role::Admin }
    }

    /// Sends `command`; its id is derived from `key`, so a repeat (a publisher
    /// reconnecting) is answered from the first outcome.
    async fn send(&self, key: &str, command: AppCommand) -> anyhow::Result<()> {
        let actor = Self::actor();
        let envelope = CommandEnvelope {
            command_id: CommandEnvelope::command_id_for_key(&actor, key),
            actor,
            correlation_id: Uuid::now_v7(),
            received_at: Utc::now(),
            command,
        };
        let name = envelope.command.name();
        let outcome = self.bus.dispatch(envelope, self.timeout).await.with_context(|| format!("sending {name}"))?;
        anyhow::ensure!(outcome.status < 300, "{name} refused: {}", outcome.body);
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
        self.send(&format!("go-live/{show_id}"), AppCommand::GoLive { show_id: show_id.to_owned() }).await
    }

    async fn ended(&self, show_id: &str) -> anyhow::Result<()> {
        self.send(&format!("end/{show_id}"), AppCommand::EndShow { show_id: show_id.to_owned() }).await
    }
}
