//! The channels view: each creator's channel and the stream key that opens it.

use sqlx::{Any, Transaction};

use cartcast_domain::channel::ChannelEvent;
use cartcast_infra::store::StoredEvent;

use crate::read_models::{ReadError, ReadModels};

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

impl ReadModels {
    /// The channel (its owner's id) that `stream_key` currently opens; a
    /// regenerated key no longer matches.
    pub async fn channel_by_stream_key(&self, stream_key: &str) -> Result<Option<String>, ReadError> {
        Ok(sqlx::query_scalar("SELECT channel_id FROM rm_channels WHERE stream_key = $1")
            .bind(stream_key)
            .fetch_optional(self.pool())
            .await?)
    }
}
