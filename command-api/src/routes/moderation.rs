//! Chat moderation over HTTP: a channel's creator appoints moderators and
//! sets banned words; creator and moderators ban, time out, unban, delete
//! messages and set slow mode; the creator highlights a message. Each is a
//! command whose event records who did what; the channel's moderation
//! aggregate decides who may. `{channel}` is the channel's id, its
//! creator's user id. Gateways read the resulting rules within seconds;
//! a deletion and a highlight reach the live rooms at once.

use anyhow::Context;
use axum::extract::State;
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use cartcast_domain::moderation::{MAX_SLOW_MODE_S, ModerationAction};
use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::Moderated;
use cartcast_realtime::chat::{Badge, ChatMessage};
use cartcast_realtime::relay::RoomMessage;

use super::openapi::CommandRefusals;
use crate::auth::{Creator, Member};
use crate::command::{CommandContext, new_resource_id};
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, PathPair};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

/// The longest timeout: 14 days.
const MAX_TIMEOUT_S: u64 = 14 * 24 * 3600;

async fn moderate<R>(
    state: &AppState,
    context: CommandContext<R>,
    channel_id: String,
    action: ModerationAction,
) -> Result<CommandReply, ApiError> {
    context.send(state, |_| AppCommand::Moderate { channel_id, action }).await
}

