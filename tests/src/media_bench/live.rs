//! The live half of the bench: the real `cartcast up` takes a 1080p30 RTMP
//! publish from the ffmpeg CLI; measured are the server's CPU for a
//! source-only show (the long tail) and its ingest → part latency, for the
//! source and, once an audience starts it, for the ladder. Each phase starts
//! only once it runs for real: the show is live and its input arrives at
//! full rate, or the ladder has produced its first part.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;

use cartcast_domain::Role;
use cartcast_tests::measure::{cpu_seconds, metric};
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Process};

use super::player::Player;

/// The frame rate [`Publisher`] sends.
const PUBLISH_FPS: f64 = 30.0;
/// The input counts as running at full rate from this share of [`PUBLISH_FPS`]
/// in the server's stream health (measured over 10 s, rounded to 0.1).
const FULL_RATE: f64 = 0.97;
/// Longest wait for the show to go live after the publisher starts.
const LIVE_WITHIN: Duration = Duration::from_secs(30);
/// Longest wait for the input to run at full rate; stream health is measured
/// over 10 s periods, the first of which includes the connection's start.
const FULL_RATE_WITHIN: Duration = Duration::from_secs(90);
/// Longest wait for the ladder's first part after the watcher joins.
const LADDER_WITHIN: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(500);

/// The shortest phase whose latency quantiles cover it alone: the server's
/// summaries keep the last 60 s and fold samples in up to 5 s late, so a
/// phase this long has aged the warm-up before it out of the window.
pub const LATENCY_WINDOW_S: u64 = 65;

/// Ingest → part latency of one rendition over a phase, ms.
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub struct LiveFigures {
    /// The server's CPU for one source-only show, % of one core.
    pub source_only_cpu_pct: f64,
    pub source: Latency,
    pub ladder: Latency,
    /// The input's frame rate by the server's stream health at the end of
    /// the source-only and of the ladder phase.
    pub input_fps: (f64, f64),
}

/// Runs both phases for `seconds` each (at least [`LATENCY_WINDOW_S`]).
pub async fn run(seconds: u64) -> anyhow::Result<LiveFigures> {
    let dir = cartcast_tests::temp_dir("media-bench-live");
    let secret = "media-bench-secret";
    let env =
        [("CARTCAST_SECRET".to_owned(), secret.to_owned()), ("CARTCAST_LADDER_WATCHERS".to_owned(), "1".to_owned())];
    let data_dir = dir.display().to_string();
    let args = ["up", "--data-dir", &data_dir, "--http", "127.0.0.1:0", "--rtmp", "127.0.0.1:0"].map(String::from);
    let mut server = Process::start("cartcast up", &args, &env, true).await?;
    let figures = measure(&server, secret, Duration::from_secs(seconds)).await;
    // Best effort: the process is killed on drop and the dir is a temp dir.
    let _ = server.terminate(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&dir);
    figures
}

async fn measure(server: &Process, secret: &str, phase: Duration) -> anyhow::Result<LiveFigures> {
    let base = server.url.clone().context("the server printed no HTTP address")?;
    let client = Client::new(&base, secret.as_bytes());
    let creator = client.token("bench-creator", Role::Creator);
    let show = client.post("/api/v1/shows", &creator, None, json!({"title": "bench"})).await?;
    anyhow::ensure!(show.status == 201, "creating the show: {}", show.body);
    let show_id = show.body["show_id"].as_str().context("show_id")?.to_owned();
    let key = show.body["stream_key"].as_str().context("stream_key")?;
    let publisher = Publisher::start(server.rtmp.as_deref().context("rtmp")?, key, "1920x1080")?;
    let figures = phases(server, &client, &creator, &show_id, phase).await;
    publisher.stop().await?;
    figures
}

