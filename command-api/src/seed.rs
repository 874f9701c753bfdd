//! What a live room starts from, read from the read models: the show's
//! reaction totals recorded before the room opened on this gateway, its
//! channel's chat rules (read again every few seconds), its products, pin
//! and latest poll; and the notifications a user's socket pushes.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use cartcast_infra::dashboard::Dashboard;
use cartcast_infra::outcome::{PollState, ProductAnswer, StockLevels};
use cartcast_projections::notifications::NOTIFICATIONS;
use cartcast_projections::{ChatRulesView, PollView, ProductView, ReadModels};
use cartcast_realtime::chat::{Badge, ChatMessage};
use cartcast_realtime::gateway::{RoomSeed, ShowState};
use cartcast_realtime::inbox::{Notice, NoticeSource};
use cartcast_realtime::moderation::ChatRules;

pub struct ReadModelSeed(pub ReadModels);

#[async_trait]
impl RoomSeed for ReadModelSeed {
    async fn reaction_totals(&self, show_id: &str) -> anyhow::Result<BTreeMap<String, u64>> {
        Ok(self.0.reaction_totals(show_id).await?)
    }

    async fn chat_rules(&self, channel: &str, show_id: &str) -> anyhow::Result<ChatRules> {
        let ChatRulesView { channel: rules, show } = self.0.chat_rules(channel, show_id).await?;
        Ok(ChatRules {
            moderators: rules.moderators.into_iter().collect(),
            bans: rules.bans.into_iter().map(|ban| (ban.user, ban.until)).collect(),
            banned_words: rules.banned_words,
            slow_mode: Duration::from_secs(u64::from(show.slow_mode_s)),
            followers_only: show.followers_only,
            highlight: show.highlight.map(|highlight| ChatMessage {
                id: highlight.id,
                user: channel.to_owned(),
                text: highlight.text,
                ts: highlight.at,
                badge: Some(Badge::Creator),
            }),
        })
    }

    async fn show_state(&self, show_id: &str) -> anyhow::Result<ShowState> {
        let Some(show) = self.0.show(show_id).await? else {
            return Ok(ShowState::default());
        };
        let pinned = match &show.pinned_product_id {
            Some(product_id) => self.product(product_id).await?,
            None => None,
        };
        let poll = self.0.latest_poll(show_id).await?.map(poll_state);
        Ok(ShowState { product_ids: show.product_ids, pinned, poll })
    }

    async fn product(&self, product_id: &str) -> anyhow::Result<Option<ProductAnswer>> {
        Ok(self.0.product(product_id).await?.map(product))
    }

    async fn follows(&self, user: &str, channel: &str) -> anyhow::Result<bool> {
        Ok(self.0.follows(user, channel).await?)
    }

    async fn dashboard(&self, show_id: &str) -> anyhow::Result<Option<Dashboard>> {
        Ok(self.0.dashboard(show_id).await?.map(|found| found.dashboard))
    }
}

fn product(view: ProductView) -> ProductAnswer {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    ProductAnswer {
        product_id: view.product_id,
        seller: view.seller,
        sku: view.sku,
        title: view.title,
        price_minor: view.price_minor,
        currency: Some(view.currency),
        stock: StockLevels {
            total: count(view.stock.total),
            available: count(view.stock.available),
            reserved: count(view.stock.reserved),
            sold: count(view.stock.sold),
        },
    }
}

fn poll_state(view: PollView) -> PollState {
    PollState {
        poll_id: view.poll_id,
        question: view.question,
        options: view.options,
        counts: view.counts,
        open: view.open,
        changeable: view.changeable,
        closes_at: view.closes_at,
        version: view.version,
    }
}

/// A user socket's notifications, from the notifications projection.
#[async_trait]
impl NoticeSource for ReadModelSeed {
    async fn written_up_to(&self) -> anyhow::Result<u64> {
        Ok(self.0.checkpoint(NOTIFICATIONS).await?)
    }

    async fn notices(&self, users: &[String], after: u64, up_to: u64) -> anyhow::Result<Vec<(String, Notice)>> {
        let found = self.0.notifications_between(users, after, up_to).await?;
        Ok(found
            .into_iter()
            .map(|(user, view)| {
                let notice = Notice {
                    id: view.id,
                    kind: view.kind,
                    show_id: view.show_id,
                    show_title: view.show_title,
                    channel: view.channel,
                    channel_name: view.channel_name,
                    product_id: view.product_id,
                    at: view.at,
                };
                (user, notice)
            })
            .collect())
    }
}
