//! The live socket as a test client: open one to a show, send frames, read
//! the gateway's frames (or the close code it closed with).

use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use cartcast_domain::Role;

use crate::Client;
use crate::media::FRAME_WITHIN;

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A show a creator (`creator-1`) just scheduled, readable by id.
pub async fn scheduled_show(client: &Client) -> String {
    let creator = client.token("creator-1", Role::Creator);
    let created = client.post("/api/v1/shows", &creator, None, json!({"title": "Drop"})).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let after = created.body["position"].as_u64().unwrap();
    client.get(&format!("/api/v1/shows/{show_id}?after={after}"), None).await.unwrap();
    show_id
}

/// Opens `show_id`'s live socket on `base` (`http://…`) with `token`.
pub async fn open_at(base: &str, show_id: &str, token: &str) -> anyhow::Result<Socket> {
    let url = format!("{}/api/v1/shows/{show_id}/live?token={token}", base.replacen("http", "ws", 1));
    Ok(tokio_tungstenite::connect_async(url).await.context("opening the live socket")?.0)
}

/// Opens a signed-in user's notification socket (`/api/v1/me/live`) on `base`.
pub async fn open_inbox(base: &str, token: &str) -> anyhow::Result<Socket> {
    let url = format!("{}/api/v1/me/live?token={token}", base.replacen("http", "ws", 1));
    Ok(tokio_tungstenite::connect_async(url).await.context("opening the notification socket")?.0)
}

pub async fn open(client: &Client, show_id: &str, token: &str) -> Socket {
    open_at(&client.base, show_id, token).await.expect("the socket opens")
}

/// Opens a socket and reads its greeting: the recent chat it starts with.
pub async fn join(base: &str, show_id: &str, token: &str) -> (Socket, Vec<Value>) {
    let mut socket = open_at(base, show_id, token).await.expect("the socket opens");
    let greeting = next(&mut socket).await.expect("a greeting");
    assert_eq!(greeting["type"], "chat", "the first frame is the recent chat: {greeting}");
    let history = greeting["messages"].as_array().expect("messages").clone();
    (socket, history)
}

/// The next JSON frame the gateway sends, or the close code it closed with.
pub async fn next(socket: &mut Socket) -> Result<Value, Option<u16>> {
    next_within(socket, FRAME_WITHIN).await.expect("a frame in time")
}

/// Like [`next`], but `None` when nothing comes within `within`.
pub async fn next_within(socket: &mut Socket, within: Duration) -> Option<Result<Value, Option<u16>>> {
    loop {
        let message = tokio::time::timeout(within, socket.next()).await.ok()?;
        match message {
            Some(Ok(Message::Text(text))) => return Some(Ok(serde_json::from_str(&text).expect("JSON"))),
            Some(Ok(Message::Close(frame))) => return Some(Err(frame.map(|f| u16::from(f.code)))),
            Some(Ok(_)) => {}
            None | Some(Err(_)) => return Some(Err(None)),
        }
    }
}

/// How long [`until_frame`] waits for its frame, however many others come first.
pub const UNTIL_FRAME_WITHIN: Duration = Duration::from_secs(20);

/// The next `kind` frame for which `wanted` holds, skipping others; panics
/// when the socket closes first or none comes within [`UNTIL_FRAME_WITHIN`].
pub async fn until_frame(socket: &mut Socket, kind: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + UNTIL_FRAME_WITHIN;
    loop {
        match next_within(socket, deadline.saturating_duration_since(tokio::time::Instant::now())).await {
            Some(Ok(frame)) if frame["type"] == kind && wanted(&frame) => return frame,
            Some(Ok(_)) => {}
            Some(Err(code)) => panic!("closed with {code:?} before a {kind} frame"),
            None => panic!("no such {kind} frame within {UNTIL_FRAME_WITHIN:?}"),
        }
    }
}

/// The next `error` frame, skipping others: its code and the whole frame.
pub async fn error_frame(socket: &mut Socket) -> (String, Value) {
    loop {
        let frame = next(socket).await.expect("an error frame, not a close");
        if frame["type"] == "error" {
            assert!(frame["message"].as_str().is_some_and(|m| !m.is_empty()), "{frame}");
            return (frame["code"].as_str().unwrap().to_owned(), frame);
        }
    }
}

pub async fn error_code(socket: &mut Socket) -> String {
    error_frame(socket).await.0
}

pub async fn text(socket: &mut Socket, body: impl Into<String>) {
    socket.send(Message::text(body.into())).await.expect("sent");
}

pub async fn heartbeat(socket: &mut Socket, state: &str) {
    text(socket, json!({"type": "heartbeat", "state": state}).to_string()).await;
}

pub async fn chat(socket: &mut Socket, said: &str) {
    text(socket, json!({"type": "chat", "text": said}).to_string()).await;
}

/// Frames until a `chat` frame holding a message with `said`; that message.
pub async fn until_said(socket: &mut Socket, said: &str) -> Value {
    loop {
        let frame = next(socket).await.expect("frames, not a close");
        if frame["type"] == "chat"
            && let Some(message) = frame["messages"].as_array().unwrap().iter().find(|m| m["text"] == said)
        {
            return message.clone();
        }
    }
}

/// Sends `said` and reads on until the gateway decides it: `Ok(message)` when
/// it comes back in a `chat` frame, `Err(code)` when an `error` frame refuses it.
pub async fn chat_outcome(socket: &mut Socket, said: &str) -> Result<Value, String> {
    chat(socket, said).await;
    loop {
        let frame = next(socket).await.expect("frames, not a close");
        if frame["type"] == "error" {
            return Err(frame["code"].as_str().expect("an error code").to_owned());
        }
        if frame["type"] == "chat"
            && let Some(message) = frame["messages"].as_array().unwrap().iter().find(|m| m["text"] == said)
        {
            return Ok(message.clone());
        }
    }
}

/// Frames until a `viewers` frame says `watching`.
pub async fn until_watching(socket: &mut Socket, watching: u64) {
    until_viewers(socket, |_, now_watching| now_watching == watching, FRAME_WITHIN).await.expect("watching");
}

/// Frames until a `viewers` frame passes `wanted(connected, watching)`;
/// those counts, or an error naming the last counts seen when `within` ends.
pub async fn until_viewers(
    socket: &mut Socket,
    wanted: impl Fn(u64, u64) -> bool,
    within: Duration,
) -> anyhow::Result<(u64, u64)> {
    let deadline = tokio::time::Instant::now() + within;
    let mut last = None;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(frame) = next_within(socket, left).await else {
            anyhow::bail!("no wanted viewer count within {within:?}; last (connected, watching): {last:?}");
        };
        let frame = frame.map_err(|code| anyhow::anyhow!("the socket closed with {code:?}"))?;
        if frame["type"] == "viewers" {
            let counts = (frame["connected"].as_u64().unwrap(), frame["watching"].as_u64().unwrap());
            if wanted(counts.0, counts.1) {
                return Ok(counts);
            }
            last = Some(counts);
        }
    }
}
