//! `flash-sale`: many buyers race for a few units of one product on a running
//! Cartcast, then, with `--peer`, the same sale on each peer: `bare` (the same
//! requests to a trivial axum route that decides nothing, a process of its
//! own), `naive-cqrs` and `snapshot-cqrs` (cqrs-es on postgres-es, without and
//! with snapshots, retrying optimistic-lock conflicts) and `sql` (one
//! PostgreSQL transaction per buyer). Buyers are sent by a lean HTTP/1.1
//! client (one keep-alive hyper connection per slot of `--concurrency`).
//!
//! Each run prints its own line first (`cartcast …`, `peer=NAME buyers=…
//! units=… concurrency=… …`), then the last stdout line sums up:
//!
//! `flash-sale answers_per_s=… p50_ms=… p99_ms=… server_cpu_us=… client_cpu_us=… bare_cpu_us=… edge_ratio=… naive_ratio=… snapshot_ratio=… sql_ratio=… oversold=…`
//!
//! `server_cpu_us` and `client_cpu_us` are CPU microseconds per request of
//! the processes named by `--server-pid` and of this one; `edge_ratio` is
//! `server_cpu_us / bare_cpu_us`; each `*_ratio` of a peer is Cartcast's
//! answers per second over the peer's. A figure not measured, or of a run
//! that failed, reads `n/a`. `--compare FILE` takes the peer lines of an
//! earlier run of the same sale (its stdout) for the peers not run here.
//!
//! Only definitive answers (201 sold, 409 sold out) count as answers, in the
//! rate and the latencies; anything else is an error, printed to stderr by
//! kind. Each run, Cartcast's and every peer's alike, fails on any error, on
//! any unit left unsold while buyers asked for it, and on any unit sold
//! beyond the stock; then the exit code is non-zero.

#[path = "../flash_sale/bare.rs"]
mod bare;
#[path = "../flash_sale/cartcast.rs"]
mod cartcast;
#[path = "../flash_sale/cqrs_peer.rs"]
mod cqrs_peer;
#[path = "../flash_sale/drive.rs"]
mod drive;
#[path = "../flash_sale/lean.rs"]
mod lean;
#[path = "../flash_sale/peers.rs"]
mod peers;
#[path = "../flash_sale/scratch.rs"]
mod scratch;
#[path = "../flash_sale/sql_peer.rs"]
mod sql_peer;
#[path = "../flash_sale/verdict.rs"]
mod verdict;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use cartcast_command_api::auth::{Signer, load_secret};
use cartcast_infra::config::Settings;
use clap::Parser;
use drive::Sale;
use peers::{Peer, PeerFigures, Summary};
use reqwest::Url;
use verdict::Verdict;

/// The allocator `cartcast` uses, so the bare server is measured on equal terms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Flash-sale bench: buyers race for the units of one product")]
struct Args {
    /// Base URL of a running Cartcast, e.g. http://127.0.0.1:8080; repeat it
    /// for each API process of one deployment to spread the buyers' connections.
    #[arg(long = "url", required_unless_present = "serve_bare")]
    urls: Vec<Url>,
    /// Distinct buyers, each reserving one unit once.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    buyers: u64,
    /// Units of the product on sale.
    #[arg(long, default_value_t = 500)]
    units: u64,
    /// Most reservations in flight at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    concurrency: u64,
    /// Data dir whose `secret` signs the tokens; without it, `CARTCAST_SECRET`.
    #[arg(long, value_name = "DIR")]
    secret_from_data_dir: Option<PathBuf>,
    /// Also run the sale on this peer (repeat for several).
    #[arg(long = "peer", value_enum)]
    peers: Vec<Peer>,
    /// The output of an earlier run of the same sale: its peer lines stand
    /// for the peers not run here.
    #[arg(long, value_name = "FILE")]
    compare: Option<PathBuf>,
    /// PostgreSQL server for the database peers; each creates and drops a database of its own there.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Connection pool size of the database peers.
    #[arg(long, default_value_t = 32)]
    peer_connections: u32,
    /// A process serving the sale (repeat for each: api, worker, projector);
    /// its CPU per request is reported as `server_cpu_us`, beside the load
    /// generator's own as `client_cpu_us`.
    #[arg(long = "server-pid", value_name = "PID")]
    server_pids: Vec<i32>,
    /// Internal: be the bare peer's server (a process of its own, as Cartcast is).
    #[arg(long, hide = true)]
    serve_bare: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let settings = Settings::from_env().context("reading CARTCAST_* settings")?;
    let secret = load_secret(settings.secret.as_ref(), args.secret_from_data_dir.as_deref())
        .context("loading the token secret")?;
    if args.serve_bare {
        let addr = bare::serve_on_free_port(&secret).await?;
        println!("listening http://{addr}");
        return std::future::pending().await;
    }
    let sale = Sale {
        units: args.units,
        buyers: usize::try_from(args.buyers).context("--buyers does not fit this machine")?,
        concurrency: usize::try_from(args.concurrency).context("--concurrency does not fit this machine")?,
    };
    let signer = Signer::new(&secret);
    let buyers = cartcast::prepare(&signer, &sale)?;

    let tally = cartcast::run(&args.urls, &signer, buyers.clone(), &sale, &args.server_pids).await?;
    let verdict = Verdict::of(&tally, &sale);
    verdict.explain(&tally);
    println!("cartcast{}", verdict.fields(&tally));
    let mut summary = Summary::of(&tally, &verdict);

    let earlier = match &args.compare {
        Some(path) => peers::read_lines(path, &sale)?,
        None => Vec::new(),
    };
    for peer in [Peer::Bare, Peer::NaiveCqrs, Peer::SnapshotCqrs, Peer::Sql] {
        let figures = if args.peers.contains(&peer) {
            let figures = run_peer(peer, &args, &secret, buyers.clone(), &sale).await?;
            println!("{}", figures.line);
            summary.passed &= figures.passed;
            Some(figures)
        } else {
            earlier.iter().find(|figures| figures.peer == peer).cloned()
        };
        if let Some(figures) = figures {
            summary.add(&figures);
        }
    }
    println!("{}", summary.line());
    Ok(if summary.passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn run_peer(
    peer: Peer,
    args: &Args,
    secret: &[u8],
    buyers: std::sync::Arc<Vec<lean::Prepared>>,
    sale: &Sale,
) -> anyhow::Result<PeerFigures> {
    let postgres_url = || args.postgres_url.as_deref().context("the database peers need --postgres-url");
    let connections = args.peer_connections;
    let tally = match peer {
        Peer::Bare => bare::run(secret, buyers, sale).await,
        Peer::NaiveCqrs => cqrs_peer::run(postgres_url()?, sale, connections, cqrs_peer::Store::Events).await,
        Peer::SnapshotCqrs => {
            let store = cqrs_peer::Store::Snapshots { every: peers::SNAPSHOT_EVERY };
            cqrs_peer::run(postgres_url()?, sale, connections, store).await
        }
        Peer::Sql => sql_peer::run(postgres_url()?, sale, connections).await,
    }
    .with_context(|| format!("running the {} peer", peer.name()))?;
    Ok(PeerFigures::of(peer, &tally, sale))
}
