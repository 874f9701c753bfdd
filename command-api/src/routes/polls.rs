//! Polls over HTTP: the show's creator opens one and closes it; anyone
//! reads it. Votes come through the live sockets (`realtime`), and every
//! socket of the show sees the counts move within a second.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use cartcast_domain::ids::PollId;
use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::{PollOpened, PollState};
use cartcast_projections::PollView;

use super::openapi::{CommandRefusals, ReadRefusals};
use crate::auth::Creator;
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    /// 1 to 200 characters.
    pub question: String,
    /// 2 to 6 different options, each 1 to 80 characters.
    pub options: Vec<String>,
    /// Closes by itself after this many seconds (10 to 3600); open until closed without.
    pub duration_s: Option<u32>,
    /// Whether a viewer may change their vote while the poll is open (default false).
    #[serde(default)]
    pub changeable: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/polls",
    tag = "polls",
    request_body = PollRequest,
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Open: every socket of the show gets a `poll` frame", body = Answered<PollOpened>),
        (status = 403, description = "`not_creator`: only the show's creator asks", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        (status = 409, description = "`poll_already_open` (close it first) or `wrong_show_status` (the show ended)", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn open_poll(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
    JsonBody(body): JsonBody<PollRequest>,
) -> Result<CommandReply, ApiError> {
    let PollRequest { question, options, duration_s, changeable } = body;
    context.send(&state, |_| AppCommand::OpenPoll { show_id, question, options, duration_s, changeable }).await
}

#[utoipa::path(
    post,
    path = "/api/v1/polls/{id}/close",
    tag = "polls",
    params(("id" = String, Path, description = "Poll id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed with its result (a poll closed already: as it ended)", body = Answered<PollState>),
        (status = 403, description = "`not_creator`: only the show's creator closes", body = ErrorBody),
        (status = 404, description = "`poll_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn close_poll(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(id): PathId,
) -> Result<CommandReply, ApiError> {
    let poll_id = parse_poll_id(&id)?;
    context.send(&state, |_| AppCommand::ClosePoll { poll_id }).await
}

#[utoipa::path(
    get,
    path = "/api/v1/polls/{id}",
    tag = "polls",
    params(("id" = String, Path, description = "Poll id"), ReadAfter),
    responses(
        (status = 200, body = PollView),
        (status = 404, description = "`poll_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn get_poll(
    State(state): State<AppState>,
    PathId(id): PathId,
    after: ReadAfter,
) -> Result<Json<PollView>, ApiError> {
    after.wait(&state.read_models).await?;
    let poll = state.read_models.poll(&id).await.context("reading a poll")?;
    Ok(Json(poll.ok_or(ApiError::NotFound(NotFound::Poll))?))
}

/// A poll id names its show; one that does not parse names no poll.
fn parse_poll_id(id: &str) -> Result<PollId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound(NotFound::Poll))
}
