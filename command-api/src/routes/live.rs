//! `GET /api/v1/shows/{id}/live?token=…`: a viewer's socket to a show. It
//! carries presence today: heartbeats say whether the player plays, and
//! `viewers` frames give the show's live counts. Frames the socket does not
//! take yet are answered with an `error` frame; the socket stays open.

use std::time::Duration;

use anyhow::Context;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::auth::Authenticated;
use crate::error::{ApiError, NotFound};
use crate::extract::PathId;
use crate::presence::{Audience, Seat};
use crate::state::AppState;

/// A player that has not sent a heartbeat for this long counts as not playing.
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest text frame taken from a client.
const MAX_FRAME: usize = 4096;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Heartbeat { state: PlayerState },
    Chat {},
    React {},
    Vote {},
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum PlayerState {
    Playing,
    Paused,
    Hidden,
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/live",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ("token" = String, Query, description = "Bearer token")),
    responses(
        (status = 101, description = "WebSocket: `heartbeat` frames in; `viewers` frames out"),
        (status = 401, description = "No valid token"),
        (status = 404, description = "`show_not_found`"),
    ),
)]
pub async fn live_socket(
    State(state): State<AppState>,
    _user: Authenticated,
    PathId(show_id): PathId,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let show = state.read_models.show(&show_id).await.context("reading a show")?;
    show.ok_or(ApiError::NotFound(NotFound::Show))?;
    let seat = state.presence.join(&show_id, &state.bus, state.settings.command_timeout);
    Ok(upgrade.max_message_size(MAX_FRAME).on_upgrade(move |socket| serve(socket, seat)))
}

fn viewers_frame(audience: Audience) -> Message {
    let frame = json!({"type": "viewers", "connected": audience.connected, "watching": audience.watching});
    Message::Text(frame.to_string().into())
}

fn error_frame(code: &str, message: &str) -> Message {
    Message::Text(json!({"type": "error", "code": code, "message": message}).to_string().into())
}

async fn serve(mut socket: WebSocket, mut seat: Seat) {
    let first = *seat.audience.borrow_and_update();
    if socket.send(viewers_frame(first)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            changed = seat.audience.changed() => {
                if changed.is_err() {
                    return;
                }
                let audience = *seat.audience.borrow_and_update();
                if socket.send(viewers_frame(audience)).await.is_err() {
                    return;
                }
            }
            received = tokio::time::timeout(HEARTBEAT_TIMEOUT, socket.recv()) => match received {
                Err(_) => seat.playing(false),
                Ok(None | Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return,
                Ok(Some(Ok(Message::Text(text)))) => {
                    let answer = match serde_json::from_str::<ClientFrame>(&text) {
                        Ok(ClientFrame::Heartbeat { state }) => {
                            seat.playing(state == PlayerState::Playing);
                            None
                        }
                        Ok(ClientFrame::Chat {} | ClientFrame::React {} | ClientFrame::Vote {}) => {
                            Some(error_frame("not_available", "chat, reactions and polls are not open on this server yet"))
                        }
                        Err(error) => Some(error_frame("bad_frame", &error.to_string())),
                    };
                    if let Some(answer) = answer
                        && socket.send(answer).await.is_err()
                    {
                        return;
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}
