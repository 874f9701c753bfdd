//! The channels view: each creator's channel, the stream key that opens it,
//! its public profile and its follower count.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use cartcast_domain::channel::{ChannelEvent, Link, normalize_handle};
use cartcast_domain::follow::FollowsEvent;
use cartcast_infra::store::StoredEvent;

use crate::read_models::{ReadError, ReadModels, bind_all, placeholders};

/// A channel as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelView {
    /// Its creator's user id.
    pub channel_id: String,
    /// `None` until the creator sets a profile.
    pub handle: Option<String>,
    /// The creator's user id until they set one.
    pub display_name: String,
    pub description: String,
    pub avatar_url: Option<String>,
    pub links: Vec<Link>,
    pub followers: u64,
}

/// Apply one of a channel's events to its row.
pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: ChannelEvent,
) -> Result<(), ReadError> {
    let channel_id = stored.aggregate_id.as_str();
    match event {
        ChannelEvent::ChannelOpened { owner, stream_key, .. } => {
            sqlx::query("INSERT INTO rm_channels (channel_id, owner, stream_key) VALUES ($1, $2, $3) ON CONFLICT (channel_id) DO NOTHING")
                .bind(channel_id)
                .bind(owner)
                .bind(stream_key)
                .execute(&mut **tx)
                .await?;
        }
        ChannelEvent::ChannelProfileSet { profile } => {
            sqlx::query(
                "UPDATE rm_channels SET handle = $1, display_name = $2, description = $3, avatar_url = $4, links = $5 \
                 WHERE channel_id = $6",
            )
            .bind(profile.handle)
            .bind(profile.display_name)
            .bind(profile.description)
            .bind(profile.avatar_url)
            .bind(serde_json::to_string(&profile.links)?)
            .bind(channel_id)
            .execute(&mut **tx)
            .await?;
        }
        ChannelEvent::StreamKeyRegenerated { stream_key } => {
            sqlx::query("UPDATE rm_channels SET stream_key = $1 WHERE channel_id = $2")
                .bind(stream_key)
                .bind(channel_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// A follow or unfollow moves its channel's follower count (each is decided
/// once per user and channel, so the count is exact).
pub(super) async fn apply_follows(tx: &mut Transaction<'static, Any>, event: FollowsEvent) -> Result<(), ReadError> {
    let (channel_id, step) = match event {
        FollowsEvent::ChannelFollowed { channel_id, .. } => (channel_id, 1),
        FollowsEvent::ChannelUnfollowed { channel_id, .. } => (channel_id, -1),
        FollowsEvent::NotificationsRead { .. } => return Ok(()),
    };
    sqlx::query("UPDATE rm_channels SET followers = followers + $1 WHERE channel_id = $2")
        .bind(step as i64)
        .bind(channel_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A channel row; [`channel_view`] reads it.
const CHANNEL_SELECT: &str = "SELECT channel_id, handle, COALESCE(display_name, channel_id), description, avatar_url, \
     links, followers FROM rm_channels";

fn channel_view(r: &sqlx::any::AnyRow) -> Result<ChannelView, ReadError> {
    Ok(ChannelView {
        channel_id: r.get(0),
        handle: r.get(1),
        display_name: r.get(2),
        description: r.get(3),
        avatar_url: r.get(4),
        links: serde_json::from_str(&r.get::<String, _>(5))?,
        followers: r.get::<i64, _>(6) as u64,
    })
}

impl ReadModels {
    /// The channel `key` names: its handle (any case), else its creator's user id.
    pub async fn channel(&self, key: &str) -> Result<Option<ChannelView>, ReadError> {
        let handle = normalize_handle(key).ok();
        let sql = format!(
            "{CHANNEL_SELECT} WHERE handle = $1 OR channel_id = $2 ORDER BY CASE WHEN handle = $1 THEN 0 ELSE 1 END LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(handle).bind(key).fetch_optional(self.pool()).await?;
        row.as_ref().map(channel_view).transpose()
    }

    /// The channel (its owner's id) that `stream_key` currently opens; a
    /// regenerated key no longer matches.
    pub async fn channel_by_stream_key(&self, stream_key: &str) -> Result<Option<String>, ReadError> {
        Ok(sqlx::query_scalar("SELECT channel_id FROM rm_channels WHERE stream_key = $1")
            .bind(stream_key)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The channels of `channel_ids` that exist, in the order given.
    pub async fn channels(&self, channel_ids: &[String]) -> Result<Vec<ChannelView>, ReadError> {
        let sql = format!("{CHANNEL_SELECT} WHERE channel_id IN ({})", placeholders(channel_ids.len()));
        let rows = bind_all(sqlx::query(&sql), channel_ids).fetch_all(self.pool()).await?;
        let mut found: Vec<ChannelView> = rows.iter().map(channel_view).collect::<Result<_, _>>()?;
        found.sort_by_key(|c| channel_ids.iter().position(|id| *id == c.channel_id));
        Ok(found)
    }
}
