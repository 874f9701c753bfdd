//! Reading the chat's rules back: a show's chat settings and who moderates
//! it (anyone: a viewer page offers moderators their tools), and a channel's
//! moderators, bans and banned words (its creator, for the studio). What
//! the gateways enforce comes from the same view.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_projections::{BanView, ShowChat};

use super::openapi::ReadRefusals;
use crate::auth::{Authenticated, Creator, RoleGate};
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{PathId, ReadAfter};
use crate::state::AppState;

/// How a show's chat is run now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatSettings {
    /// One message per this many seconds per user (0: off).
    pub slow_mode_s: u32,
    /// Only the channel's followers (and its creator and moderators) may post.
    pub followers_only: bool,
    /// The channel's moderators (their messages carry the `moderator` badge anyway).
    pub moderators: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/chat-settings",
    tag = "moderation",
    params(("id" = String, Path, description = "Show id"), ReadAfter),
    responses(
        (status = 200, body = ChatSettings),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn chat_settings(
    State(state): State<AppState>,
    PathId(show_id): PathId,
    after: ReadAfter,
) -> Result<Json<ChatSettings>, ApiError> {
    after.wait(&state.read_models).await?;
    let show = state.read_models.show(&show_id).await.context("reading a show")?;
    let show = show.ok_or(ApiError::NotFound(NotFound::Show))?;
    let ShowChat { slow_mode_s, followers_only, .. } =
        state.read_models.show_chat(&show_id).await.context("reading a show's chat settings")?;
    let rules = state.read_models.channel_rules(&show.creator).await.context("reading a channel's rules")?;
    Ok(Json(ChatSettings { slow_mode_s, followers_only, moderators: rules.moderators }))
}

/// A channel's standing moderation: who moderates, who may not post, which words are refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelModeration {
    pub moderators: Vec<String>,
    /// Bans, and timeouts that have not run out.
    pub bans: Vec<Ban>,
    pub banned_words: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ban {
    pub user: String,
    /// When a timeout ends; absent for a ban.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<BanView> for Ban {
    fn from(ban: BanView) -> Self {
        Self { user: ban.user, until: ban.until, reason: ban.reason }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/channels/me/moderation",
    tag = "moderation",
    params(ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ChannelModeration),
        (status = 403, description = "`forbidden`: not a creator", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn channel_moderation(
    State(state): State<AppState>,
    user: Authenticated,
    after: ReadAfter,
) -> Result<Json<ChannelModeration>, ApiError> {
    user.require(Creator::ROLES)?;
    after.wait(&state.read_models).await?;
    let rules = state.read_models.channel_rules(&user.actor.sub).await.context("reading a channel's rules")?;
    let now = Utc::now();
    Ok(Json(ChannelModeration {
        moderators: rules.moderators,
        bans: rules.bans.into_iter().filter(|ban| ban.until.is_none_or(|until| until > now)).map(Ban::from).collect(),
        banned_words: rules.banned_words,
    }))
}
