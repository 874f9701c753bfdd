//! `GET /api/v1/me/live?token=…`: a signed-in user's socket, pushed a
//! `notification` frame for each notification written for them while it is
//! open (`cartcast_realtime::inbox`).

use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;

use cartcast_realtime::inbox;
use cartcast_realtime::socket::{self, BUFFER, LONGEST_STAY};

use crate::auth::{AuthError, Authenticated};
use crate::error::ApiError;
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/me/live",
    tag = "notifications",
    params(("token" = String, Query, description = "Bearer token of a signed-in user (not an anonymous session)")),
    responses(
        (status = 101, description = "WebSocket: a `notification` frame for each notification written from now on (realtime/PROTOCOL.md). A missing or forged token, or an anonymous session's, is closed at once with 4401, an expired one with 4440"),
    ),
)]
pub async fn my_live_socket(
    State(state): State<AppState>,
    user: Result<Authenticated, ApiError>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let refused = match &user {
        Ok(user) if user.claims.anonymous => {
            Some((socket::close::BAD_TOKEN, "sign in: an anonymous session has no notifications"))
        }
        Ok(_) => None,
        Err(ApiError::Unauthorized(AuthError::Expired)) => Some((socket::close::TOKEN_EXPIRED, "token expired")),
        Err(ApiError::Unauthorized(_)) => Some((socket::close::BAD_TOKEN, "no valid token")),
        Err(_) => None,
    };
    if let Some((code, reason)) = refused {
        return Ok(upgrade.on_upgrade(move |ws| socket::refuse(ws, code, reason)));
    }
    let user = user?;
    let mailbox = state.inbox.open(&user.actor.sub);
    let token_expires = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(user.claims.exp));
    let token_expires = token_expires.unwrap_or_else(|| SystemTime::now() + LONGEST_STAY);
    let upgrade = upgrade.read_buffer_size(BUFFER).write_buffer_size(BUFFER);
    Ok(upgrade.on_upgrade(move |ws| inbox::serve(ws, mailbox, token_expires)))
}
