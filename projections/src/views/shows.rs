//! The shows view: each show with its products, status and audience, and its clips.
//!
//! Clips live here rather than in a view file of their own: they are
//! [`ShowEvent`]s of the show's own stream, so one exhaustive match below
//! decides what every show event does to the read models.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use cartcast_domain::live_stats::LiveStatsEvent;
use cartcast_domain::show::{Listing, ShowEvent};
use cartcast_infra::store::StoredEvent;

use crate::read_models::{ReadError, ReadModels, bind_all, placeholders};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowView {
    pub show_id: String,
    pub creator: String,
    pub title: String,
    /// `scheduled`, `live`, `ended` or `cancelled`.
    pub status: String,
    pub scheduled_at: Option<String>,
    pub listing: Listing,
    /// The creator's channel's handle, once set.
    pub channel_handle: Option<String>,
    pub product_ids: Vec<String>,
    pub pinned_product_id: Option<String>,
    /// The creator's channel stream key; only shown to the creator.
    pub stream_key: Option<String>,
    /// The last audience count: open live sockets, and of those, players playing.
    pub viewers_connected: u64,
    pub viewers_watching: u64,
    /// The most watching at once, and about how many distinct sessions watched, as last sampled.
    pub peak_viewers: u64,
    pub unique_viewers: u64,
    /// When it went live (RFC 3339): second 0 of its VOD.
    pub live_at: Option<String>,
    pub ended_at: Option<String>,
}

/// A clip of a live show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Clip)]
pub struct ClipView {
    pub clip_id: String,
    pub show_id: String,
    pub requested_by: String,
    pub seconds: u32,
    /// `processing`, `ready` or `failed`.
    pub status: String,
    /// The MP4, once ready.
    pub url: Option<String>,
    /// Why it could not be made, if it failed.
    pub reason: Option<String>,
}

