//! `ws-load`: many live sockets on one show of a real `cartcast up`, driven
//! with chat and reactions. It opens `--sockets` sockets (raising its own fd
//! limit, from several 127.0.0.x source addresses), measures the server's
//! RSS per idle socket, then for `--seconds` has `--chatters` of them post
//! (each within the chat's rate limit) and every socket count what reaches
//! it, then has `--reactors` of them react at their budget's pace. The last
//! stdout line is the result:
//!
//! `ws-load sockets=… deliveries_per_s=… p99_ms=… rss_kb_per_socket=… reactions_per_s=… lost=… sampled_out=…`
//!
//! where a delivery is one chat message reaching one socket and `lost` is
//! chat deliveries and accepted reactions that never arrived. With `--peer
//! bare` the same sockets and chat go through a bare tokio-broadcast
//! fan-out server in this process, and ` peer_deliveries_per_s=… ratio=…`
//! follow.

#[path = "../ws_load/bare.rs"]
mod bare;
#[path = "../ws_load/fleet.rs"]
mod fleet;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use serde_json::json;
use tokio::time::MissedTickBehavior;

use cartcast_domain::Role;
use cartcast_tests::measure::{cpu_seconds, metric, rss_kb};
use cartcast_tests::{Client, Process};
use fleet::{Counters, Outbox};

/// Each chatter posts this often: just over the chat's 1.5 s rate limit.
const CHAT_EVERY: Duration = Duration::from_millis(1600);
/// Each reactor reacts this often: its socket's sustained budget (10/s).
const REACT_EVERY: Duration = Duration::from_millis(100);
/// How long after a phase frames may still arrive.
const DRAIN: Duration = Duration::from_secs(3);
/// The longest wait for late frames once a phase ends, and for a fleet to close.
const SETTLE_WITHIN: Duration = Duration::from_secs(60);

