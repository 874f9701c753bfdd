//! One show's encoder: an RTMP client that publishes to the `live` app with
//! the show's stream key and replays the clip's tags at their own pace,
//! looping, as `ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv` does,
//! at a fraction of a process's cost.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
use rml_rtmp::sessions::{
    ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult, PublishRequestType,
};
use rml_rtmp::time::RtmpTimestamp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use cartcast_media::ingest::rtmp::APP;

use super::clip::{Clip, Kind};

/// Longest wait for the server to accept the connection and the publish.
const ACCEPT_WITHIN: Duration = Duration::from_secs(30);

/// Publishes `clip` to `rtmp` (`rtmp://HOST:PORT`) under `key` until `stop`.
pub async fn publish(rtmp: &str, key: &str, clip: Arc<Clip>, stop: CancellationToken) -> anyhow::Result<()> {
    let addr = rtmp.strip_prefix("rtmp://").context("an rtmp:// address")?;
    let mut socket = TcpStream::connect(addr).await.with_context(|| format!("connecting to {rtmp}"))?;
    socket.set_nodelay(true)?;
    let mut session = tokio::time::timeout(ACCEPT_WITHIN, start(&mut socket, key))
        .await
        .context("the server did not accept the publish in time")??;
    let mut input = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let started = Instant::now();
    let (mut next, mut pass) = (0, 0u64);
    loop {
        if !input.is_empty() {
            let results = session.handle_input(&input).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            send(&mut socket, results).await?;
            input.clear();
        }
        let tag = &clip.tags[next];
        let at_ms = u64::from(tag.at_ms) + pass * u64::from(clip.loop_ms);
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            read = socket.read(&mut buf) => match read? {
                0 => bail!("the server closed the connection"),
                n => input.extend_from_slice(&buf[..n]),
            },
            () = tokio::time::sleep_until(started + Duration::from_millis(at_ms)) => {
                if pass == 0 || !tag.header {
                    let timestamp = RtmpTimestamp::new(at_ms as u32);
                    let result = match tag.kind {
                        Kind::Video => session.publish_video_data(tag.data.clone(), timestamp, false),
                        Kind::Audio => session.publish_audio_data(tag.data.clone(), timestamp, false),
                    };
                    send(&mut socket, vec![result.map_err(|e| anyhow::anyhow!("{e:?}"))?]).await?;
                }
                next += 1;
                if next == clip.tags.len() {
                    (next, pass) = (0, pass + 1);
                }
            }
        }
    }
}

/// Handshake, connect to the `live` app and publish under `key`.
async fn start(socket: &mut TcpStream, key: &str) -> anyhow::Result<ClientSession> {
    let mut handshake = Handshake::new(PeerType::Client);
    let p0_p1 = handshake.generate_outbound_p0_and_p1().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    socket.write_all(&p0_p1).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut input = loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            bail!("the server closed the connection during the handshake");
        }
        match handshake.process_bytes(&buf[..n]).map_err(|e| anyhow::anyhow!("handshake: {e:?}"))? {
            HandshakeProcessResult::InProgress { response_bytes } => socket.write_all(&response_bytes).await?,
            HandshakeProcessResult::Completed { response_bytes, remaining_bytes } => {
                socket.write_all(&response_bytes).await?;
                break remaining_bytes;
            }
        }
    };
    let (mut session, results) =
        ClientSession::new(ClientSessionConfig::new()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    send(socket, results).await?;
    let connect = session.request_connection(APP.to_owned()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    send(socket, vec![connect]).await?;
    loop {
        if input.is_empty() {
            let n = socket.read(&mut buf).await?;
            if n == 0 {
                bail!("the server closed the connection before the publish was accepted");
            }
            input.extend_from_slice(&buf[..n]);
        }
        let results = session.handle_input(&input).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        input.clear();
        let mut published = false;
        for result in results {
            match result {
                ClientSessionResult::OutboundResponse(packet) => socket.write_all(&packet.bytes).await?,
                ClientSessionResult::RaisedEvent(ClientSessionEvent::ConnectionRequestAccepted) => {
                    let publish = session
                        .request_publishing(key.to_owned(), PublishRequestType::Live)
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    send(socket, vec![publish]).await?;
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::ConnectionRequestRejected { description }) => {
                    bail!("the server refused the connection: {description}")
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::PublishRequestAccepted) => published = true,
                ClientSessionResult::RaisedEvent(ClientSessionEvent::UnhandleableOnStatusCode { code }) => {
                    bail!("the server answered the publish with {code}")
                }
                _ => {}
            }
        }
        if published {
            return Ok(session);
        }
    }
}

/// Writes the session's outbound packets.
async fn send(socket: &mut TcpStream, results: Vec<ClientSessionResult>) -> anyhow::Result<()> {
    for result in results {
        if let ClientSessionResult::OutboundResponse(packet) = result {
            socket.write_all(&packet.bytes).await?;
        }
    }
    Ok(())
}