/// Apply one of a show's events to its row or to one of its clips.
pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: ShowEvent,
) -> Result<(), ReadError> {
    let show_id = stored.aggregate_id.as_str();
    match event {
        ShowEvent::ShowScheduled { creator, title, scheduled_at, product_ids, listing, .. } => {
            sqlx::query(
                "INSERT INTO rm_shows (show_id, creator, title, status, scheduled_at, product_ids, pinned_product_id) \
                 VALUES ($1, $2, $3, 'scheduled', $4, $5, NULL) ON CONFLICT (show_id) DO NOTHING",
            )
            .bind(show_id)
            .bind(creator)
            .bind(title.clone())
            .bind(scheduled_at.map(|t| t.to_rfc3339()))
            .bind(serde_json::to_string(&product_ids)?)
            .execute(&mut **tx)
            .await?;
            set_details(tx, show_id, title, listing).await?;
        }
        ShowEvent::ShowDetailsChanged { title, listing } => set_details(tx, show_id, title, listing).await?,
        ShowEvent::ShowRescheduled { scheduled_at } => {
            let sql = "UPDATE rm_shows SET scheduled_at = $1 WHERE show_id = $2";
            set_column(tx, show_id, sql, scheduled_at.to_rfc3339()).await?
        }
        ShowEvent::ShowCancelled => {
            set_column(tx, show_id, "UPDATE rm_shows SET status = $1 WHERE show_id = $2", "cancelled".into()).await?
        }
        ShowEvent::ProductsAttached { product_ids } => attach_products(tx, show_id, product_ids).await?,
        ShowEvent::ProductPinned { product_id, drop } => {
            sqlx::query(
                "INSERT INTO rm_show_pins (show_id, sequence, product_id, drop_pin, pinned_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (show_id, sequence) DO NOTHING",
            )
            .bind(show_id)
            .bind(stored.sequence as i64)
            .bind(product_id.clone())
            .bind(i64::from(drop))
            .bind(stored.metadata.occurred_at.to_rfc3339())
            .execute(&mut **tx)
            .await?;
            set_column(tx, show_id, "UPDATE rm_shows SET pinned_product_id = $1 WHERE show_id = $2", product_id).await?
        }
        ShowEvent::ProductUnpinned { .. } => {
            sqlx::query("UPDATE rm_shows SET pinned_product_id = NULL WHERE show_id = $1")
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
        }
        // Followers' reminders are the notifications projection's; raids are
        // the live rooms' (and the event log's, for the record).
        ShowEvent::ShowReminderDue { .. } | ShowEvent::ShowRaided { .. } | ShowEvent::RaidArrived { .. } => {}
        ShowEvent::ShowWentLive { at } => {
            let sql = "UPDATE rm_shows SET status = 'live', live_at = $1 WHERE show_id = $2";
            set_column(tx, show_id, sql, at.to_rfc3339()).await?
        }
        ShowEvent::ShowEnded { at } => {
            let sql = "UPDATE rm_shows SET status = 'ended', ended_at = $1 WHERE show_id = $2";
            set_column(tx, show_id, sql, at.to_rfc3339()).await?
        }
        ShowEvent::ClipRequested { clip_id, requested_by, seconds } => {
            sqlx::query(
                "INSERT INTO rm_clips (clip_id, show_id, requested_by, seconds, status) \
                 VALUES ($1, $2, $3, $4, 'processing') ON CONFLICT (clip_id) DO NOTHING",
            )
            .bind(clip_id)
            .bind(show_id)
            .bind(requested_by)
            .bind(i64::from(seconds))
            .execute(&mut **tx)
            .await?;
        }
        ShowEvent::ClipReady { clip_id, url } => {
            sqlx::query("UPDATE rm_clips SET status = 'ready', url = $1 WHERE clip_id = $2")
                .bind(url)
                .bind(clip_id)
                .execute(&mut **tx)
                .await?;
        }
        ShowEvent::ClipFailed { clip_id, reason } => {
            sqlx::query("UPDATE rm_clips SET status = 'failed', reason = $1 WHERE clip_id = $2")
                .bind(reason)
                .bind(clip_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// A step's live stats, folded: each show's last viewer counts and
/// audience sample, and the reactions it added per emoji.
#[derive(Default)]
pub(super) struct Stats {
    viewers: BTreeMap<String, (u64, u64)>,
    audience: BTreeMap<String, (u64, u64)>,
    reactions: BTreeMap<(String, String), u64>,
}

impl Stats {
    pub(super) fn record(&mut self, stored: &StoredEvent, event: LiveStatsEvent) {
        let show_id = &stored.aggregate_id;
        match event {
            LiveStatsEvent::ViewersCounted { connected, watching } => {
                self.viewers.insert(show_id.clone(), (connected, watching));
            }
            LiveStatsEvent::AudienceSampled { peak, unique, .. } => {
                self.audience.insert(show_id.clone(), (peak, unique));
            }
            LiveStatsEvent::ReactionsCounted { counts } => {
                for (emoji, count) in counts {
                    *self.reactions.entry((show_id.clone(), emoji)).or_default() += count;
                }
            }
            // Operators read stream health from the media worker's metrics and the
            // event log; chat per minute is the dashboard's.
            LiveStatsEvent::StreamHealthReported { .. } | LiveStatsEvent::ChatCounted { .. } => {}
        }
    }

    /// Write what the step gathered, and start again empty.
    pub(super) async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let Stats { viewers, audience, reactions } = std::mem::take(self);
        for (show_id, (connected, watching)) in viewers {
            sqlx::query("UPDATE rm_shows SET viewers_connected = $1, viewers_watching = $2 WHERE show_id = $3")
                .bind(connected as i64)
                .bind(watching as i64)
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
        }
        for (show_id, (peak, unique)) in audience {
            sqlx::query("UPDATE rm_shows SET peak_viewers = $1, unique_viewers = $2 WHERE show_id = $3")
                .bind(peak as i64)
                .bind(unique as i64)
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
        }
        for ((show_id, emoji), count) in reactions {
            sqlx::query(
                "INSERT INTO rm_show_reactions (show_id, emoji, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (show_id, emoji) DO UPDATE SET count = rm_show_reactions.count + excluded.count",
            )
            .bind(show_id)
            .bind(emoji)
            .bind(count as i64)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Add `product_ids` to the show's products, keeping their order and skipping
/// those already attached.
async fn attach_products(
    tx: &mut Transaction<'static, Any>,
    show_id: &str,
    product_ids: Vec<String>,
) -> Result<(), ReadError> {
    let current: Option<String> = sqlx::query_scalar("SELECT product_ids FROM rm_shows WHERE show_id = $1")
        .bind(show_id)
        .fetch_optional(&mut **tx)
        .await?;
    let mut all: Vec<String> = current.as_deref().map(serde_json::from_str).transpose()?.unwrap_or_default();
    all.extend(product_ids.into_iter().filter(|p| !all.contains(p)).collect::<Vec<_>>());
    set_column(tx, show_id, "UPDATE rm_shows SET product_ids = $1 WHERE show_id = $2", serde_json::to_string(&all)?)
        .await
}

/// The show's title and listing, with one `rm_show_tags` row per tag.
async fn set_details(
    tx: &mut Transaction<'static, Any>,
    show_id: &str,
    title: String,
    listing: Listing,
) -> Result<(), ReadError> {
    sqlx::query("UPDATE rm_shows SET title = $1, category = $2, language = $3, tags = $4 WHERE show_id = $5")
        .bind(title)
        .bind(listing.category)
        .bind(listing.language)
        .bind(serde_json::to_string(&listing.tags)?)
        .bind(show_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM rm_show_tags WHERE show_id = $1").bind(show_id).execute(&mut **tx).await?;
    for tag in listing.tags {
        sqlx::query("INSERT INTO rm_show_tags (show_id, tag) VALUES ($1, $2)")
            .bind(show_id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Run `sql`, an update of one column of the show's row, with `value` as `$1`.
async fn set_column(
    tx: &mut Transaction<'static, Any>,
    show_id: &str,
    sql: &'static str,
    value: String,
) -> Result<(), ReadError> {
    sqlx::query(sql).bind(value).bind(show_id).execute(&mut **tx).await?;
    Ok(())
}

/// A show's columns, with its channel's stream key and handle, from
/// [`SHOW_FROM`]; [`show_view`] reads them (and any columns after them are
/// the caller's).
pub(super) const SHOW_COLUMNS: &str = "s.show_id, s.creator, s.title, s.status, s.scheduled_at, s.product_ids, \
     s.pinned_product_id, c.stream_key, s.viewers_connected, s.viewers_watching, s.live_at, s.ended_at, \
     s.peak_viewers, s.unique_viewers, s.category, s.tags, s.language, c.handle";
pub(super) const SHOW_FROM: &str = "rm_shows s LEFT JOIN rm_channels c ON c.channel_id = s.creator";

/// A clip's columns (of `rm_clips c`); [`clip_view`] reads them.
pub(super) const CLIP_COLUMNS: &str = "c.clip_id, c.show_id, c.requested_by, c.seconds, c.status, c.url, c.reason";

pub(super) fn clip_view(r: &sqlx::any::AnyRow) -> ClipView {
    ClipView {
        clip_id: r.get(0),
        show_id: r.get(1),
        requested_by: r.get(2),
        seconds: r.get::<i64, _>(3) as u32,
        status: r.get(4),
        url: r.get(5),
        reason: r.get(6),
    }
}

/// A row starting with [`SHOW_COLUMNS`].
pub(super) fn show_view(r: &sqlx::any::AnyRow) -> Result<ShowView, ReadError> {
    Ok(ShowView {
        show_id: r.get(0),
        creator: r.get(1),
        title: r.get(2),
        status: r.get(3),
        scheduled_at: r.get(4),
        product_ids: serde_json::from_str(&r.get::<String, _>(5))?,
        pinned_product_id: r.get(6),
        stream_key: r.get(7),
        viewers_connected: r.get::<i64, _>(8) as u64,
        viewers_watching: r.get::<i64, _>(9) as u64,
        live_at: r.get(10),
        ended_at: r.get(11),
        peak_viewers: r.get::<i64, _>(12) as u64,
        unique_viewers: r.get::<i64, _>(13) as u64,
        listing: Listing {
            category: r.get(14),
            tags: serde_json::from_str(&r.get::<String, _>(15))?,
            language: r.get(16),
        },
        channel_handle: r.get(17),
    })
}

impl ReadModels {
    /// Every reaction counted in the show, per emoji.
    pub async fn reaction_totals(&self, show_id: &str) -> Result<BTreeMap<String, u64>, ReadError> {
        let rows = sqlx::query("SELECT emoji, count FROM rm_show_reactions WHERE show_id = $1")
            .bind(show_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(|row| (row.get::<String, _>(0), row.get::<i64, _>(1) as u64)).collect())
    }

    pub async fn show(&self, show_id: &str) -> Result<Option<ShowView>, ReadError> {
        let sql = format!("SELECT {SHOW_COLUMNS} FROM {SHOW_FROM} WHERE s.show_id = $1");
        let row = sqlx::query(&sql).bind(show_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(show_view).transpose()
    }

    /// The shows of `show_ids` that exist, in the order given.
    pub async fn shows(&self, show_ids: &[String]) -> Result<Vec<ShowView>, ReadError> {
        let sql =
            format!("SELECT {SHOW_COLUMNS} FROM {SHOW_FROM} WHERE s.show_id IN ({})", placeholders(show_ids.len()));
        let rows = bind_all(sqlx::query(&sql), show_ids).fetch_all(self.pool()).await?;
        let mut found: Vec<ShowView> = rows.iter().map(show_view).collect::<Result<_, _>>()?;
        found.sort_by_key(|s| show_ids.iter().position(|id| *id == s.show_id));
        Ok(found)
    }

    /// Shows of `creator` with `status`, the soonest (`scheduled`) or latest first, at most `limit`.
    pub async fn shows_of(&self, creator: &str, status: &str, limit: u32) -> Result<Vec<ShowView>, ReadError> {
        let order = if status == "scheduled" {
            "COALESCE(s.scheduled_at, '9999') ASC, s.show_id ASC"
        } else {
            "COALESCE(s.ended_at, s.live_at, s.scheduled_at, '') DESC, s.show_id DESC"
        };
        let sql = format!(
            "SELECT {SHOW_COLUMNS} FROM {SHOW_FROM} WHERE s.creator = $1 AND s.status = $2 ORDER BY {order} LIMIT $3"
        );
        let rows = sqlx::query(&sql).bind(creator).bind(status).bind(i64::from(limit)).fetch_all(self.pool()).await?;
        rows.iter().map(show_view).collect()
    }

    /// The show a creator's stream goes to: the live one, else the scheduled
    /// one due soonest (unscheduled ones after those with a time).
    pub async fn publishable_show(&self, creator: &str) -> Result<Option<String>, ReadError> {
        Ok(sqlx::query_scalar(
            "SELECT show_id FROM rm_shows WHERE creator = $1 AND status IN ('live', 'scheduled') \
             ORDER BY CASE WHEN status = 'live' THEN 0 ELSE 1 END, COALESCE(scheduled_at, '9999'), show_id LIMIT 1",
        )
        .bind(creator)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn clip(&self, clip_id: &str) -> Result<Option<ClipView>, ReadError> {
        let sql = format!("SELECT {CLIP_COLUMNS} FROM rm_clips c WHERE c.clip_id = $1");
        let row = sqlx::query(&sql).bind(clip_id).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(clip_view))
    }
}
