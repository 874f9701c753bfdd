//! Times the peer: one ffmpeg CLI process driving the whole ladder the way
//! Owncast does (source passthrough, libx264 rungs with Owncast's settings),
//! doing the same work as Cartcast's ladder: audio copied, the ladder's
//! bilinear scaler, and a cascade (each rung scaled from the rung above in
//! one filter graph). The rungs are written to MP4 files for the quality check.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cartcast_media::ladder::{LADDER, Rung};

use super::cpu::{self, Who};

/// The scaler of the ladder's `SCALE_FLAGS`, in the scale filter's words.
const SCALER: &str = "bilinear";

pub struct CliFigures {
    pub wall: Duration,
    /// The ffmpeg process's CPU time.
    pub cpu: Duration,
}

/// Where the CLI writes `rung`.
pub fn rendition(dir: &Path, rung: &Rung) -> PathBuf {
    dir.join(format!("cli-{}.mp4", rung.name))
}

/// The ffmpeg arguments for `input` at `fps`, one GOP per two seconds, rungs written under `dir`.
pub fn args(input: &Path, dir: &Path, fps: u32) -> Vec<String> {
    let mut args: Vec<String> = ["-hide_banner", "-v", "error", "-nostats", "-y", "-i"].map(String::from).into();
    args.push(input.display().to_string());
    let null_output = ["-f", "null", "-"].map(String::from);
    args.extend(["-map", "0:v", "-c:v", "copy"].map(String::from));
    args.extend(null_output.clone());
    args.extend(["-filter_complex".into(), cascade()]);
    for (index, rung) in LADDER.iter().enumerate() {
        let bitrate = u64::from(rung.bitrate);
        args.extend(["-map".into(), format!("[rung{index}]")]);
        args.extend(["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"].map(String::from));
        args.extend([
            "-b:v".into(),
            bitrate.to_string(),
            "-maxrate".into(),
            (bitrate * 106 / 100).to_string(),
            "-bufsize".into(),
            (bitrate * 12 / 10).to_string(),
            "-g".into(),
            (fps * 2).to_string(),
        ]);
        args.extend(["-x264-params", "scenecut=0:open_gop=0", "-f", "mp4"].map(String::from));
        args.push(rendition(dir, rung).display().to_string());
    }
    args.extend(["-map", "0:a", "-c:a", "copy"].map(String::from));
    args.extend(null_output);
    args
}

/// The filter graph: `[0:v]` scaled to the first rung, each rung split into
/// its output `[rungN]` and the input of the rung below.
fn cascade() -> String {
    let mut graph = String::new();
    let mut above = "0:v".to_owned();
    for (index, rung) in LADDER.iter().enumerate() {
        let scale = format!("[{above}]scale=-2:{}:flags={SCALER}", rung.height);
        if index + 1 == LADDER.len() {
            graph.push_str(&format!("{scale}[rung{index}]"));
        } else {
            graph.push_str(&format!("{scale},split=2[rung{index}][below{index}];"));
            above = format!("below{index}");
        }
    }
    graph
}

pub fn run(input: &Path, dir: &Path, fps: u32) -> anyhow::Result<CliFigures> {
    let cpu_before = cpu::used(Who::Children);
    let started = Instant::now();
    let status = Command::new("ffmpeg").args(args(input, dir, fps)).status().context("running the ffmpeg CLI")?;
    let wall = started.elapsed();
    if !status.success() {
        bail!("the ffmpeg ladder failed ({status})");
    }
    Ok(CliFigures { wall, cpu: cpu::used(Who::Children) - cpu_before })
}
