//! `flash-sale`: many buyers race for a few units of one product on a running
//! Cartcast, optionally followed by the same sale on plain cqrs-es
//! (`--peer naive-cqrs`). The last stdout line is the result:
//!
//! `flash-sale answers_per_s=… p50_ms=… p99_ms=… sold=… sold_out=… errors=… oversold=…`
//! then, with a peer, ` peer_answers_per_s=… peer_p99_ms=… peer_retries=… ratio=…`.
//!
//! Exits non-zero when Cartcast oversold, when it sold other than
//! `min(units, buyers)` without any error, or when the peer's run was wrong.

#[path = "../flash_sale/cartcast.rs"]
mod cartcast;
#[path = "../flash_sale/drive.rs"]
mod drive;
#[path = "../flash_sale/naive_cqrs.rs"]
mod naive_cqrs;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use cartcast_command_api::auth::{Signer, load_secret};
use clap::{Parser, ValueEnum};
use drive::Sale;
use reqwest::Url;

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
    let expected = args.units.min(args.buyers);
    let secret = load_secret(args.secret_from_data_dir.as_deref()).context("loading the token secret")?;

    let tally = cartcast::run(&args.url, &Signer::new(&secret), &sale).await?;
    let oversold = tally.sold.saturating_sub(args.units);
    let mut line = format!(
        "flash-sale answers_per_s={:.0} p50_ms={:.1} p99_ms={:.1} sold={} sold_out={} errors={} oversold={oversold}",
        tally.answers_per_s(),
        tally.p50_ms(),
        tally.p99_ms(),
        tally.sold,
        tally.sold_out,
        tally.errors,
    );
    let mut failed = oversold > 0 || (tally.errors == 0 && tally.sold != expected);

    if let Some(Peer::NaiveCqrs) = args.peer {
        let postgres_url = args.postgres_url.as_deref().context("--peer naive-cqrs needs --postgres-url")?;
        let peer =
            naive_cqrs::run(postgres_url, &sale, args.peer_connections).await.context("running the naive-cqrs peer")?;
        if peer.errors > 0 || peer.sold != expected {
            eprintln!(
                "peer: sold {} with {} errors where {expected} sold and no errors were expected",
                peer.sold, peer.errors
            );
            failed = true;
        }
        line.push_str(&format!(
            " peer_answers_per_s={:.0} peer_p99_ms={:.1} peer_retries={} ratio={:.2}",
            peer.answers_per_s(),
            peer.p99_ms(),
            peer.retries,
            tally.answers_per_s() / peer.answers_per_s(),
        ));
    }

    println!("{line}");
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