#[utoipa::path(
    put,
    path = "/api/v1/channels/me/moderators/{user}",
    tag = "moderation",
    params(("user" = String, Path, description = "The user to appoint"), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "A moderator of your channel", body = Answered<Moderated>), CommandRefusals),
)]
pub async fn appoint_moderator(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(user): PathId,
) -> Result<CommandReply, ApiError> {
    let channel = context.actor().sub.clone();
    moderate(&state, context, channel, ModerationAction::AppointModerator { user }).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/channels/me/moderators/{user}",
    tag = "moderation",
    params(("user" = String, Path, description = "The moderator to dismiss"), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "No longer a moderator", body = Answered<Moderated>), CommandRefusals),
)]
pub async fn dismiss_moderator(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(user): PathId,
) -> Result<CommandReply, ApiError> {
    let channel = context.actor().sub.clone();
    moderate(&state, context, channel, ModerationAction::DismissModerator { user }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    pub user: String,
    /// A timeout of this many seconds (1 to 1,209,600); without it, a ban.
    pub duration_s: Option<u64>,
    /// For the record; at most 500 characters.
    pub reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/channels/{channel}/bans",
    tag = "moderation",
    request_body = BanRequest,
    params(("channel" = String, Path, description = "The channel: its handle or its creator's user id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Banned (its sockets close with 4403) or timed out (its posts refused)", body = Answered<Moderated>),
        (status = 403, description = "`not_moderator`", body = ErrorBody),
        (status = 409, description = "`cannot_ban_owner`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn ban(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    PathId(channel): PathId,
    JsonBody(body): JsonBody<BanRequest>,
) -> Result<CommandReply, ApiError> {
    let until = match body.duration_s {
        None => None,
        Some(seconds @ 1..=MAX_TIMEOUT_S) => Some(Utc::now() + chrono::Duration::seconds(seconds as i64)),
        Some(_) => return Err(ApiError::invalid("duration_s", "is 1 to 1209600 seconds")),
    };
    let action = ModerationAction::Ban { user: body.user, until, reason: body.reason };
    let channel = channel_id(&state, &channel).await?;
    moderate(&state, context, channel, action).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/channels/{channel}/bans/{user}",
    tag = "moderation",
    params(("channel" = String, Path, description = "The channel: its handle or its creator's user id"), ("user" = String, Path, description = "The user"), IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "Unbanned (`changed` false when not banned)", body = Answered<Moderated>), CommandRefusals),
)]
pub async fn unban(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    PathPair(channel, user): PathPair,
) -> Result<CommandReply, ApiError> {
    let channel = channel_id(&state, &channel).await?;
    moderate(&state, context, channel, ModerationAction::Unban { user }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BannedWordsRequest {
    /// Words or phrases (any case; at most 200, each at most 50 characters).
    pub words: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/channels/me/banned-words",
    tag = "moderation",
    request_body = BannedWordsRequest,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses((status = 200, description = "The list replaced", body = Answered<Moderated>), CommandRefusals),
)]
pub async fn set_banned_words(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    JsonBody(body): JsonBody<BannedWordsRequest>,
) -> Result<CommandReply, ApiError> {
    let channel = context.actor().sub.clone();
    moderate(&state, context, channel, ModerationAction::SetBannedWords { words: body.words }).await
}

/// The id of the channel `key` names (a handle or a user id); a key no
/// channel answers to is taken as a user id, and the moderation aggregate decides.
async fn channel_id(state: &AppState, key: &str) -> Result<String, ApiError> {
    let channel = state.read_models.channel(key).await.context("reading a channel")?;
    Ok(channel.map_or_else(|| key.to_owned(), |channel| channel.channel_id))
}

/// The channel a show belongs to: its creator's.
async fn channel_of(state: &AppState, show_id: &str) -> Result<String, ApiError> {
    let show = state.read_models.show(show_id).await.context("reading a show")?;
    Ok(show.ok_or(ApiError::NotFound(NotFound::Show))?.creator)
}

#[utoipa::path(
    delete,
    path = "/api/v1/shows/{id}/chat/{message_id}",
    tag = "moderation",
    params(("id" = String, Path, description = "Show id"), ("message_id" = String, Path, description = "Message id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Gone for everyone, live and in history", body = Answered<Moderated>),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn delete_message(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    PathPair(show_id, message_id): PathPair,
) -> Result<CommandReply, ApiError> {
    let channel = channel_of(&state, &show_id).await?;
    let action = ModerationAction::DeleteMessage { show_id: show_id.clone(), message_id: message_id.clone() };
    let reply = moderate(&state, context, channel, action).await?;
    if reply.is_answered() {
        // The event records who deleted it; the chat's store and the rooms lose it now.
        let relay = state.gateway.relay();
        relay.delete_chat(&show_id, &message_id).await.map_err(|error| ApiError::unavailable(error.to_string()))?;
    }
    Ok(reply)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettingsRequest {
    /// One message per this many seconds per user (0 to 3600; 0 is off).
    pub slow_mode_s: Option<u32>,
    /// Only the channel's followers (and its creator and moderators) may post.
    pub followers_only: Option<bool>,
}

#[utoipa::path(
    put,
    path = "/api/v1/shows/{id}/chat-settings",
    tag = "moderation",
    request_body = ChatSettingsRequest,
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Set; gateways apply it within seconds", body = Answered<Moderated>),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: neither setting given, or `slow_mode_s` over 3600", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn set_chat_settings(
    State(state): State<AppState>,
    context: CommandContext<Member>,
    PathId(show_id): PathId,
    JsonBody(body): JsonBody<ChatSettingsRequest>,
) -> Result<CommandReply, ApiError> {
    if body.slow_mode_s.is_some_and(|s| s > MAX_SLOW_MODE_S) {
        return Err(ApiError::invalid("slow_mode_s", "is 0 to 3600"));
    }
    if body.slow_mode_s.is_none() && body.followers_only.is_none() {
        return Err(ApiError::invalid("body", "give slow_mode_s, followers_only or both"));
    }
    let channel = channel_of(&state, &show_id).await?;
    let action = ModerationAction::SetChatSettings {
        show_id,
        slow_mode_s: body.slow_mode_s,
        followers_only: body.followers_only,
    };
    moderate(&state, context, channel, action).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HighlightRequest {
    /// Plain text, 1 to 500 characters.
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/highlight",
    tag = "moderation",
    request_body = HighlightRequest,
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Shown above the chat on every socket of the show", body = Answered<Moderated>),
        (status = 403, description = "`not_owner`: only the show's creator highlights", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn highlight(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
    JsonBody(body): JsonBody<HighlightRequest>,
) -> Result<CommandReply, ApiError> {
    let channel = channel_of(&state, &show_id).await?;
    let at = Utc::now();
    let text = body.text.trim().to_owned();
    let mut message_id = String::new();
    let show = show_id.clone();
    let reply = context
        .send(&state, |command_id| {
            message_id = new_resource_id(command_id, "highlight");
            let action =
                ModerationAction::Highlight { show_id: show, message_id: message_id.clone(), text: text.clone(), at };
            AppCommand::Moderate { channel_id: channel.clone(), action }
        })
        .await?;
    if reply.is_answered() {
        let message = ChatMessage { id: message_id, user: channel, text, ts: at, badge: Some(Badge::Creator) };
        let room = state.gateway.relay();
        room.publish(&show_id, &RoomMessage::Highlight { message })
            .await
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
    }
    Ok(reply)
}
