//! `GET /api/v1/shows/{id}/chat?from=&to=`: a show's chat by time, from its
//! store of record (JetStream `CHAT`, or the data dir embedded), so a replay
//! of the show's VOD can show each message at the second it was posted.

use anyhow::Context;
use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::ReadRefusals;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::PathId;
use crate::state::AppState;

/// The most messages one answer holds; ask again from the last one's `ts` for more.
pub const MAX_MESSAGES: usize = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatRange {
    /// RFC 3339, or seconds into the show (from when it went live). Default: the start.
    pub from: Option<String>,
    /// RFC 3339, or seconds into the show. Default: now.
    pub to: Option<String>,
    /// At most this many messages (default and most: 1000).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatReplay {
    /// Oldest first; deleted messages are not here.
    pub messages: Vec<ReplayedMessage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayedMessage {
    pub id: String,
    pub user: String,
    /// Plain text, exactly as posted: show it as text, never as markup.
    pub text: String,
    /// RFC 3339.
    pub ts: String,
    /// Seconds into the show's VOD; absent before the show went live.
    pub offset_s: Option<f64>,
    /// `creator` or `moderator`, when one of them posted it.
    pub badge: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/chat",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ChatRange),
    responses(
        (status = 200, description = "The show's chat in the range, oldest first", body = ChatReplay),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: `from`/`to` not a time, or seconds before the show went live", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn chat_replay(
    State(state): State<AppState>,
    PathId(show_id): PathId,
    Query(range): Query<ChatRange>,
) -> Result<Json<ChatReplay>, ApiError> {
    let show = state.read_models.show(&show_id).await.context("reading a show")?;
    let show = show.ok_or(ApiError::NotFound(NotFound::Show))?;
    let live_at = show.live_at.as_deref().and_then(|at| DateTime::parse_from_rfc3339(at).ok()).map(|at| at.to_utc());
    let from = instant("from", range.from.as_deref(), live_at)?.unwrap_or(DateTime::UNIX_EPOCH);
    let to = instant("to", range.to.as_deref(), live_at)?.unwrap_or_else(Utc::now);
    if to < from {
        return Err(ApiError::invalid("to", "comes before `from`"));
    }
    let limit = range.limit.unwrap_or(MAX_MESSAGES).clamp(1, MAX_MESSAGES);
    let messages = state
        .gateway
        .relay()
        .chat_between(&show_id, from, to, limit)
        .await
        .map_err(|error| ApiError::unavailable(error.to_string()))?;
    let messages = messages
        .into_iter()
        .map(|message| ReplayedMessage {
            offset_s: live_at.map(|live_at| (message.ts - live_at).num_milliseconds() as f64 / 1000.0),
            id: message.id,
            user: message.user,
            text: message.text,
            ts: message.ts.to_rfc3339(),
            badge: message.badge.map(|badge| badge.as_str().to_owned()),
        })
        .collect();
    Ok(Json(ChatReplay { messages }))
}

/// A bound of the range: RFC 3339, or seconds into a show that went live at `live_at`.
fn instant(field: &str, raw: Option<&str>, live_at: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.to_utc()));
    }
    let seconds: f64 =
        raw.parse().map_err(|_| ApiError::invalid(field, "an RFC 3339 time or seconds into the show"))?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(ApiError::invalid(field, "seconds into the show are 0 or more"));
    }
    let live_at =
        live_at.ok_or_else(|| ApiError::invalid(field, "the show has not gone live: give an RFC 3339 time"))?;
    let offset = chrono::Duration::milliseconds((seconds * 1000.0) as i64);
    Ok(Some(live_at + offset))
}
