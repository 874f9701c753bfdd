//! The buyers as a lean HTTP/1.1 client: one keep-alive connection per slot
//! of concurrency, made with hyper's connection API (no pool, no redirects,
//! no per-request task), each sending its share of reservations one after
//! another with headers and bodies built before the clock starts. So the
//! load generator's own CPU per request stays small next to the server's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Barrier;

use cartcast_tests::measure::cpu_seconds_of;

use crate::cartcast::classify;
use crate::drive::{Answer, Cpu, Reply, Tally};

/// Longest wait for any one answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// The body of every reservation.
const BODY: &[u8] = br#"{"quantity":1}"#;

/// One buyer's request, ready to send.
pub struct Prepared {
    pub authorization: HeaderValue,
    pub idempotency_key: HeaderValue,
}

/// Where the reservations go.
pub struct Target {
    pub addr: SocketAddr,
    pub host: HeaderValue,
    /// The request target, e.g. `/api/v1/products/{id}/reservations`.
    pub path: Uri,
}

/// Sends every buyer's reservation over `connections` keep-alive connections,
/// spread evenly over `targets` (several API processes of one deployment),
/// and tallies the answers under `label`, with the CPU this process and
/// `server` (pids) spent meanwhile. The connections are opened before the
/// clock starts, as a sale's viewers are already on the page when it opens:
/// hundreds of connects at once would otherwise put the listener's accept
/// queue, not the sale, in the first answers' latency.
pub async fn reserve_all(
    label: &'static str,
    targets: Vec<Target>,
    buyers: Arc<Vec<Prepared>>,
    connections: usize,
    server: &[i32],
) -> anyhow::Result<Tally> {
    anyhow::ensure!(!targets.is_empty(), "no target to send the reservations to");
    let targets: Vec<Arc<Target>> = targets.into_iter().map(Arc::new).collect();
    let next = Arc::new(AtomicUsize::new(0));
    let connections = connections.max(1);
    let opened = Arc::new(Barrier::new(connections + 1));
    let lanes: Vec<_> = (0..connections)
        .map(|lane_index| {
            let target = targets[lane_index % targets.len()].clone();
            tokio::spawn(lane(label, target, buyers.clone(), next.clone(), opened.clone()))
        })
        .collect();
    opened.wait().await;
    let this = [std::process::id() as i32];
    let (client_before, server_before) = (cpu_seconds_of(&this)?, cpu_seconds_of(server)?);
    let started = Instant::now();
    let mut tally = Tally::new(label)?;
    for lane in lanes {
        tally.merge(lane.await.context("a connection's task failed")??);
    }
    tally.wall = started.elapsed();
    tally.cpu = Some(Cpu {
        client: Duration::from_secs_f64(cpu_seconds_of(&this)? - client_before),
        server: (!server.is_empty())
            .then(|| cpu_seconds_of(server).map(|after| Duration::from_secs_f64(after - server_before)))
            .transpose()?,
    });
    Ok(tally)
}

/// One connection: opens it and waits for every other lane's at `opened`,
/// then takes the next buyer until none is left; reconnects after a
/// transport failure (a failed first connect is retried by the first buyer).
async fn lane(
    label: &'static str,
    target: Arc<Target>,
    buyers: Arc<Vec<Prepared>>,
    next: Arc<AtomicUsize>,
    opened: Arc<Barrier>,
) -> anyhow::Result<Tally> {
    let mut sender = connect(target.addr).await.ok();
    // Nothing between the spawn and here may return early: every lane must
    // reach the barrier, or the run would wait for it forever.
    opened.wait().await;
    let mut tally = Tally::part(label)?;
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(buyer) = buyers.get(index) else {
            return Ok(tally);
        };
        let sent = Instant::now();
        let answer = match tokio::time::timeout(ANSWER_WITHIN, send(&target, &mut sender, buyer)).await {
            Ok(Ok(answer)) => answer,
            Err(_) => {
                sender = None;
                Answer::Failed { kind: "timed out".to_owned(), detail: format!("no answer within {ANSWER_WITHIN:?}") }
            }
            Ok(Err(error)) => {
                sender = None;
                Answer::Failed { kind: "transport failed".to_owned(), detail: format!("{error:#}") }
            }
        };
        tally.record(Reply { answer, retries: 0 }, sent.elapsed());
    }
}

async fn send(
    target: &Target,
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    buyer: &Prepared,
) -> anyhow::Result<Answer> {
    let connected = match sender.take() {
        Some(connected) => connected,
        None => connect(target.addr).await?,
    };
    let mut request = Request::new(Full::new(Bytes::from_static(BODY)));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = target.path.clone();
    let headers = request.headers_mut();
    headers.insert(HOST, target.host.clone());
    headers.insert(AUTHORIZATION, buyer.authorization.clone());
    headers.insert("idempotency-key", buyer.idempotency_key.clone());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut connected = connected;
    connected.ready().await.context("the connection closed")?;
    let response = connected.send_request(request).await.context("sending the reservation")?;
    let status = response.status();
    let body = response.into_body().collect().await.context("reading the reservation answer")?.to_bytes();
    *sender = Some(connected);
    Ok(classify(status, &body))
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true).context("setting TCP_NODELAY")?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.context("the HTTP/1.1 handshake")?;
    tokio::spawn(connection);
    Ok(sender)
}
