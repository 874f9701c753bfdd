//! The RTMP listener OBS and the ffmpeg CLI publish to: handshake, the
//! `live` application, the stream key checked before any media is taken,
//! then media messages into the show's pipeline. Anything malformed closes
//! that one connection; every connection runs on its own task.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{ServerSession, ServerSessionConfig, ServerSessionEvent, ServerSessionResult};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::pipeline::Input;
use crate::hub::{MediaHub, Publishing, Refusal};

/// The RTMP application publishers connect to (`rtmp://HOST:PORT/live`).
pub const APP: &str = "live";
/// Bytes a connection may send before it is publishing (handshake, connect, publish).
const PRE_PUBLISH_BYTES: usize = 64 * 1024;
/// Silence after which a connection is dropped.
const IDLE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
enum ConnectionError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("handshake: {0}")]
    Handshake(String),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("idle for {0:?}")]
    Idle(Duration),
    #[error("too many bytes before publishing")]
    TooChatty,
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error("media before publishing")]
    MediaBeforePublish,
}

/// Accepts connections until `stop` fires.
pub async fn serve(listener: TcpListener, hub: Arc<MediaHub>, stop: CancellationToken) {
    loop {
        let (stream, peer) = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "rtmp accept");
                    continue;
                }
            },
        };
        let hub = hub.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            metrics::gauge!("cartcast_rtmp_connections").increment(1);
            let mut connection =
                Connection { stream, hub: hub.clone(), publishing: None, published: false, received: 0 };
            let result = tokio::select! {
                () = stop.cancelled() => Ok(()),
                result = connection.run() => result,
            };
            if let Err(error) = &result {
                metrics::counter!("cartcast_rtmp_refused_total").increment(1);
                tracing::info!(%peer, %error, "rtmp connection closed");
            }
            if let Some(publishing) = connection.publishing.take() {
                hub.end_publish(publishing);
            }
            metrics::gauge!("cartcast_rtmp_connections").decrement(1);
        });
    }
}

struct Connection {
    stream: TcpStream,
    hub: Arc<MediaHub>,
    publishing: Option<Publishing>,
    /// The publish request was accepted at some point (the byte limit is off).
    published: bool,
    received: usize,
}

impl Connection {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ConnectionError> {
        let taken_over = self.publishing.as_ref().map(|p| p.taken_over.clone()).unwrap_or_default();
        let n = tokio::select! {
            () = taken_over.cancelled() => return Err(ConnectionError::Protocol("another publisher took the show over".into())),
            read = tokio::time::timeout(IDLE, self.stream.read(buf)) => read.map_err(|_| ConnectionError::Idle(IDLE))??,
        };
        self.received += n;
        if !self.published && self.received > PRE_PUBLISH_BYTES {
            return Err(ConnectionError::TooChatty);
        }
        Ok(n)
    }

    async fn run(&mut self) -> Result<(), ConnectionError> {
        let mut buf = vec![0u8; 16 * 1024];
        let remaining = self.handshake(&mut buf).await?;
        let (mut session, results) =
            ServerSession::new(ServerSessionConfig::new()).map_err(|e| ConnectionError::Protocol(format!("{e:?}")))?;
        self.answer(&mut session, results).await?;
        let mut input = remaining;
        loop {
            if !input.is_empty() {
                // A malformed chunk stream can trip the parser; it costs this connection only.
                let results = catch_unwind(AssertUnwindSafe(|| session.handle_input(&input)))
                    .map_err(|_| ConnectionError::Protocol("unparseable chunk stream".into()))?
                    .map_err(|e| ConnectionError::Protocol(format!("{e:?}")))?;
                self.answer(&mut session, results).await?;
            }
            let n = self.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            input = buf[..n].to_vec();
        }
    }

