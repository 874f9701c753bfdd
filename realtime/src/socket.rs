//! One viewer's live socket, once upgraded: the show's audience goes out as
//! `viewers` frames whenever it changes, heartbeats come in and say whether
//! the player plays. A frame it cannot take gets an `error` frame and the
//! socket stays open; a socket that floods, sends frames too big or not
//! valid, or whose token expires is closed with a code that says which.

use std::time::{Duration, SystemTime};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::time::Instant;

use crate::frames::{ClientFrame, PlayerState, ServerFrame};
use crate::presence::{Audience, Seat};

/// A player that has not sent a heartbeat for this long counts as not playing.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest text frame a client may send.
pub const MAX_FRAME: usize = 16 * 1024;

/// The longest message read off the wire at all, so that a frame a little
/// over [`MAX_FRAME`] is still answered with a close code, not a dropped connection.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// The longest a socket stays open, however long its token lasts: then it
/// is closed as expired, and its client reconnects with a fresh token.
pub const LONGEST_STAY: Duration = Duration::from_secs(24 * 3600);

/// How many frames a socket may send at once, and how many a second after that.
const BURST: f64 = 60.0;
const PER_SECOND: f64 = 20.0;

/// Close codes (`API.md`, "Round 2 additions").
pub mod close {
    /// A frame that is not a valid WebSocket text frame (text that is not UTF-8).
    pub const INVALID: u16 = 1007;
    /// More frames than the socket's rate allows.
    pub const FLOOD: u16 = 1008;
    /// A frame over [`super::MAX_FRAME`].
    pub const TOO_BIG: u16 = 1009;
    /// The token expired: reconnect with a fresh one.
    pub const TOKEN_EXPIRED: u16 = 4440;
}

/// Serve `socket` from its seat in the show's audience until either side
/// closes, or the caller's token expires at `token_expires`.
pub async fn serve(mut socket: WebSocket, mut seat: Seat, token_expires: SystemTime) {
    let left = token_expires.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    let expiry = Instant::now() + left.min(LONGEST_STAY);
    let mut budget = Budget::new();
    let first = *seat.audience.borrow_and_update();
    if socket.send(viewers(first)).await.is_err() {
        return;
    }
    loop {
        let step = tokio::select! {
            () = tokio::time::sleep_until(expiry) => Step::Close(close::TOKEN_EXPIRED, "token expired"),
            changed = seat.audience.changed() => match changed {
                Ok(()) => Step::Send(viewers(*seat.audience.borrow_and_update())),
                Err(_) => Step::Stop,
            },
            received = tokio::time::timeout(HEARTBEAT_TIMEOUT, socket.recv()) => match received {
                Err(_) => {
                    seat.playing(false);
                    Step::Continue
                }
                Ok(None | Some(Ok(Message::Close(_)))) => Step::Stop,
                Ok(Some(Err(_))) => Step::Close(close::INVALID, "not a valid frame"),
                Ok(Some(Ok(_))) if !budget.take() => Step::Close(close::FLOOD, "too many frames"),
                Ok(Some(Ok(Message::Text(text)))) if text.len() > MAX_FRAME => {
                    Step::Close(close::TOO_BIG, "frame over 16 KiB")
                }
                Ok(Some(Ok(Message::Text(text)))) => {
                    take(&seat, &text).map_or(Step::Continue, |answer| Step::Send(text_frame(&answer)))
                }
                Ok(Some(Ok(Message::Binary(_)))) => {
                    Step::Send(text_frame(&ServerFrame::error("bad_frame", "frames are JSON text, not binary")))
                }
                Ok(Some(Ok(_))) => Step::Continue,
            },
        };
        match step {
            Step::Continue => {}
            Step::Send(message) => {
                if socket.send(message).await.is_err() {
                    return;
                }
            }
            Step::Close(code, reason) => {
                let frame = CloseFrame { code, reason: reason.into() };
                // Best effort: the peer may be gone already.
                let _ = socket.send(Message::Close(Some(frame))).await;
                return;
            }
            Step::Stop => return,
        }
    }
}

/// What the loop does after one event.
enum Step {
    Continue,
    Send(Message),
    Close(u16, &'static str),
    Stop,
}

/// Act on one text frame; the frame to answer with, if any.
fn take(seat: &Seat, text: &str) -> Option<ServerFrame> {
    match serde_json::from_str::<ClientFrame>(text) {
        Ok(ClientFrame::Heartbeat { state }) => {
            seat.playing(state == PlayerState::Playing);
            None
        }
        Ok(ClientFrame::Chat {} | ClientFrame::React {} | ClientFrame::Vote {}) => {
            Some(ServerFrame::error("not_available", "chat, reactions and polls are not open on this server yet"))
        }
        Err(error) => Some(ServerFrame::error("bad_frame", error.to_string())),
    }
}

fn viewers(audience: Audience) -> Message {
    text_frame(&ServerFrame::Viewers { connected: audience.connected, watching: audience.watching })
}

fn text_frame(frame: &ServerFrame) -> Message {
    Message::Text(frame.to_json().into())
}

/// A token bucket: [`BURST`] frames at once, then [`PER_SECOND`].
struct Budget {
    tokens: f64,
    refilled: Instant,
}

impl Budget {
    fn new() -> Self {
        Self { tokens: BURST, refilled: Instant::now() }
    }

    /// Spend one frame's worth; false when the socket is over its rate.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + (now - self.refilled).as_secs_f64() * PER_SECOND).min(BURST);
        self.refilled = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_and_a_sustained_flood_does_not() {
        let mut budget = Budget::new();
        assert!((0..60).all(|_| budget.take()), "a burst of 60 passes");
        assert!(!budget.take(), "the 61st at once does not");
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(budget.take() && budget.take(), "two more after 100 ms at 20/s");
        assert!(!budget.take());
    }
}
