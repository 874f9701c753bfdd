//! The peer: a bare fan-out server — one tokio broadcast channel, every chat
//! frame a socket sends relayed at once to every socket as a `chat` frame.
//! No tokens, no rooms, no batching, no store: the floor Cartcast's gateway
//! is measured against.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Serves `/api/v1/shows/{id}/live` on a free port; returns its address.
pub async fn start() -> anyhow::Result<SocketAddr> {
    let (fan_out, _) = broadcast::channel::<Utf8Bytes>(4096);
    let app = Router::new().route("/api/v1/shows/{id}/live", get(upgrade)).with_state(fan_out);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

async fn upgrade(State(fan_out): State<broadcast::Sender<Utf8Bytes>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| serve(socket, fan_out))
}

async fn serve(mut socket: WebSocket, fan_out: broadcast::Sender<Utf8Bytes>) {
    let mut frames = fan_out.subscribe();
    let greeting = json!({"type": "chat", "messages": []}).to_string();
    if socket.send(Message::Text(greeting.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = frames.recv() => match frame {
                Ok(frame) => {
                    if socket.send(Message::Text(frame)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => {
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                    if frame["type"] == "chat" {
                        let message = json!({"id": "", "user": "", "text": frame["text"], "ts": ""});
                        let _ = fan_out.send(json!({"type": "chat", "messages": [message]}).to_string().into());
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
