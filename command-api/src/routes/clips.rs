//! Clips: ask for the last 30–60 seconds of a live show as an MP4 (202: the
//! media worker cuts it), then read the clip until it is ready.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::ClipRequested;
use cartcast_projections::ClipView;

use super::openapi::{CommandRefusals, ReadRefusals};
use crate::auth::Member;
use crate::command::{CommandContext, new_resource_id};
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClipRequest {
    /// A live show.
    pub show_id: String,
    /// How much of the stream, up to now: 30 to 60.
    #[schema(example = 30)]
    pub seconds: u32,
}

#[utoipa::path(
    post,
    path = "/api/v1/clips",
    tag = "shows",
    request_body = ClipRequest,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Being cut; read `GET /api/v1/clips/{clip_id}` until `ready`", body = Answered<ClipRequested>),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        (status = 409, description = "`wrong_show_status`: the show is not live", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn request_clip(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    JsonBody(body): JsonBody<ClipRequest>,
) -> Result<CommandReply, ApiError> {
    context
        .send(&state, |command_id: Uuid| AppCommand::RequestClip {
            show_id: body.show_id,
            clip_id: new_resource_id(command_id, "clip"),
            seconds: body.seconds,
        })
        .await
}

#[utoipa::path(
    get,
    path = "/api/v1/clips/{id}",
    tag = "shows",
    params(("id" = String, Path, description = "Clip id"), ReadAfter),
    responses(
        (status = 200, body = ClipView),
        (status = 404, description = "`clip_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn get_clip(
    State(state): State<AppState>,
    PathId(clip_id): PathId,
    after: ReadAfter,
) -> Result<Json<ClipView>, ApiError> {
    after.wait(&state.read_models).await?;
    let clip = state.read_models.clip(&clip_id).await.context("reading a clip")?;
    Ok(Json(clip.ok_or(ApiError::NotFound(NotFound::Clip))?))
}
