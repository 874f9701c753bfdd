//! `GET /api/v1/shows/{id}/live?token=…`: a viewer's socket to a show. The
//! API checks the token and the show, seats the viewer in the show's room on
//! this process's gateway, then hands the upgraded socket to it
//! (`cartcast_realtime::socket`; protocol in `realtime/PROTOCOL.md`).

use std::time::{Duration, SystemTime};

use anyhow::Context;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;

use cartcast_domain::Role;
use cartcast_realtime::chat::Badge;
use cartcast_realtime::room::Viewer;
use cartcast_realtime::socket::{self, BUFFER, LONGEST_STAY, MAX_MESSAGE};

use crate::auth::{AuthError, Authenticated};
use crate::error::{ApiError, NotFound};
use crate::extract::PathId;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/live",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ("token" = String, Query, description = "Bearer token")),
    responses(
        (status = 101, description = "WebSocket: `heartbeat`, `chat`, `react` and `vote` frames in; `chat`, `chat_deleted`, `viewers`, `reactions`, `highlight`, `poll`, `voted`, `pinned`, `stock` and `error` frames out (realtime/PROTOCOL.md). A missing or forged token is closed at once with 4401, an expired one with 4440"),
        (status = 404, description = "`show_not_found`"),
    ),
)]
pub async fn live_socket(
    State(state): State<AppState>,
    user: Result<Authenticated, ApiError>,
    PathId(show_id): PathId,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // A browser cannot read an upgrade's HTTP status: a bad token is told with a close code.
    let user = match user {
        Ok(user) => user,
        Err(ApiError::Unauthorized(error)) => {
            let (code, reason) = match error {
                AuthError::Expired => (socket::close::TOKEN_EXPIRED, "token expired"),
                AuthError::Missing | AuthError::Malformed | AuthError::BadSignature => {
                    (socket::close::BAD_TOKEN, "no valid token")
                }
            };
            return Ok(upgrade.on_upgrade(move |ws| socket::refuse(ws, code, reason)));
        }
        Err(other) => return Err(other),
    };
    let channel = match state.gateway.channel_of(&show_id) {
        Some(channel) => channel,
        None => {
            let show = state.read_models.show(&show_id).await.context("reading a show")?;
            show.ok_or(ApiError::NotFound(NotFound::Show))?.creator
        }
    };
    let badge = if user.is(&channel) {
        Some(Badge::Creator)
    } else {
        matches!(user.actor.role, Role::Moderator | Role::Admin).then_some(Badge::Moderator)
    };
    let viewer = Viewer { session: user.claims.sub.as_str().into(), may_post: !user.claims.anonymous, badge };
    let (seat, greeting) = state.gateway.join(&show_id, &channel, viewer).await;
    let token_expires = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(user.claims.exp));
    // A token too far in the future to represent lasts as long as a socket may stay.
    let token_expires = token_expires.unwrap_or_else(|| SystemTime::now() + LONGEST_STAY);
    let upgrade = upgrade.max_message_size(MAX_MESSAGE).read_buffer_size(BUFFER).write_buffer_size(BUFFER);
    Ok(upgrade.on_upgrade(move |ws| socket::serve(ws, seat, greeting, token_expires)))
}