#[derive(Parser)]
#[command(about = "Live-socket load: fan-out of chat and reactions to many sockets of one show")]
struct Args {
    #[arg(long, default_value_t = 5000)]
    sockets: usize,
    /// Length of each phase (chat, reactions).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Sockets that post chat, each every 1.6 s.
    #[arg(long, default_value_t = 100)]
    chatters: usize,
    /// Sockets that react, each 10 a second.
    #[arg(long, default_value_t = 1000)]
    reactors: usize,
    #[arg(long, value_enum)]
    peer: Option<Peer>,
    /// Internal: be the bare peer server (a process of its own, as Cartcast is).
    #[arg(long, hide = true)]
    serve_bare: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Peer {
    /// A bare tokio-broadcast fan-out server.
    Bare,
}

struct ChatFigures {
    deliveries_per_s: f64,
    p99_ms: f64,
    lost: u64,
    /// Messages the room left out of the live fan-out under overload (stored, not lost).
    sampled_out: u64,
    /// CPU over the phase, % of one core: the server's, and this process's (the load).
    server_cpu_pct: f64,
    load_cpu_pct: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    raise_fd_limit()?;
    if args.serve_bare {
        let addr = bare::start().await?;
        println!("listening http://{addr}");
        return std::future::pending().await;
    }
    let dir = cartcast_tests::temp_dir("ws-load");
    let secret = "ws-load-secret";
    let env = [("CARTCAST_SECRET".to_owned(), secret.to_owned())];
    let data_dir = dir.display().to_string();
    let up = ["up", "--data-dir", &data_dir, "--http", "127.0.0.1:0", "--rtmp", "127.0.0.1:0"].map(String::from);
    let mut server = Process::start("cartcast up", &up, &env, true).await?;
    let result = run(&args, &server, secret).await;
    let _ = server.terminate(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(args: &Args, server: &Process, secret: &str) -> anyhow::Result<()> {
    let base = server.url.clone().context("the server printed no HTTP address")?;
    let client = Client::new(&base, secret.as_bytes());
    let creator = client.token("ws-load-creator", Role::Creator);
    let show = client.post("/api/v1/shows", &creator, None, json!({"title": "ws-load"})).await?;
    anyhow::ensure!(show.status == 201, "creating the show: {}", show.body);
    let show_id = show.body["show_id"].as_str().context("show_id")?.to_owned();
    let addr: SocketAddr = base.trim_start_matches("http://").parse()?;
    let pid = server.pid()?;

    let before = rss_kb(pid)?;
    let counters = Counters::new();
    let path =
        |n: usize| format!("/api/v1/shows/{show_id}/live?token={}", client.token(&format!("v{n}"), Role::Viewer));
    let sockets = fleet::open(addr, 1, path, args.sockets, &counters).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_kb_per_socket = rss_kb(pid)?.saturating_sub(before) as f64 / args.sockets as f64;
    eprintln!("ws-load: {} sockets open, {rss_kb_per_socket:.1} KB RSS each", args.sockets);

    let chat = chat_phase(args, &sockets, &counters, pid, Some(&base)).await?;
    eprintln!(
        "ws-load: chat {:.0} deliveries/s, p99 {:.0} ms, lost {}, sampled out {}, closed {} (of which by a close frame {}), CPU server {:.0}% load {:.0}%",
        chat.deliveries_per_s,
        chat.p99_ms,
        chat.lost,
        chat.sampled_out,
        args.sockets as u64 - counters.open.load(Ordering::Relaxed),
        counters.closed.load(Ordering::Relaxed),
        chat.server_cpu_pct,
        chat.load_cpu_pct
    );
    let (reactions_per_s, reactions_lost) = reaction_phase(args, &sockets, &counters).await;
    let mut line = format!(
        "ws-load sockets={} deliveries_per_s={:.0} p99_ms={:.0} rss_kb_per_socket={rss_kb_per_socket:.1} \
         reactions_per_s={reactions_per_s:.0} lost={} sampled_out={}",
        args.sockets,
        chat.deliveries_per_s,
        chat.p99_ms,
        chat.lost + reactions_lost,
        chat.sampled_out
    );
    drop(sockets);
    fleet::closed(&counters, SETTLE_WITHIN).await;
    if let Some(Peer::Bare) = args.peer {
        let (mut peer_server, bare) = start_bare().await?;
        let counters = Counters::new();
        let path = |_| "/api/v1/shows/bare/live".to_owned();
        let sockets = fleet::open(bare, 101, path, args.sockets, &counters).await?;
        let peer = chat_phase(args, &sockets, &counters, peer_server.pid()?, None).await?;
        let _ = peer_server.kill9().await;
        eprintln!(
            "ws-load: bare {:.0} deliveries/s, p99 {:.0} ms, lost {}",
            peer.deliveries_per_s, peer.p99_ms, peer.lost
        );
        let ratio = chat.deliveries_per_s / peer.deliveries_per_s.max(1.0);
        line.push_str(&format!(" peer_deliveries_per_s={:.0} ratio={ratio:.2}", peer.deliveries_per_s));
    }
    println!("{line}");
    Ok(())
}

/// This binary again as the bare peer server; the process and its address.
async fn start_bare() -> anyhow::Result<(Process, SocketAddr)> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let peer = Process::start_program(exe.as_os_str(), "bare peer", &["--serve-bare".to_owned()], &[], true).await?;
    let addr = peer.url.as_deref().context("the peer's address")?.trim_start_matches("http://").parse()?;
    Ok((peer, addr))
}

/// `chatters` sockets post for `seconds`; every socket counts what reaches it.
async fn chat_phase(
    args: &Args,
    sockets: &[Outbox],
    counters: &Arc<Counters>,
    server: i32,
    base: Option<&str>,
) -> anyhow::Result<ChatFigures> {
    let sampled_before = sampled_out(base).await?;
    let start = counters.deliveries.load(Ordering::Relaxed);
    let refused = counters.refused.load(Ordering::Relaxed);
    counters.reset_latencies();
    let load = std::process::id() as i32;
    let (server_cpu, load_cpu) = (cpu_seconds(server)?, cpu_seconds(load)?);
    let phase = Duration::from_secs(args.seconds);
    // Late ticks are skipped, not bunched: no chatter posts faster than the rate limit.
    let posts = paced(&sockets[..args.chatters.min(sockets.len())], CHAT_EVERY, phase, MissedTickBehavior::Skip, |n| {
        json!({"type": "chat", "text": fleet::stamped(n)}).to_string()
    })
    .await;
    let delivered_in_phase = counters.deliveries.load(Ordering::Relaxed) - start;
    let pct = |seconds: f64| seconds / phase.as_secs_f64() * 100.0;
    let (server_cpu_pct, load_cpu_pct) = (pct(cpu_seconds(server)? - server_cpu), pct(cpu_seconds(load)? - load_cpu));
    fleet::settled(&counters.deliveries, SETTLE_WITHIN).await;
    let delivered = counters.deliveries.load(Ordering::Relaxed) - start;
    // A post the rate limit refused (the pacer's ticks can bunch) reaches no one, by design.
    let accepted = posts - (counters.refused.load(Ordering::Relaxed) - refused);
    let sampled_out = sampled_out(base).await? - sampled_before;
    Ok(ChatFigures {
        deliveries_per_s: delivered_in_phase as f64 / phase.as_secs_f64(),
        p99_ms: counters.latency_p99_ms(),
        lost: ((accepted - sampled_out) * sockets.len() as u64).saturating_sub(delivered),
        sampled_out,
        server_cpu_pct,
        load_cpu_pct,
    })
}

/// The server's `cartcast_chat_sampled_out_total` (0 for a server without one).
async fn sampled_out(base: Option<&str>) -> anyhow::Result<u64> {
    let Some(base) = base else { return Ok(0) };
    Ok(metric(base, "cartcast_chat_sampled_out_total").await?.map_or(0, |value| value as u64))
}

/// `reactors` sockets react for `seconds`; returns accepted reactions per
/// second and how many accepted ones the show's totals never showed.
async fn reaction_phase(args: &Args, sockets: &[Outbox], counters: &Arc<Counters>) -> (f64, u64) {
    let (refused, seen) = (counters.refused.load(Ordering::Relaxed), counters.reactions_seen.load(Ordering::Relaxed));
    let phase = Duration::from_secs(args.seconds);
    // Late ticks catch up: a reactor's burst budget absorbs the bunching.
    let reactors = &sockets[..args.reactors.min(sockets.len())];
    let sent = paced(reactors, REACT_EVERY, phase, MissedTickBehavior::Burst, |_| {
        json!({"type": "react", "emoji": "❤"}).to_string()
    })
    .await;
    tokio::time::sleep(DRAIN).await;
    let accepted = sent - (counters.refused.load(Ordering::Relaxed) - refused);
    let counted = counters.reactions_seen.load(Ordering::Relaxed) - seen;
    (accepted as f64 / phase.as_secs_f64(), accepted.saturating_sub(counted))
}

/// Each of `senders` sends `frame(n)` every `every` for `phase`, staggered;
/// returns how many were sent.
async fn paced(
    senders: &[Outbox],
    every: Duration,
    phase: Duration,
    late: MissedTickBehavior,
    frame: impl Fn(u64) -> String,
) -> u64 {
    let start = tokio::time::Instant::now();
    let mut ticker = tokio::time::interval(every / senders.len().max(1) as u32);
    ticker.set_missed_tick_behavior(late);
    let mut sent = 0;
    while start.elapsed() < phase {
        ticker.tick().await;
        let sender = &senders[sent as usize % senders.len()];
        if sender.send(frame(sent)).is_ok() {
            sent += 1;
        }
    }
    sent
}

/// Open files for this process and the server it starts: a million where
/// the bench may raise its hard limit (root), else the hard limit.
fn raise_fd_limit() -> anyhow::Result<()> {
    const WANTED: libc::rlim_t = 1 << 20;
    // Safety: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        anyhow::ensure!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0, "getrlimit");
        let raised = libc::rlimit { rlim_cur: WANTED.max(limit.rlim_max), rlim_max: WANTED.max(limit.rlim_max) };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
            limit.rlim_cur = limit.rlim_max;
            anyhow::ensure!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0, "setrlimit");
        }
    }
    Ok(())
}
