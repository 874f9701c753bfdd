//! A viewer that keeps playing: the live socket the web player holds open,
//! reporting `playing` every few seconds, so the server goes on counting it
//! (and running the ladder for it) however long the bench measures.

use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Well inside the server's 30 s, after which a silent player stops counting.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

pub struct Player {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Player {
    /// Opens `GET /api/v1/shows/{show_id}/live?token=…` on `base` (`http://…`).
    pub async fn join(base: &str, show_id: &str, token: &str) -> anyhow::Result<Self> {
        let url = format!("{}/api/v1/shows/{show_id}/live?token={token}", base.replacen("http", "ws", 1));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.context("opening the live socket")?;
        Ok(Self { socket })
    }

    /// Sends a `playing` heartbeat now and every [`HEARTBEAT_EVERY`], reading
    /// and dropping the server's frames; returns only when the socket fails.
    pub async fn keep_playing(&mut self) -> anyhow::Error {
        let heartbeat = serde_json::json!({"type": "heartbeat", "state": "playing"}).to_string();
        let mut every = tokio::time::interval(HEARTBEAT_EVERY);
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(error) = self.socket.send(Message::text(heartbeat.clone())).await {
                        return anyhow::Error::new(error).context("sending a heartbeat");
                    }
                }
                frame = self.socket.next() => match frame {
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return anyhow::Error::new(error).context("reading the live socket"),
                    None => return anyhow::anyhow!("the server closed the live socket"),
                },
            }
        }
    }
}
