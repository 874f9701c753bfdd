//! `flash-sale`: many buyers race for a few units of one product on a running
//! Cartcast, optionally followed by the same sale on plain cqrs-es
//! (`--peer naive-cqrs`). The last stdout line is the result:
//!
//! `flash-sale answers_per_s=… p50_ms=… p99_ms=… sold=… sold_out=… errors=… undersold=… oversold=… retries=…`
//! (with `--server-pid`, also `server_cpu_us=… client_cpu_us=…`: CPU
//! microseconds per request), then, with a peer, the same fields prefixed
//! `peer_` and ` ratio=…`. Buyers are sent by a lean HTTP/1.1 client (one
//! keep-alive hyper connection per slot of `--concurrency`).
//!
//! Only definitive answers (201 sold, 409 sold out) count as answers, in the
//! rate and the latencies; anything else is an error, printed to stderr by
//! kind. Each run, Cartcast's and the peer's alike, fails on any error, on
//! any unit left unsold while buyers asked for it, and on any unit sold
//! beyond the stock; then the exit code is non-zero and `ratio=n/a`.

#[path = "../flash_sale/cartcast.rs"]
mod cartcast;
#[path = "../flash_sale/cpu.rs"]
mod cpu;
#[path = "../flash_sale/drive.rs"]
mod drive;
#[path = "../flash_sale/lean.rs"]
mod lean;
#[path = "../flash_sale/naive_cqrs.rs"]
mod naive_cqrs;
#[path = "../flash_sale/verdict.rs"]
mod verdict;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use cartcast_command_api::auth::{Signer, load_secret};
use cartcast_infra::config::Settings;
use clap::{Parser, ValueEnum};
use drive::Sale;
use reqwest::Url;
use verdict::Verdict;

#[derive(Parser)]
#[command(about = "Flash-sale bench: buyers race for the units of one product")]
struct Args {
    /// Base URL of a running Cartcast, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: Url,
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
    /// Also run the sale on a peer implementation and compare.
    #[arg(long, value_enum, requires = "postgres_url")]
    peer: Option<Peer>,
    /// PostgreSQL server for the peer; it creates and drops a database of its own there.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Connection pool size of the peer.
    #[arg(long, default_value_t = 32)]
    peer_connections: u32,
    /// A process serving the sale (repeat for each: api, worker, projector);
    /// its CPU per request is reported as `server_cpu_us`, beside the load
    /// generator's own as `client_cpu_us`.
    #[arg(long = "server-pid", value_name = "PID")]
    server_pids: Vec<u32>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Peer {
    /// cqrs-es 0.5 on postgres-es, retrying optimistic-lock conflicts.
    NaiveCqrs,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let sale = Sale {
        units: args.units,
        buyers: usize::try_from(args.buyers).context("--buyers does not fit this machine")?,
        concurrency: usize::try_from(args.concurrency).context("--concurrency does not fit this machine")?,
    };
    let settings = Settings::from_env().context("reading CARTCAST_* settings")?;
    let secret = load_secret(settings.secret.as_ref(), args.secret_from_data_dir.as_deref())
        .context("loading the token secret")?;

    let server: Vec<cpu::Process> = args.server_pids.iter().map(|pid| cpu::Process::Pid(*pid)).collect();
    let tally = cartcast::run(&args.url, &Signer::new(&secret), &sale, &server).await?;
    let verdict = Verdict::of(&tally, &sale);
    verdict.explain(&tally);
    let mut line = format!("flash-sale{}", verdict.fields("", &tally));
    let mut passed = verdict.passed();

    if let Some(Peer::NaiveCqrs) = args.peer {
        let postgres_url = args.postgres_url.as_deref().context("--peer naive-cqrs needs --postgres-url")?;
        let peer =
            naive_cqrs::run(postgres_url, &sale, args.peer_connections).await.context("running the naive-cqrs peer")?;
        let peer_verdict = Verdict::of(&peer, &sale);
        peer_verdict.explain(&peer);
        line.push_str(&peer_verdict.fields("peer_", &peer));
        passed &= peer_verdict.passed();
        let ratio = tally.answers_per_s() / peer.answers_per_s();
        line.push_str(&if passed { format!(" ratio={ratio:.2}") } else { " ratio=n/a".to_owned() });
    }

    println!("{line}");
    Ok(if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