/// Source only, then with the ladder, each measured once it runs for real.
async fn phases(
    server: &Process,
    client: &Client,
    creator: &str,
    show_id: &str,
    phase: Duration,
) -> anyhow::Result<LiveFigures> {
    let base = &client.base;
    let fps_series = format!("cartcast_media_input_fps{{show_id=\"{show_id}\"}}");
    await_live(client, creator, show_id).await?;
    poll("the input to run at full rate", FULL_RATE_WITHIN, || async {
        match metric(base, &fps_series).await? {
            Some(fps) if fps >= FULL_RATE * PUBLISH_FPS => Ok(Ok(())),
            fps => Ok(Err(format!("the server's input fps is {fps:?}"))),
        }
    })
    .await?;

    let pid = server.pid()?;
    let before = cpu_seconds(pid)?;
    tokio::time::sleep(phase).await;
    let source_only_cpu_pct = (cpu_seconds(pid)? - before) / phase.as_secs_f64() * 100.0;
    let source = latency(base, "source").await?;
    let source_fps = metric(base, &fps_series).await?.context("the input fps disappeared")?;

    // One watcher crosses the threshold: the ladder starts.
    let viewer = client.token("bench-viewer", Role::Viewer);
    let mut player = Player::join(base, show_id, &viewer).await?;
    let ladder = tokio::select! {
        ladder = ladder_phase(base, phase) => ladder?,
        error = player.keep_playing() => return Err(error.context("the bench's viewer stopped watching")),
    };
    let ladder_fps = metric(base, &fps_series).await?.context("the input fps disappeared")?;
    Ok(LiveFigures { source_only_cpu_pct, source, ladder, input_fps: (source_fps, ladder_fps) })
}

/// From the ladder's first part, `phase` long; the ladder's latency at its end.
async fn ladder_phase(base: &str, phase: Duration) -> anyhow::Result<Latency> {
    poll("the ladder's first part", LADDER_WITHIN, || async {
        Ok(quantile_ms(base, "ladder", "0.5").await?.ok_or_else(|| "no ladder part yet".to_owned()))
    })
    .await?;
    tokio::time::sleep(phase).await;
    latency(base, "ladder").await
}

/// Until `GET /api/v1/shows/{id}` says `live`.
async fn await_live(client: &Client, creator: &str, show_id: &str) -> anyhow::Result<()> {
    let path = format!("/api/v1/shows/{show_id}");
    poll("the show to go live", LIVE_WITHIN, || async {
        let show = client.get(&path, Some(creator)).await?;
        if show.status == 404 {
            // The read models have not caught up with the show's creation yet.
            return Ok(Err("the show is not readable yet".to_owned()));
        }
        anyhow::ensure!(show.status == 200, "reading the show answered {}: {}", show.status, show.body);
        let status = show.body["status"].as_str().unwrap_or_default().to_owned();
        Ok(if status == "live" { Ok(()) } else { Err(format!("the show is {status:?}")) })
    })
    .await
}

/// Calls `check` every [`POLL_EVERY`] until it gives `Ok(value)`; fails
/// after `within` with the last state it described in `Err`.
async fn poll<T, F, Fut>(what: &str, within: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Result<T, String>>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let state = match check().await.with_context(|| format!("waiting for {what}"))? {
            Ok(value) => return Ok(value),
            Err(state) => state,
        };
        if tokio::time::Instant::now() >= deadline {
            bail!("waited {within:?} for {what}; at the end {state}");
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// The rendition's ingest → part latency quantiles, from the server's summary.
async fn latency(base: &str, rendition: &str) -> anyhow::Result<Latency> {
    let quantile = |q: &'static str| async move {
        quantile_ms(base, rendition, q).await?.with_context(|| format!("no {rendition} part latency at {q}"))
    };
    Ok(Latency { p50_ms: quantile("0.5").await?, p99_ms: quantile("0.99").await? })
}

/// `cartcast_media_part_latency_seconds{rendition,quantile}` in ms, if reported.
async fn quantile_ms(base: &str, rendition: &str, quantile: &str) -> anyhow::Result<Option<f64>> {
    let series = format!("cartcast_media_part_latency_seconds{{rendition=\"{rendition}\",quantile=\"{quantile}\"}}");
    Ok(metric(base, &series).await?.map(|seconds| seconds * 1000.0))
}
