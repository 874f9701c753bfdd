//! Creators' channels: set one's profile (claiming its handle), read a
//! channel's page with its live, upcoming and past shows, and regenerate its
//! RTMP stream key, which revokes the old one (a leaked key stops working at once).

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use cartcast_domain::channel::{Link, Profile};
use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::{ChannelProfileSet, StreamKeyRegenerated};
use cartcast_projections::ChannelView;

use super::openapi::{CommandRefusals, ReadRefusals};
use super::shows::Show;
use crate::auth::{Authenticated, Creator};
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/channels/me/stream-key",
    tag = "channels",
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A new stream key; the old one is revoked", body = Answered<StreamKeyRegenerated>),
        (status = 404, description = "`channel_not_found`: schedule a show first; that opens the channel"),
        CommandRefusals,
    ),
)]
pub async fn regenerate_stream_key(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::RegenerateStreamKey).await
}

/// A link a channel shows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelLink {
    #[schema(example = "Shop")]
    pub label: String,
    #[schema(example = "https://shop.example")]
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelProfileRequest {
    /// 3 to 25 of `[a-z0-9_]` once lower-cased; unique across channels.
    #[schema(example = "caras_closet")]
    pub handle: String,
    /// 1 to 50 characters.
    #[schema(example = "Cara's Closet")]
    pub display_name: String,
    /// At most 1000 characters.
    #[serde(default)]
    pub description: String,
    /// An `http(s)` URL.
    pub avatar_url: Option<String>,
    /// At most 5.
    #[serde(default)]
    pub links: Vec<ChannelLink>,
}

#[utoipa::path(
    put,
    path = "/api/v1/channels/me",
    tag = "channels",
    request_body = ChannelProfileRequest,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The channel's profile as set", body = Answered<ChannelProfileSet>),
        (status = 409, description = "`handle_taken`: another channel has this handle", body = ErrorBody),
        (status = 422, description = "`invalid_handle`, or `invalid_input` for another field", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn set_channel_profile(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    JsonBody(body): JsonBody<ChannelProfileRequest>,
) -> Result<CommandReply, ApiError> {
    let links = body.links.into_iter().map(|link| Link { label: link.label, url: link.url }).collect();
    let profile = Profile {
        handle: body.handle,
        display_name: body.display_name,
        description: body.description,
        avatar_url: body.avatar_url,
        links,
    };
    context.send(&state, |_| AppCommand::SetChannelProfile { profile }).await
}

/// A channel as lists (search) carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelCard {
    /// Its creator's user id (a show's `creator`).
    pub channel_id: String,
    /// Absent until the creator sets a profile.
    pub handle: Option<String>,
    pub display_name: String,
    pub description: String,
    pub avatar_url: Option<String>,
    pub links: Vec<ChannelLink>,
    pub followers: u64,
}

impl From<ChannelView> for ChannelCard {
    fn from(channel: ChannelView) -> Self {
        Self {
            links: channel.links.into_iter().map(|link| ChannelLink { label: link.label, url: link.url }).collect(),
            channel_id: channel.channel_id,
            handle: channel.handle,
            display_name: channel.display_name,
            description: channel.description,
            avatar_url: channel.avatar_url,
            followers: channel.followers,
        }
    }
}

/// A channel's page: the channel and its shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    #[serde(flatten)]
    pub channel: ChannelCard,
    /// The show on air now, if any.
    pub live_show: Option<Show>,
    /// Scheduled shows, soonest first.
    pub upcoming: Vec<Show>,
    /// Ended shows, latest first.
    pub past: Vec<Show>,
    /// Whether the signed-in caller follows it (absent for anonymous callers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
}

/// How many upcoming and past shows a channel page lists.
const PAGE_SHOWS: u32 = 20;

#[utoipa::path(
    get,
    path = "/api/v1/channels/{channel}",
    tag = "channels",
    params(("channel" = String, Path, description = "The channel's handle (any case) or its creator's user id"), ReadAfter),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Channel),
        (status = 404, description = "`channel_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn get_channel(
    State(state): State<AppState>,
    user: Option<Authenticated>,
    PathId(key): PathId,
    after: ReadAfter,
) -> Result<Json<Channel>, ApiError> {
    after.wait(&state.read_models).await?;
    let channel = find_channel(&state, &key).await?;
    let read = &state.read_models;
    let shows = |status: &'static str, limit: u32| read.shows_of(&channel.channel_id, status, limit);
    let live = shows("live", 1).await.context("reading a channel's live show")?;
    let upcoming = shows("scheduled", PAGE_SHOWS).await.context("reading a channel's upcoming shows")?;
    let past = shows("ended", PAGE_SHOWS).await.context("reading a channel's past shows")?;
    let following = match user.filter(|user| !user.claims.anonymous) {
        Some(user) => Some(read.follows(&user.actor.sub, &channel.channel_id).await.context("reading a follow")?),
        None => None,
    };
    Ok(Json(Channel {
        live_show: live.into_iter().next().map(Show::card),
        upcoming: upcoming.into_iter().map(Show::card).collect(),
        past: past.into_iter().map(Show::card).collect(),
        channel: channel.into(),
        following,
    }))
}

/// The channel `key` (a handle or a creator's user id) names, or 404 `channel_not_found`.
pub(super) async fn find_channel(state: &AppState, key: &str) -> Result<ChannelView, ApiError> {
    let channel = state.read_models.channel(key).await.context("reading a channel")?;
    channel.ok_or(ApiError::NotFound(NotFound::Channel))
}
