//! `POST /api/v1/shows/{id}/raid`: at the end of a live show its creator
//! sends the audience to another channel's live show. Every socket of the
//! room gets a `raid` frame naming the target, the target's room a `raided`
//! frame with the count, and both shows record it.

use anyhow::Context;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::Raided;

use super::channels::find_channel;
use super::openapi::CommandRefusals;
use crate::auth::Creator;
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaidRequest {
    /// The target channel's handle (or its creator's user id); it must be live.
    #[schema(example = "dans_deals")]
    pub target: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/raid",
    tag = "shows",
    request_body = RaidRequest,
    params(("id" = String, Path, description = "The live show whose audience is sent"), IdempotencyKey, ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sent: the room is told where to go", body = Answered<Raided>),
        (status = 403, description = "`not_creator`", body = ErrorBody),
        (status = 404, description = "`show_not_found`, `channel_not_found`", body = ErrorBody),
        (status = 409, description = "`target_not_live`; `wrong_show_status` when this show is not live", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn raid(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
    after: ReadAfter,
    JsonBody(body): JsonBody<RaidRequest>,
) -> Result<CommandReply, ApiError> {
    // `?after=`: a target channel set up just now is found.
    after.wait(&state.read_models).await?;
    let show = state.read_models.show(&show_id).await.context("reading a show")?;
    let show = show.ok_or(ApiError::NotFound(NotFound::Show))?;
    let target = find_channel(&state, &body.target).await?;
    let live = state.read_models.shows_of(&target.channel_id, "live", 1).await.context("reading a live show")?;
    let target_show = live.into_iter().next().ok_or(ApiError::TargetNotLive)?;
    let name = |handle: Option<String>, id: String| handle.unwrap_or(id);
    context
        .send(&state, |_| AppCommand::Raid {
            show_id,
            target_show_id: target_show.show_id,
            target_channel: name(target.handle, target.channel_id),
            from_channel: name(show.channel_handle, show.creator),
            viewers: show.viewers_connected,
        })
        .await
}
