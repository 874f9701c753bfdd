//! The bench's sockets: many WebSocket clients to one show, opened from
//! several 127.0.0.x source addresses (one address has ~28k ephemeral ports),
//! each reading every frame and counting what it got.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use tokio::net::TcpSocket;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Sockets per 127.0.0.x source address.
const PER_SOURCE: usize = 20_000;

/// What every socket's reader adds to.
#[derive(Default)]
pub struct Counters {
    /// Chat messages that reached a socket, outside the greeting.
    pub deliveries: AtomicU64,
    /// Sockets that have read their greeting.
    pub greeted: AtomicU64,
    /// `error` frames with `rate_limited`.
    pub refused: AtomicU64,
    /// Sockets closed by the server.
    pub closed: AtomicU64,
    /// Sockets whose reader still runs.
    pub open: AtomicU64,
    /// The largest reactions total seen in a `reactions` frame.
    pub reactions_seen: AtomicU64,
    /// Delivery latencies, µs, sent in batches by readers.
    latencies: std::sync::Mutex<Option<Histogram<u64>>>,
}

impl Counters {
    pub fn new() -> Arc<Self> {
        let counters = Self::default();
        *counters.latencies.lock().unwrap() = Some(Histogram::new_with_bounds(1, 60_000_000, 3).unwrap());
        Arc::new(counters)
    }

    pub fn latency_p99_ms(&self) -> f64 {
        let latencies = self.latencies.lock().unwrap();
        latencies.as_ref().map_or(0.0, |h| h.value_at_quantile(0.99) as f64 / 1000.0)
    }

    pub fn reset_latencies(&self) {
        if let Some(histogram) = self.latencies.lock().unwrap().as_mut() {
            histogram.reset();
        }
    }
}

/// What the load reads of a server frame, borrowed from its text where it
/// can be: a reader parses every frame it gets, so it must cost little
/// beside the server it measures.
#[derive(Deserialize)]
struct Seen<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    messages: Vec<SeenMessage<'a>>,
    #[serde(default, borrow)]
    totals: BTreeMap<Cow<'a, str>, u64>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SeenMessage<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// A chat text that says when it was sent.
pub fn stamped(n: u64) -> String {
    format!("{}:{n}", now_us())
}

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// A sender into one open socket.
pub type Outbox = mpsc::UnboundedSender<String>;

/// Opens `count` sockets to `server` at `path(n)`, from source addresses
/// 127.0.0.`first_source` on (ports in TIME_WAIT after one fleet do not
/// starve the next); returns a sender per socket once every one is greeted.
pub async fn open(
    server: SocketAddr,
    first_source: u8,
    path: impl Fn(usize) -> String,
    count: usize,
    counters: &Arc<Counters>,
) -> anyhow::Result<Vec<Outbox>> {
    let mut outboxes = Vec::with_capacity(count);
    let mut opening = futures::stream::iter(0..count)
        .map(|n| {
            let path = path(n);
            let counters = counters.clone();
            async move {
                connect(server, first_source, n, &path, counters).await.with_context(|| format!("socket {n}"))
            }
        })
        .buffer_unordered(256);
    while let Some(outbox) = opening.next().await {
        outboxes.push(outbox?);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while counters.greeted.load(Ordering::Relaxed) < count as u64 {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "not every socket was greeted within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(outboxes)
}

async fn connect(
    server: SocketAddr,
    first_source: u8,
    n: usize,
    path: &str,
    counters: Arc<Counters>,
) -> anyhow::Result<Outbox> {
    let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, first_source + (n / PER_SOURCE) as u8));
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let stream = socket.connect(server).await?;
    let url = format!("ws://{server}{path}");
    let (socket, _) = tokio_tungstenite::client_async(url, stream).await?;
    let (mut write, mut read) = socket.split();
    let (outbox, mut outgoing) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(text) = outgoing.recv().await {
            if write.send(Message::text(text)).await.is_err() {
                return;
            }
        }
        // The fleet was dropped: close, and the reader ends with the server's close.
        let _ = write.close().await;
    });
    counters.open.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let mut greeted = false;
        let mut latencies = Vec::new();
        while let Some(Ok(message)) = read.next().await {
            let Message::Text(text) = message else {
                if matches!(message, Message::Close(_)) {
                    counters.closed.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            };
            let Ok(frame) = serde_json::from_str::<Seen>(&text) else { continue };
            match frame.kind.as_ref() {
                "chat" if !greeted => {
                    greeted = true;
                    counters.greeted.fetch_add(1, Ordering::Relaxed);
                }
                "chat" => {
                    counters.deliveries.fetch_add(frame.messages.len() as u64, Ordering::Relaxed);
                    let now = now_us();
                    latencies.extend(frame.messages.iter().filter_map(|m| {
                        let sent: u64 = m.text.split(':').next()?.parse().ok()?;
                        Some(now.saturating_sub(sent).max(1))
                    }));
                }
                "reactions" => {
                    let total = frame.totals.values().sum();
                    counters.reactions_seen.fetch_max(total, Ordering::Relaxed);
                }
                "error" if frame.code.as_deref() == Some("rate_limited") => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
            if latencies.len() >= 64 {
                record(&counters, &mut latencies);
            }
        }
        record(&counters, &mut latencies);
        counters.open.fetch_sub(1, Ordering::Relaxed);
    });
    Ok(outbox)
}

/// Until every socket of the fleet has closed (its senders dropped), at most `within`.
pub async fn closed(counters: &Counters, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while counters.open.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Until `count` stops moving for a second (the last frames have arrived), at most `within`.
pub async fn settled(count: &AtomicU64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    let mut last = count.load(Ordering::Relaxed);
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = count.load(Ordering::Relaxed);
        if now == last {
            return;
        }
        last = now;
    }
}

fn record(counters: &Counters, latencies: &mut Vec<u64>) {
    if let Some(histogram) = counters.latencies.lock().unwrap().as_mut() {
        for latency in latencies.drain(..) {
            let _ = histogram.record(latency);
        }
    }
}
