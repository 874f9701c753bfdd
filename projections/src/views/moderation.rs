//! The moderation view: each channel's moderators, bans and timeouts and
//! banned words, and each show's slow mode and highlighted message — the
//! rules the live gateways enforce, from the channel's `Moderation` events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use cartcast_domain::moderation::ModerationEvent;
use cartcast_infra::store::StoredEvent;

use crate::read_models::{ReadError, ReadModels};

/// A channel's chat rules, with one show's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRulesView {
    pub channel: ChannelRules,
    pub show: ShowChat,
}

/// What a channel's chat enforces in every show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelRules {
    pub moderators: Vec<String>,
    pub bans: Vec<BanView>,
    pub banned_words: Vec<String>,
}

/// A banned or timed-out user.
#[derive(Debug, Clone, PartialEq)]
pub struct BanView {
    pub user: String,
    /// The end of a timeout; none for a ban.
    pub until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// One show's chat settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShowChat {
    pub slow_mode_s: u32,
    pub highlight: Option<Highlight>,
    /// Only followers (and the creator and moderators) may post.
    pub followers_only: bool,
}

/// The creator's message shown above a show's chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    pub id: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: ModerationEvent,
) -> Result<(), ReadError> {
    let channel_id = stored.aggregate_id.as_str();
    let query = match event {
        ModerationEvent::ModeratorAppointed { user } => sqlx::query(
            "INSERT INTO rm_moderators (channel_id, user_id) VALUES ($1, $2) ON CONFLICT (channel_id, user_id) DO NOTHING",
        )
        .bind(channel_id.to_owned())
        .bind(user),
        ModerationEvent::ModeratorDismissed { user } => {
            sqlx::query("DELETE FROM rm_moderators WHERE channel_id = $1 AND user_id = $2")
                .bind(channel_id.to_owned())
                .bind(user)
        }
        ModerationEvent::UserBanned { user, until, reason, .. } => sqlx::query(
            "INSERT INTO rm_bans (channel_id, user_id, until, reason) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (channel_id, user_id) DO UPDATE SET until = excluded.until, reason = excluded.reason",
        )
        .bind(channel_id.to_owned())
        .bind(user)
        .bind(until.map(|until| until.to_rfc3339()))
        .bind(reason),
        ModerationEvent::UserUnbanned { user, .. } => {
            sqlx::query("DELETE FROM rm_bans WHERE channel_id = $1 AND user_id = $2")
                .bind(channel_id.to_owned())
                .bind(user)
        }
        ModerationEvent::BannedWordsSet { words } => sqlx::query(
            "INSERT INTO rm_banned_words (channel_id, words) VALUES ($1, $2) \
             ON CONFLICT (channel_id) DO UPDATE SET words = excluded.words",
        )
        .bind(channel_id.to_owned())
        .bind(serde_json::to_string(&words)?),
        ModerationEvent::SlowModeSet { show_id, slow_mode_s, .. } => sqlx::query(
            "INSERT INTO rm_show_chat (show_id, slow_mode_s) VALUES ($1, $2) \
             ON CONFLICT (show_id) DO UPDATE SET slow_mode_s = excluded.slow_mode_s",
        )
        .bind(show_id)
        .bind(i64::from(slow_mode_s)),
        ModerationEvent::FollowersOnlySet { show_id, followers_only, .. } => sqlx::query(
            "INSERT INTO rm_show_chat (show_id, followers_only) VALUES ($1, $2) \
             ON CONFLICT (show_id) DO UPDATE SET followers_only = excluded.followers_only",
        )
        .bind(show_id)
        .bind(i64::from(followers_only)),
        ModerationEvent::MessageHighlighted { show_id, message_id, text, at } => {
            let highlight = Highlight { id: message_id, text, at };
            sqlx::query(
                "INSERT INTO rm_show_chat (show_id, highlight) VALUES ($1, $2) \
                 ON CONFLICT (show_id) DO UPDATE SET highlight = excluded.highlight",
            )
            .bind(show_id)
            .bind(serde_json::to_string(&highlight)?)
        }
        // Deleted messages leave the chat's own store; the event is the record of who did it.
        ModerationEvent::ChatMessageDeleted { .. } => return Ok(()),
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

impl ReadModels {
    /// `channel_id`'s chat rules, with `show_id`'s slow mode and highlight.
    pub async fn chat_rules(&self, channel_id: &str, show_id: &str) -> Result<ChatRulesView, ReadError> {
        Ok(ChatRulesView { channel: self.channel_rules(channel_id).await?, show: self.show_chat(show_id).await? })
    }

    /// `channel_id`'s moderators, bans and timeouts (expired ones too) and banned words.
    pub async fn channel_rules(&self, channel_id: &str) -> Result<ChannelRules, ReadError> {
        let moderators = sqlx::query_scalar("SELECT user_id FROM rm_moderators WHERE channel_id = $1 ORDER BY user_id")
            .bind(channel_id)
            .fetch_all(self.pool())
            .await?;
        let bans = sqlx::query("SELECT user_id, until, reason FROM rm_bans WHERE channel_id = $1 ORDER BY user_id")
            .bind(channel_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                let until: Option<String> = row.get(1);
                let until = until.and_then(|until| DateTime::parse_from_rfc3339(&until).ok()).map(|at| at.to_utc());
                BanView { user: row.get(0), until, reason: row.get(2) }
            })
            .collect();
        let words: Option<String> = sqlx::query_scalar("SELECT words FROM rm_banned_words WHERE channel_id = $1")
            .bind(channel_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(ChannelRules {
            moderators,
            bans,
            banned_words: words.map(|json| serde_json::from_str(&json)).transpose()?.unwrap_or_default(),
        })
    }

    /// `show_id`'s slow mode, followers-only mode and highlighted message.
    pub async fn show_chat(&self, show_id: &str) -> Result<ShowChat, ReadError> {
        let row = sqlx::query("SELECT slow_mode_s, highlight, followers_only FROM rm_show_chat WHERE show_id = $1")
            .bind(show_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(ShowChat::default());
        };
        let highlight: Option<String> = row.get(1);
        Ok(ShowChat {
            slow_mode_s: u32::try_from(row.get::<i64, _>(0)).unwrap_or(0),
            highlight: highlight.map(|json| serde_json::from_str(&json)).transpose()?,
            followers_only: row.get::<i64, _>(2) != 0,
        })
    }
}
