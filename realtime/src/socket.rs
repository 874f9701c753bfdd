//! One viewer's live socket, once upgraded: the room's greeting (recent
//! chat, the audience, the pin, the open poll) and then its batches go out;
//! heartbeats, chat, reactions and votes come in. A frame it cannot take gets an `error` frame and the socket stays
//! open; a socket that floods, sends frames too big or not valid, falls too
//! far behind, or whose token expires is closed with a code that says which.

use std::time::{Duration, SystemTime};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::SinkExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::oneshot;
use tokio::time::Instant;

use cartcast_infra::rate::TokenBucket;

use crate::chat::ChatRefusal;
use crate::frames::{ClientFrame, PlayerState, ServerFrame};
use crate::gateway::Seat;
use crate::polls::Cast;
use crate::reactions::{self, ReactionRefusal};
use crate::room::Greeting;

/// A player that has not sent a heartbeat for this long counts as not playing.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest text frame a client may send.
pub const MAX_FRAME: usize = 16 * 1024;

/// The longest message read off the wire at all, so that a frame a little
/// over [`MAX_FRAME`] is still answered with a close code, not a dropped connection.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// Each socket's read and write buffers to start with (tungstenite's
/// default is 128 KiB each): an idle socket costs little, and a bigger frame
/// grows its buffer as it needs.
pub const BUFFER: usize = 4 * 1024;

/// The longest a socket stays open, however long its token lasts: then it
/// is closed as expired, and its client reconnects with a fresh token.
pub const LONGEST_STAY: Duration = Duration::from_secs(24 * 3600);

/// A socket whose client does not take a frame within this long is too slow.
pub const SEND_WITHIN: Duration = Duration::from_secs(10);

/// How many frames a socket may send at once, and how many a second after that.
const BURST: u32 = 60;
const PER_SECOND: f64 = 20.0;

/// Close codes (`API.md`, "Round 2 additions").
pub mod close {
    /// A frame that is not a valid WebSocket text frame (text that is not UTF-8).
    pub const INVALID: u16 = 1007;
    /// More frames than the socket's rate allows.
    pub const FLOOD: u16 = 1008;
    /// A frame over [`super::MAX_FRAME`].
    pub const TOO_BIG: u16 = 1009;
    /// The client fell a whole backlog behind the room: reconnect.
    pub const TOO_SLOW: u16 = 4008;
    /// No token, or one that is not ours (malformed, forged): sign in again.
    pub const BAD_TOKEN: u16 = 4401;
    /// The user is banned from the channel's chat.
    pub const BANNED: u16 = 4403;
    /// The token expired: reconnect with a fresh one.
    pub const TOKEN_EXPIRED: u16 = 4440;
}

/// Serve `socket` from its seat in the show's room until either side
/// closes, or the caller's token expires at `token_expires`.
pub async fn serve(mut socket: WebSocket, seat: Seat, greeting: Greeting, token_expires: SystemTime) {
    let left = token_expires.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO);
    // Both timers live across the loop: a busy room's batches must not
    // register and cancel timers once per batch per socket.
    let expiry = tokio::time::sleep_until(Instant::now() + left.min(LONGEST_STAY));
    let silence = tokio::time::sleep(HEARTBEAT_TIMEOUT);
    tokio::pin!(expiry, silence);
    let mut budget = TokenBucket::new(BURST, PER_SECOND, Instant::now());
    let mut reactions = reactions::budget(Instant::now());
    let Greeting { frames, mut batches, banned } = greeting;
    // The answer to the socket's last vote, while it is being counted.
    let mut vote: Option<oneshot::Receiver<ServerFrame>> = None;
    if banned {
        return close_with(&mut socket, close::BANNED, BANNED_REASON).await;
    }
    for frame in &frames {
        if !send(&mut socket, text_frame(frame)).await {
            return;
        }
    }
    loop {
        let step = tokio::select! {
            () = &mut expiry => Step::Close(close::TOKEN_EXPIRED, "token expired"),
            // No heartbeat for that long: the player is not playing, whatever it said last.
            () = &mut silence => {
                seat.playing(false);
                silence.as_mut().reset(Instant::now() + HEARTBEAT_TIMEOUT);
                Step::Continue
            }
            answer = async { vote.as_mut().expect("guarded").await }, if vote.is_some() => {
                vote = None;
                answer.map_or(Step::Continue, |frame| Step::Send(text_frame(&frame)))
            }
            batch = batches.recv() => match batch {
                Ok(batch) => Step::Batch(batch),
                Err(RecvError::Lagged(_)) => Step::Close(close::TOO_SLOW, "too slow: fell behind the room"),
                Err(RecvError::Closed) => Step::Stop,
            },
            received = socket.recv() => match received {
                None | Some(Ok(Message::Close(_))) => Step::Stop,
                Some(Err(_)) => Step::Close(close::INVALID, "not a valid frame"),
                Some(Ok(_)) if budget.take(Instant::now()).is_err() => Step::Close(close::FLOOD, "too many frames"),
                Some(Ok(Message::Text(text))) if text.len() > MAX_FRAME => {
                    Step::Close(close::TOO_BIG, "frame over 16 KiB")
                }
                Some(Ok(Message::Text(text))) => match take(&seat, &mut reactions, &text).await {
                    Reply::Nothing => Step::Continue,
                    Reply::Heartbeat => {
                        silence.as_mut().reset(Instant::now() + HEARTBEAT_TIMEOUT);
                        Step::Continue
                    }
                    Reply::Now(answer) => Step::Send(text_frame(&answer)),
                    Reply::Later(answer) => {
                        // A newer vote's answer replaces the one still pending.
                        vote = Some(answer);
                        Step::Continue
                    }
                },
                Some(Ok(Message::Binary(_))) => {
                    Step::Send(text_frame(&ServerFrame::error("bad_frame", "frames are JSON text, not binary")))
                }
                Some(Ok(_)) => Step::Continue,
            },
        };
        match step {
            Step::Continue => {}
            Step::Send(message) => {
                if !send(&mut socket, message).await {
                    return;
                }
            }
            Step::Batch(batch) => {
                if !send_batch(&mut socket, &batch.frames).await {
                    return;
                }
                if !batch.creator_frames.is_empty()
                    && seat.is_creator()
                    && !send_batch(&mut socket, &batch.creator_frames).await
                {
                    return;
                }
                if batch.banned.iter().any(|banned| banned == seat.session()) {
                    return close_with(&mut socket, close::BANNED, BANNED_REASON).await;
                }
            }
            Step::Close(code, reason) => return close_with(&mut socket, code, reason).await,
            Step::Stop => return,
        }
    }
}

