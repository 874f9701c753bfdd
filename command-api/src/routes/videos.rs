//! `GET /api/v1/channels/{channel}/videos`: a channel's past shows as
//! shoppable replays, a page at a time — each VOD with its duration,
//! thumbnail, peak audience and the second of the VOD each product was
//! pinned at — and, on the first page, its clips; and one show's replay
//! (`GET /api/v1/shows/{id}/video`), for its page.

use anyhow::Context;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::Uri;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use cartcast_projections::{ClipView, Sort, VideoView};

use super::browse::{decode_cursor, encode_cursor};
use super::channels::find_channel;
use super::openapi::ReadRefusals;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{PathId, ReadAfter, page_limit};
use crate::state::AppState;

/// Videos a page lists unless asked otherwise, and most clips listed, latest first.
const LIMIT: u32 = 50;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VideosQuery {
    /// 1 to 100 (default 50).
    // Read as text so that a bad value is answered as `limit`, not as the whole query.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Video {
    pub show_id: String,
    pub title: String,
    /// The HLS playlist, VOD since the show ended.
    pub vod_url: String,
    /// From going live to ending.
    pub duration_s: Option<f64>,
    pub thumbnail_url: String,
    /// The most watching at once.
    pub peak_viewers: u64,
    pub live_at: Option<String>,
    pub ended_at: Option<String>,
    /// In pin order: show each product's card from `offset_s` into the VOD.
    pub pins: Vec<VideoPin>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoPin {
    pub product_id: String,
    /// Seconds into the VOD (0 for a pin made before the show went live).
    pub offset_s: f64,
    /// Pinned as a drop.
    pub drop: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Videos {
    pub items: Vec<Video>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    /// Ready clips of the channel's shows, on the first page (empty on the next ones).
    pub clips: Vec<ClipView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/channels/{channel}/videos",
    tag = "channels",
    params(("channel" = String, Path, description = "The channel's handle or its creator's user id"), VideosQuery, ReadAfter),
    responses(
        (status = 200, body = Videos),
        (status = 400, description = "`invalid_cursor`", body = ErrorBody),
        (status = 404, description = "`channel_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: `limit` outside 1–100", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn channel_videos(
    State(state): State<AppState>,
    PathId(key): PathId,
    uri: Uri,
    after: ReadAfter,
) -> Result<Json<Videos>, ApiError> {
    let query = Query::<VideosQuery>::try_from_uri(&uri).map_err(|e| ApiError::invalid("query", e.body_text()))?.0;
    let limit = match query.limit.as_deref() {
        None => LIMIT,
        given => page_limit(given)?,
    };
    let from = query.cursor.as_deref().map(decode_cursor).transpose()?;
    if from.as_ref().is_some_and(|end| end.sort != Sort::Recent) {
        return Err(ApiError::InvalidCursor);
    }
    after.wait(&state.read_models).await?;
    let channel = find_channel(&state, &key).await?;
    let first_page = from.is_none();
    let page =
        state.read_models.videos(&channel.channel_id, limit, from).await.context("reading a channel's videos")?;
    let clips = if first_page {
        state.read_models.channel_clips(&channel.channel_id, LIMIT).await.context("reading a channel's clips")?
    } else {
        Vec::new()
    };
    Ok(Json(Videos {
        items: page.items.into_iter().map(video).collect(),
        next_cursor: page.next.as_ref().map(encode_cursor),
        clips,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/video",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ReadAfter),
    responses(
        (status = 200, body = Video),
        (status = 404, description = "`video_not_found`: no such show, or it has not ended", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn show_video(
    State(state): State<AppState>,
    PathId(show_id): PathId,
    after: ReadAfter,
) -> Result<Json<Video>, ApiError> {
    after.wait(&state.read_models).await?;
    let found = state.read_models.video(&show_id).await.context("reading a show's replay")?;
    Ok(Json(video(found.ok_or(ApiError::NotFound(NotFound::Video))?)))
}

fn video(VideoView { show, pins }: VideoView) -> Video {
    let time =
        |at: &Option<String>| at.as_deref().and_then(|at| DateTime::parse_from_rfc3339(at).ok()).map(|at| at.to_utc());
    let (live_at, ended_at) = (time(&show.live_at), time(&show.ended_at));
    let seconds = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_milliseconds().max(0) as f64 / 1000.0;
    let pins = pins
        .into_iter()
        .map(|pin| {
            let pinned_at = time(&Some(pin.pinned_at));
            let offset_s = match (live_at, pinned_at) {
                (Some(live_at), Some(pinned_at)) => seconds(live_at, pinned_at),
                _ => 0.0,
            };
            VideoPin { product_id: pin.product_id, offset_s, drop: pin.drop }
        })
        .collect();
    Video {
        vod_url: format!("/hls/{}/master.m3u8", show.show_id),
        thumbnail_url: format!("/hls/{}/thumbs/latest.jpg", show.show_id),
        duration_s: live_at.zip(ended_at).map(|(live_at, ended_at)| seconds(live_at, ended_at)),
        peak_viewers: show.peak_viewers,
        show_id: show.show_id,
        title: show.title,
        live_at: show.live_at,
        ended_at: show.ended_at,
        pins,
    }
}
