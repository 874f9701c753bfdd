//! The live half of the bench: the real `cartcast up` takes a 1080p30 RTMP
//! publish from the ffmpeg CLI; measured are the server's CPU for a
//! source-only show (the long tail) and its ingest → part latency, for the
//! source and, once an audience starts it, for the ladder.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_tests::media::{Publisher, Watcher};
use cartcast_tests::{Client, Process};

pub struct LiveFigures {
    /// The server's CPU for one source-only show, % of one core.
    pub source_only_cpu_pct: f64,
    pub source_part_p50_ms: f64,
    pub ladder_part_p50_ms: f64,
}

/// CPU seconds `pid` has used (user + system), from `/proc/<pid>/stat`.
fn cpu_seconds(pid: i32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')').context("stat")?.1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // Safety: sysconf only reads a constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks / per_second)
}

/// The median of `cartcast_media_part_latency_seconds{rendition}` in ms.
async fn part_p50_ms(base: &str, rendition: &str) -> anyhow::Result<f64> {
    let metrics = reqwest::get(format!("{base}/metrics")).await?.text().await?;
    let wanted = format!("cartcast_media_part_latency_seconds{{rendition=\"{rendition}\",quantile=\"0.5\"}}");
    let line = metrics.lines().find(|l| l.starts_with(&wanted)).with_context(|| format!("no {wanted}"))?;
    Ok(line.rsplit(' ').next().context("value")?.parse::<f64>()? * 1000.0)
}

pub async fn run(seconds: u64) -> anyhow::Result<LiveFigures> {
    let dir = cartcast_tests::temp_dir("media-bench-live");
    let secret = "media-bench-secret";
    let env =
        [("CARTCAST_SECRET".to_owned(), secret.to_owned()), ("CARTCAST_LADDER_WATCHERS".to_owned(), "1".to_owned())];
    let data_dir = dir.display().to_string();
    let args = ["up", "--data-dir", &data_dir, "--http", "127.0.0.1:0", "--rtmp", "127.0.0.1:0"].map(String::from);
    let mut server = Process::start("cartcast up", &args, &env, true).await?;
    let base = server.url.clone().context("http")?;
    let client = Client::new(&base, secret.as_bytes());
    let creator = client.token("bench-creator", Role::Creator);
    let show = client.post("/api/v1/shows", &creator, None, json!({"title": "bench"})).await?;
    anyhow::ensure!(show.status == 201, "creating the show: {}", show.body);
    let show_id = show.body["show_id"].as_str().context("show_id")?.to_owned();
    let key = show.body["stream_key"].as_str().context("stream_key")?;
    let publisher = Publisher::start(server.rtmp.as_deref().context("rtmp")?, key, "1920x1080")?;

    // Source only: let it settle, then measure the server alone.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let pid = server.pid()?;
    let before = cpu_seconds(pid)?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let source_only_cpu_pct = (cpu_seconds(pid)? - before) / seconds as f64 * 100.0;
    let source_part_p50_ms = part_p50_ms(&base, "source").await?;

    // One watcher crosses the threshold: the ladder starts.
    let viewer = client.token("bench-viewer", Role::Viewer);
    let _watcher = Watcher::join(&base, &show_id, &viewer).await?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let ladder_part_p50_ms = part_p50_ms(&base, "ladder").await?;

    publisher.stop().await?;
    let _ = server.terminate(Duration::from_secs(5)).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(LiveFigures { source_only_cpu_pct, source_part_p50_ms, ladder_part_p50_ms })
}
