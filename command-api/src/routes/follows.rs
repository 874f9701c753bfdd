//! Following channels: follow or unfollow one (idempotent, counted once),
//! answered with the channel's follower count as it then stands.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_infra::envelope::AppCommand;

use super::channels::find_channel;
use super::openapi::CommandRefusals;
use crate::auth::Member;
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IdempotencyKey, PathId, ReadAfter};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowState {
    pub channel_id: String,
    pub following: bool,
    /// The channel's followers once this follow (or unfollow) counts.
    pub followers: u64,
    /// Feed position of the change, for `?after=` reads.
    pub position: Option<u64>,
}

#[utoipa::path(
    put,
    path = "/api/v1/channels/{channel}/follow",
    tag = "channels",
    params(("channel" = String, Path, description = "The channel's handle or its creator's user id"), IdempotencyKey, ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Following (a repeat changes nothing)", body = FollowState),
        (status = 404, description = "`channel_not_found`", body = ErrorBody),
        (status = 422, description = "`cannot_follow_self`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn follow(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    PathId(channel): PathId,
    after: ReadAfter,
) -> Result<Response, ApiError> {
    change(state, context, &channel, after, true).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/channels/{channel}/follow",
    tag = "channels",
    params(("channel" = String, Path, description = "The channel's handle or its creator's user id"), IdempotencyKey, ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Not following (a repeat changes nothing)", body = FollowState),
        (status = 404, description = "`channel_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn unfollow(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    PathId(channel): PathId,
    after: ReadAfter,
) -> Result<Response, ApiError> {
    change(state, context, &channel, after, false).await
}

async fn change(
    state: AppState,
    context: CommandContext<Member>,
    channel: &str,
    after: ReadAfter,
    following: bool,
) -> Result<Response, ApiError> {
    // `?after=`: a channel set up just now is found.
    after.wait(&state.read_models).await?;
    let channel_id = find_channel(&state, channel).await?.channel_id;
    let command = |_| {
        let channel_id = channel_id.clone();
        if following { AppCommand::Follow { channel_id } } else { AppCommand::Unfollow { channel_id } }
    };
    let reply = context.send(&state, command).await?;
    if !reply.is_answered() {
        return Ok(reply.into_response());
    }
    let position = reply.position();
    ReadAfter { after: position }.wait(&state.read_models).await?;
    let followers = find_channel(&state, &channel_id).await?.followers;
    Ok(Json(FollowState { channel_id, following, followers, position }).into_response())
}