const BANNED_REASON: &str = "banned from this channel's chat";

/// Closes a socket the gateway will not seat (a bad or expired token) with
/// `code`, right after the upgrade: a browser reads a close code, never the
/// HTTP status of a refused upgrade.
pub async fn refuse(mut socket: WebSocket, code: u16, reason: &'static str) {
    close_with(&mut socket, code, reason).await;
}

/// How long a closing socket waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Closes the socket with `code`, then reads (and drops) what the client
/// still sends until its close frame, at most [`CLOSE_GRACE`]: a socket shut
/// with unread frames would be reset, and the client might never read the
/// code. Best effort: the peer may be gone already.
pub(crate) async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    if socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await.is_err() {
        return;
    }
    let drain = async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
}

/// Sends a batch's frames with one flush (one write for the lot); false as [`send`].
async fn send_batch(socket: &mut WebSocket, frames: &[Utf8Bytes]) -> bool {
    let all = async {
        for frame in frames {
            socket.feed(Message::Text(frame.clone())).await?;
        }
        socket.flush().await
    };
    matches!(tokio::time::timeout(SEND_WITHIN, all).await, Ok(Ok(())))
}

/// Sends one frame; false when the socket is gone or took longer than
/// [`SEND_WITHIN`] (a client that stopped reading).
pub(crate) async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(tokio::time::timeout(SEND_WITHIN, socket.send(message)).await, Ok(Ok(())))
}

/// What the loop does after one event.
enum Step {
    Continue,
    Send(Message),
    Batch(std::sync::Arc<crate::room::Batch>),
    Close(u16, &'static str),
    Stop,
}

/// How a client frame is answered.
enum Reply {
    Nothing,
    /// A heartbeat: the player spoke, its silence starts again.
    Heartbeat,
    Now(ServerFrame),
    /// When the room has counted it (a vote).
    Later(oneshot::Receiver<ServerFrame>),
}

impl From<Option<ServerFrame>> for Reply {
    fn from(frame: Option<ServerFrame>) -> Self {
        frame.map_or(Reply::Nothing, Reply::Now)
    }
}

/// Act on one text frame.
async fn take(seat: &Seat, reactions: &mut TokenBucket, text: &str) -> Reply {
    match serde_json::from_str::<ClientFrame>(text) {
        Ok(ClientFrame::Heartbeat { state }) => {
            seat.playing(state == PlayerState::Playing);
            Reply::Heartbeat
        }
        Ok(ClientFrame::Chat { text }) => seat.post(&text).await.err().map(refused).into(),
        Ok(ClientFrame::React { emoji }) => {
            // A reaction that could never count does not spend the budget.
            let taken = reactions::known(&emoji)
                .and_then(|emoji| reactions.take(Instant::now()).map(|()| emoji).map_err(ReactionRefusal::RateLimited));
            match taken {
                Ok(emoji) => {
                    seat.react(emoji);
                    Reply::Nothing
                }
                Err(refusal) => Reply::Now(refused_reaction(refusal)),
            }
        }
        Ok(ClientFrame::Vote { poll_id, option }) => match seat.vote(&poll_id, option) {
            Ok(Cast::Pending(answer)) => Reply::Later(answer),
            Ok(Cast::Counted(option)) => Reply::Now(ServerFrame::Voted { poll_id, option }),
            Err(refusal) => Reply::Now(refusal.frame()),
        },
        Err(error) => Reply::Now(ServerFrame::error("bad_frame", error.to_string())),
    }
}

fn refused(refusal: ChatRefusal) -> ServerFrame {
    let wait = match refusal {
        ChatRefusal::RateLimited(wait) | ChatRefusal::TimedOut(wait) => Some(wait),
        _ => None,
    };
    error_frame(refusal.code(), refusal.to_string(), wait)
}

fn refused_reaction(refusal: ReactionRefusal) -> ServerFrame {
    let wait = match refusal {
        ReactionRefusal::RateLimited(wait) => Some(wait),
        ReactionRefusal::UnknownEmoji => None,
    };
    error_frame(refusal.code(), refusal.to_string(), wait)
}

/// An `error` frame, with `retry_after_ms` when waiting helps.
fn error_frame(code: &str, message: String, wait: Option<Duration>) -> ServerFrame {
    let retry_after_ms = wait.map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1));
    ServerFrame::Error { code: code.to_owned(), message, retry_after_ms }
}

pub(crate) fn text_frame(frame: &ServerFrame) -> Message {
    Message::Text(frame.to_json().into())
}
