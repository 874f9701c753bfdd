//! The creator's channel: regenerate its RTMP stream key, which revokes the
//! old one (a leaked key stops working at once).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_infra::envelope::AppCommand;

use super::openapi::CommandRefusals;
use crate::auth::Creator;
use crate::command::{CommandContext, CommandReply};
use crate::error::ApiError;
use crate::extract::IdempotencyKey;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamKeyRegenerated {
    pub channel_id: String,
    /// The new RTMP stream name; the previous one no longer authenticates.
    pub stream_key: String,
    pub position: Option<u64>,
}

#[utoipa::path(
    post,
    path = "/api/v1/channels/me/stream-key",
    tag = "channels",
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A new stream key; the old one is revoked", body = StreamKeyRegenerated),
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
