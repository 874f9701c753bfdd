//! What one rendition is worth: its PSNR and SSIM against the source scaled
//! to the rendition's size, and its video bitrate, measured the same way for
//! Cartcast's ladder and the CLI peer with the ffmpeg CLI.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use serde::Deserialize;

/// How the source is scaled to each rung's size for the comparison: sharper
/// than either side's bilinear, and the same for both sides.
const REFERENCE_SCALER: &str = "lanczos+accurate_rnd+full_chroma_int";

/// One rendition's figures.
pub struct Quality {
    pub width: u32,
    pub height: u32,
    /// Average PSNR over all frames and planes, dB.
    pub psnr_db: f64,
    /// SSIM over all frames and planes, 0 to 1.
    pub ssim: f64,
    /// Video payload bits per second of video: packet bytes over `frames / fps`.
    pub kbit_per_s: f64,
}

/// Measures the video of `rendition` against `source`, both at `fps`.
pub fn measure(rendition: &Path, source: &Path, fps: u32) -> anyhow::Result<Quality> {
    let probed = probe(rendition)?;
    let stream = probed.streams.first().with_context(|| format!("{} has no video", rendition.display()))?;
    let (width, height) = (stream.width, stream.height);
    let bytes: u64 = probed.packets.iter().map(|packet| packet.size.parse::<u64>()).sum::<Result<_, _>>()?;
    let seconds = probed.packets.len() as f64 / f64::from(fps);
    let (psnr_db, ssim) = compare(rendition, source, width, height)?;
    Ok(Quality { width, height, psnr_db, ssim, kbit_per_s: bytes as f64 * 8.0 / seconds / 1000.0 })
}

/// `ffprobe -show_entries stream=width,height:packet=size -of json`.
#[derive(Deserialize)]
struct Probed {
    streams: Vec<ProbedStream>,
    packets: Vec<ProbedPacket>,
}

#[derive(Deserialize)]
struct ProbedStream {
    width: u32,
    height: u32,
}

#[derive(Deserialize)]
struct ProbedPacket {
    size: String,
}

fn probe(rendition: &Path) -> anyhow::Result<Probed> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:packet=size"])
        .args(["-of", "json"])
        .arg(rendition)
        .output()
        .context("running ffprobe")?;
    if !output.status.success() {
        bail!("ffprobe {}: {}", rendition.display(), String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("parsing ffprobe's answer on {}", rendition.display()))
}

/// Runs ffmpeg's `psnr` and `ssim` filters on the rendition against the
/// source scaled to `width`x`height`, both timed from zero; (PSNR dB, SSIM).
fn compare(rendition: &Path, source: &Path, width: u32, height: u32) -> anyhow::Result<(f64, f64)> {
    let graph = format!(
        "[0:v]setpts=PTS-STARTPTS,split=2[d0][d1];\
         [1:v]scale={width}:{height}:flags={REFERENCE_SCALER},format=yuv420p,setpts=PTS-STARTPTS,split=2[r0][r1];\
         [d0][r0]psnr[psnr];[d1][r1]ssim[ssim]"
    );
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-v", "info", "-i"])
        .arg(rendition)
        .arg("-i")
        .arg(source)
        .args(["-filter_complex", &graph, "-map", "[psnr]", "-map", "[ssim]", "-f", "null", "-"])
        .output()
        .context("running the ffmpeg CLI")?;
    let log = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("comparing {} with the source failed: {log}", rendition.display());
    }
    let psnr = summary_value(&log, "] PSNR ", "average:")?;
    let ssim = summary_value(&log, "] SSIM ", "All:")?;
    Ok((psnr, ssim))
}

/// The number after `key` on the filter's summary line (the one holding `marker`).
fn summary_value(log: &str, marker: &str, key: &str) -> anyhow::Result<f64> {
    let line = log.lines().find(|line| line.contains(marker)).with_context(|| format!("no{marker}line in: {log}"))?;
    let value = line.split_once(key).with_context(|| format!("no {key} in {line}"))?.1;
    let number = value.split_whitespace().next().unwrap_or_default();
    number.parse().with_context(|| format!("{key} {number:?} in {line}"))
}
