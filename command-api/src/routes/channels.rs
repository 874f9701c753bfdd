//! The creator's channel: regenerate its RTMP stream key, which revokes the
//! old one (a leaked key stops working at once).

use axum::extract::State;

use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::StreamKeyRegenerated;

use super::openapi::CommandRefusals;
use crate::auth::Creator;
use crate::command::CommandContext;
use crate::error::ApiError;
use crate::extract::IdempotencyKey;
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
