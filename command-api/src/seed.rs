//! What a live room starts from, read from the read models: the show's
//! reaction totals recorded before the room opened on this gateway, and its
//! channel's chat rules (read again every few seconds).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use cartcast_projections::ReadModels;
use cartcast_realtime::chat::{Badge, ChatMessage};
use cartcast_realtime::gateway::RoomSeed;
use cartcast_realtime::moderation::ChatRules;

pub struct ReadModelSeed(pub ReadModels);

#[async_trait]
impl RoomSeed for ReadModelSeed {
    async fn reaction_totals(&self, show_id: &str) -> anyhow::Result<BTreeMap<String, u64>> {
        Ok(self.0.reaction_totals(show_id).await?)
    }

    async fn chat_rules(&self, channel: &str, show_id: &str) -> anyhow::Result<ChatRules> {
        let view = self.0.chat_rules(channel, show_id).await?;
        Ok(ChatRules {
            moderators: view.moderators.into_iter().collect(),
            bans: view.bans.into_iter().collect(),
            banned_words: view.banned_words,
            slow_mode: Duration::from_secs(u64::from(view.slow_mode_s)),
            highlight: view.highlight.map(|highlight| ChatMessage {
                id: highlight.id,
                user: channel.to_owned(),
                text: highlight.text,
                ts: highlight.at,
                badge: Some(Badge::Creator),
            }),
        })
    }
}