    async fn handshake(&mut self, buf: &mut [u8]) -> Result<Vec<u8>, ConnectionError> {
        let mut handshake = Handshake::new(PeerType::Server);
        loop {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(ConnectionError::Handshake("closed during handshake".into()));
            }
            match handshake.process_bytes(&buf[..n]).map_err(|e| ConnectionError::Handshake(format!("{e:?}")))? {
                HandshakeProcessResult::InProgress { response_bytes } => self.stream.write_all(&response_bytes).await?,
                HandshakeProcessResult::Completed { response_bytes, remaining_bytes } => {
                    self.stream.write_all(&response_bytes).await?;
                    return Ok(remaining_bytes);
                }
            }
        }
    }

    async fn answer(
        &mut self,
        session: &mut ServerSession,
        results: Vec<ServerSessionResult>,
    ) -> Result<(), ConnectionError> {
        let mut pending = std::collections::VecDeque::from(results);
        while let Some(result) = pending.pop_front() {
            match result {
                ServerSessionResult::OutboundResponse(packet) => self.stream.write_all(&packet.bytes).await?,
                ServerSessionResult::RaisedEvent(event) => pending.extend(self.event(session, event).await?),
                ServerSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        Ok(())
    }

    async fn event(
        &mut self,
        session: &mut ServerSession,
        event: ServerSessionEvent,
    ) -> Result<Vec<ServerSessionResult>, ConnectionError> {
        let protocol = |e| ConnectionError::Protocol(format!("{e:?}"));
        match event {
            ServerSessionEvent::ConnectionRequested { request_id, app_name } => {
                if app_name != APP {
                    return Err(ConnectionError::Protocol(format!("unknown application {app_name:?}")));
                }
                session.accept_request(request_id).map_err(protocol)
            }
            ServerSessionEvent::PublishStreamRequested { request_id, stream_key, .. } => {
                if self.publishing.is_some() {
                    return Err(ConnectionError::Protocol("a second publish on one connection".into()));
                }
                match self.hub.begin_publish(&stream_key).await {
                    Ok(publishing) => {
                        self.publishing = Some(publishing);
                        self.published = true;
                        session.accept_request(request_id).map_err(protocol)
                    }
                    Err(refusal) => {
                        if let Ok(rejection) =
                            session.reject_request(request_id, "NetStream.Publish.BadName", &refusal.to_string())
                        {
                            for result in rejection {
                                if let ServerSessionResult::OutboundResponse(packet) = result {
                                    self.stream.write_all(&packet.bytes).await?;
                                }
                            }
                        }
                        Err(ConnectionError::Refused(refusal))
                    }
                }
            }
            ServerSessionEvent::VideoDataReceived { data, timestamp, .. } => {
                self.media(Input::Video { timestamp_ms: timestamp.value, body: data }).await
            }
            ServerSessionEvent::AudioDataReceived { data, timestamp, .. } => {
                self.media(Input::Audio { timestamp_ms: timestamp.value, body: data }).await
            }
            ServerSessionEvent::PublishStreamFinished { .. } => {
                if let Some(publishing) = self.publishing.take() {
                    self.hub.end_publish(publishing);
                }
                Ok(Vec::new())
            }
            ServerSessionEvent::PlayStreamRequested { .. } => {
                Err(ConnectionError::Protocol("playback over RTMP is not offered; use HLS".into()))
            }
            _ => Ok(Vec::new()),
        }
    }

    async fn media(&mut self, input: Input) -> Result<Vec<ServerSessionResult>, ConnectionError> {
        let publishing = self.publishing.as_ref().ok_or(ConnectionError::MediaBeforePublish)?;
        if let Input::Video { body, .. } | Input::Audio { body, .. } = &input {
            metrics::counter!("cartcast_media_ingest_bytes_total").increment(body.len() as u64);
        }
        if publishing.inputs.send(input).await.is_err() {
            return Err(ConnectionError::Protocol("the media pipeline stopped".into()));
        }
        Ok(Vec::new())
    }
}
