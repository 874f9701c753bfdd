//! `long-tail`: what a small show costs the server. One `cartcast up`
//! takes `--shows` source-only shows at once, each published from this
//! process by an RTMP client replaying a 720p30, 2.5 Mbit/s clip with AAC
//! at real-time pace (made once by the ffmpeg CLI), and each watched by
//! one LL-HLS player polling with blocking reloads (which does not start a
//! ladder: only live-socket watchers do). The server's CPU and RSS are read
//! from `/proc` with no show, then with all of them after `--warmup`. The
//! last stdout line is the result:
//!
//! `long-tail shows=… cpu_pct_core_per_show=… rss_mb_per_show=… part_latency_p50_ms=…`
//!
//! per show: (figure with every show − figure with none) ÷ shows; the part
//! latency is the server's ingest → part summary of the source renditions
//! at the end.

#[path = "../long_tail/clip.rs"]
mod clip;
#[path = "../long_tail/player.rs"]
mod player;
#[path = "../long_tail/publisher.rs"]
mod publisher;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use cartcast_domain::Role;
use cartcast_tests::measure::{cpu_seconds, metric, rss_kb};
use cartcast_tests::{Client, Process};
use player::Played;

#[derive(Parser)]
#[command(about = "Memory and CPU per small (source-only) show, at many shows")]
struct Args {
    /// Shows published and watched at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    shows: u32,
    /// Seconds from the last show's first part to the measurement.
    #[arg(long, default_value_t = 20)]
    warmup: u64,
    /// Seconds the CPU is measured over.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    seconds: u64,
    /// Length of the clip the publishers loop (whole 2 s GOPs).
    #[arg(long, default_value_t = 20)]
    clip_seconds: u32,
}

/// What the server costs with no show, with `shows`, and what the players got.
struct Figures {
    idle_rss_kb: u64,
    idle_cpu_pct: f64,
    rss_kb: u64,
    cpu_pct: f64,
    part_latency_p50_ms: f64,
    /// This process's own CPU over the same window, % of one core.
    client_cpu_pct: f64,
    /// Parts the players fetched over the window, fewest by one player and in all.
    parts: (u64, u64),
    /// What one player received on average over the window, Mbit/s.
    player_mbit_s: f64,
    /// Thumbnails on disk at the end, fewest of one show and in all, and
    /// the frames the shared thumbnailer skipped because it was busy.
    thumbnails: (usize, usize),
    thumbnails_skipped: f64,
}

/// The server's CPU over each measured window, and the idle wait before it.
const IDLE_SETTLE: Duration = Duration::from_secs(3);
const IDLE_WINDOW: Duration = Duration::from_secs(5);
/// Longest wait for every show's player to get its first part.
const PLAYING_WITHIN: Duration = Duration::from_secs(120);
/// Publishers start this far apart, as shows start through an evening rather than at one instant.
const STAGGER: Duration = Duration::from_millis(20);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = cartcast_tests::temp_dir("long-tail");
    let clip = clip::read(&clip::make(&dir, args.clip_seconds)?)?;
    eprintln!(
        "long-tail: clip of {} tags, {:.1} s, {:.2} Mbit/s",
        clip.tags.len(),
        f64::from(clip.loop_ms) / 1000.0,
        clip.bytes as f64 * 8.0 / f64::from(clip.loop_ms) / 1000.0
    );
    let secret = "long-tail-secret";
    let data_dir = dir.join("data").display().to_string();
    let args_up = ["up", "--data-dir", &data_dir, "--http", "127.0.0.1:0", "--rtmp", "127.0.0.1:0"].map(String::from);
    let env = [("CARTCAST_SECRET".to_owned(), secret.to_owned())];
    let mut server = Process::start("cartcast up", &args_up, &env, true).await?;
    let figures = measure(&server, secret, Arc::new(clip), &dir.join("data").join("media"), &args).await;
    let _ = server.terminate(Duration::from_secs(10)).await;
    let _ = std::fs::remove_dir_all(&dir);
    let figures = figures?;
    let shows = f64::from(args.shows);
    eprintln!(
        "long-tail: server idle {:.1} MB, {:.2}% of a core; with {} shows {:.1} MB, {:.1}%; this process {:.1}%; \
         parts fetched in the window: {} in all, {} by the slowest player, {:.2} Mbit/s per player; \
         thumbnails: {} in all, {} for the show with fewest, {} skipped",
        figures.idle_rss_kb as f64 / 1024.0,
        figures.idle_cpu_pct,
        args.shows,
        figures.rss_kb as f64 / 1024.0,
        figures.cpu_pct,
        figures.client_cpu_pct,
        figures.parts.1,
        figures.parts.0,
        figures.player_mbit_s,
        figures.thumbnails.1,
        figures.thumbnails.0,
        figures.thumbnails_skipped,
    );
    println!(
        "long-tail shows={} cpu_pct_core_per_show={:.3} rss_mb_per_show={:.2} part_latency_p50_ms={:.0}",
        args.shows,
        (figures.cpu_pct - figures.idle_cpu_pct) / shows,
        (figures.rss_kb.saturating_sub(figures.idle_rss_kb)) as f64 / 1024.0 / shows,
        figures.part_latency_p50_ms,
    );
    Ok(())
}

