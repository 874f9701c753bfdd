//! A channel's replays: its ended shows, a page at a time (the directory's
//! keyset pages, latest first), each with the products it pinned and when
//! (a replay shows each product card at the second it was pinned), and its
//! ready clips. The rows are the shows view's (pins are written
//! there, as `ProductPinned` is a show event); this file only reads.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::browse::{Browse, PageEnd, ShowPage, Sort};
use super::shows::{CLIP_COLUMNS, clip_view};
use super::{ClipView, ShowView};
use crate::read_models::{ReadError, ReadModels, bind_all, placeholders};

/// A page of a channel's replays and where it ended, if more may follow.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoPage {
    pub items: Vec<VideoView>,
    pub next: Option<PageEnd>,
}

/// An ended show and its pins, in pin order.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoView {
    pub show: ShowView,
    pub pins: Vec<PinView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PinView {
    pub product_id: String,
    /// RFC 3339.
    pub pinned_at: String,
    pub drop: bool,
}

impl ReadModels {
    /// One page of `channel_id`'s ended shows, latest first, with their pins.
    pub async fn videos(&self, channel_id: &str, limit: u32, after: Option<PageEnd>) -> Result<VideoPage, ReadError> {
        let page = self
            .browse(&Browse {
                status: "ended".to_owned(),
                category: None,
                tag: None,
                language: None,
                creator: Some(channel_id.to_owned()),
                sort: Sort::Recent,
                limit,
                after,
            })
            .await?;
        let ShowPage { items: shows, next } = page;
        Ok(VideoPage { items: self.with_pins(shows).await?, next })
    }

    /// `show_id`'s replay with its pins, once the show has ended.
    pub async fn video(&self, show_id: &str) -> Result<Option<VideoView>, ReadError> {
        let Some(show) = self.show(show_id).await?.filter(|show| show.status == "ended") else {
            return Ok(None);
        };
        Ok(self.with_pins(vec![show]).await?.pop())
    }

    /// Each show with the products it pinned, in pin order.
    async fn with_pins(&self, shows: Vec<ShowView>) -> Result<Vec<VideoView>, ReadError> {
        let ids: Vec<String> = shows.iter().map(|s| s.show_id.clone()).collect();
        let sql = format!(
            "SELECT show_id, product_id, pinned_at, drop_pin FROM rm_show_pins WHERE show_id IN ({}) \
             ORDER BY show_id, sequence",
            placeholders(ids.len())
        );
        let pins = bind_all(sqlx::query(&sql), &ids).fetch_all(self.pool()).await?;
        Ok(shows
            .into_iter()
            .map(|show| {
                let pins = pins
                    .iter()
                    .filter(|row| row.get::<String, _>(0) == show.show_id)
                    .map(|row| PinView {
                        product_id: row.get(1),
                        pinned_at: row.get(2),
                        drop: row.get::<i64, _>(3) != 0,
                    })
                    .collect();
                VideoView { show, pins }
            })
            .collect())
    }

    /// The ready clips of `channel_id`'s shows, latest show first, at most `limit`.
    pub async fn channel_clips(&self, channel_id: &str, limit: u32) -> Result<Vec<ClipView>, ReadError> {
        let sql = format!(
            "SELECT {CLIP_COLUMNS} FROM rm_clips c JOIN rm_shows s ON s.show_id = c.show_id \
             WHERE s.creator = $1 AND c.status = 'ready' \
             ORDER BY COALESCE(s.ended_at, s.live_at, '') DESC, c.clip_id LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(channel_id).bind(i64::from(limit)).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(clip_view).collect())
    }
}