async fn measure(
    server: &Process,
    secret: &str,
    clip: Arc<clip::Clip>,
    media_dir: &Path,
    args: &Args,
) -> anyhow::Result<Figures> {
    let base = server.url.clone().context("the server printed no HTTP address")?;
    let rtmp = server.rtmp.clone().context("the server printed no RTMP address")?;
    let pid = server.pid()?;
    let client = Client::new(&base, secret.as_bytes());

    tokio::time::sleep(IDLE_SETTLE).await;
    let idle_cpu_pct = cpu_pct(pid, IDLE_WINDOW).await?;
    let idle_rss_kb = rss_kb(pid)?;

    let stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let http = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let (mut players, mut show_ids) = (Vec::new(), Vec::new());
    for n in 0..args.shows {
        let creator = client.token(&format!("long-tail-creator-{n}"), Role::Creator);
        let show = client.post("/api/v1/shows", &creator, None, json!({"title": format!("small show {n}")})).await?;
        anyhow::ensure!(show.status == 201, "creating a show: {}", show.body);
        let show_id = show.body["show_id"].as_str().context("show_id")?.to_owned();
        let key = show.body["stream_key"].as_str().context("stream_key")?.to_owned();
        show_ids.push(show_id.clone());
        let (rtmp, clip, stop_publishing) = (rtmp.clone(), clip.clone(), stop.clone());
        tasks.spawn(async move { publisher::publish(&rtmp, &key, clip, stop_publishing).await.context("a publisher") });
        let played = Arc::new(Played::default());
        players.push(played.clone());
        let (http, base, stop_playing) = (http.clone(), base.clone(), stop.clone());
        tasks.spawn(async move {
            player::play(http, &base, &show_id, "source", played, stop_playing).await.context("a player")
        });
        tokio::time::sleep(STAGGER).await;
    }

    let measured = async {
        wait_until_all_play(&players).await?;
        eprintln!("long-tail: every show plays; warming up {} s", args.warmup);
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        let parts_before: Vec<u64> = players.iter().map(|p| p.parts.load(Ordering::Relaxed)).collect();
        let bytes_before: u64 = players.iter().map(|p| p.bytes.load(Ordering::Relaxed)).sum();
        let client_before = cpu_seconds(std::process::id() as i32)?;
        let window = Duration::from_secs(args.seconds);
        let cpu_pct = cpu_pct(pid, window).await?;
        let client_cpu_pct = (cpu_seconds(std::process::id() as i32)? - client_before) / window.as_secs_f64() * 100.0;
        let fetched: Vec<u64> =
            players.iter().zip(&parts_before).map(|(p, before)| p.parts.load(Ordering::Relaxed) - before).collect();
        let bytes = players.iter().map(|p| p.bytes.load(Ordering::Relaxed)).sum::<u64>() - bytes_before;
        let player_mbit_s = bytes as f64 * 8.0 / 1e6 / window.as_secs_f64() / players.len() as f64;
        let series = "cartcast_media_part_latency_seconds{rendition=\"source\",quantile=\"0.5\"}";
        let part_latency_p50_ms = metric(&base, series).await?.context("no source part latency")? * 1000.0;
        let thumbnails: Vec<usize> = show_ids.iter().map(|id| thumbnails_in(&media_dir.join(id).join("thumbs"))).collect();
        let thumbnails_skipped = metric(&base, "cartcast_media_thumbnails_skipped_total").await?.unwrap_or(0.0);
        Ok::<_, anyhow::Error>(Figures {
            idle_rss_kb,
            idle_cpu_pct,
            rss_kb: rss_kb(pid)?,
            cpu_pct,
            part_latency_p50_ms,
            client_cpu_pct,
            parts: (fetched.iter().copied().min().unwrap_or(0), fetched.iter().sum()),
            player_mbit_s,
            thumbnails: (thumbnails.iter().copied().min().unwrap_or(0), thumbnails.iter().sum()),
            thumbnails_skipped,
        })
    };
    // A publisher or player that fails ends the bench with its error.
    let figures = tokio::select! {
        figures = measured => figures,
        Some(failed) = tasks.join_next() => Err(failed.map_or_else(anyhow::Error::new, |r| {
            r.err().unwrap_or_else(|| anyhow::anyhow!("a publisher or player stopped by itself"))
        })),
    };
    stop.cancel();
    while let Some(ended) = tasks.join_next().await {
        ended??;
    }
    let figures = figures?;
    anyhow::ensure!(figures.parts.0 > 0, "a player fetched no part while measured: its show stalled");
    anyhow::ensure!(figures.thumbnails.0 > 0, "a show has no thumbnail: the shared thumbnailer fell behind");
    Ok(figures)
}

/// The moment thumbnails (`<second>.jpg`) a show has written.
fn thumbnails_in(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|name| name.ends_with(".jpg") && name != "latest.jpg"))
        .count()
}

/// The share of one core `pid` used over `window`, %.
async fn cpu_pct(pid: i32, window: Duration) -> anyhow::Result<f64> {
    let (before, started) = (cpu_seconds(pid)?, Instant::now());
    tokio::time::sleep(window).await;
    Ok((cpu_seconds(pid)? - before) / started.elapsed().as_secs_f64() * 100.0)
}

/// Until every player has fetched a part.
async fn wait_until_all_play(players: &[Arc<Played>]) -> anyhow::Result<()> {
    let deadline = Instant::now() + PLAYING_WITHIN;
    loop {
        let waiting = players.iter().filter(|p| p.parts.load(Ordering::Relaxed) == 0).count();
        if waiting == 0 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{waiting} shows still had no part after {PLAYING_WITHIN:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
