//! Times the peer: one ffmpeg CLI process driving the whole ladder, as
//! Owncast does (passthrough, three rungs each scaled from the source with
//! libx264, audio-only AAC), into null muxers.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cartcast_media::ladder::LADDER;

use super::cpu::{self, Who};

pub struct CliFigures {
    pub wall: Duration,
    /// The ffmpeg process's CPU time.
    pub cpu: Duration,
}

/// The ffmpeg arguments for `input` at `fps`, one GOP per two seconds.
pub fn args(input: &Path, fps: u32) -> Vec<String> {
    let mut args: Vec<String> = ["-hide_banner", "-v", "error", "-nostats", "-y", "-i"].map(String::from).into();
    args.push(input.display().to_string());
    let null_output = ["-f", "null", "-"].map(String::from);
    args.extend(["-map", "0:v", "-c:v", "copy"].map(String::from));
    args.extend(null_output.clone());
    for rung in LADDER {
        let bitrate = u64::from(rung.bitrate);
        args.extend(["-map".into(), "0:v".into(), "-vf".into(), format!("scale=-2:{}", rung.height)]);
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
        args.extend(["-x264-params", "scenecut=0:open_gop=0"].map(String::from));
        args.extend(null_output.clone());
    }
    args.extend(["-map", "0:a", "-c:a", "aac"].map(String::from));
    args.extend(null_output);
    args
}

pub fn run(input: &Path, fps: u32) -> anyhow::Result<CliFigures> {
    let cpu_before = cpu::used(Who::Children);
    let started = Instant::now();
    let status = Command::new("ffmpeg").args(args(input, fps)).status().context("running the ffmpeg CLI")?;
    let wall = started.elapsed();
    if !status.success() {
        bail!("the ffmpeg ladder failed ({status})");
    }
    Ok(CliFigures { wall, cpu: cpu::used(Who::Children) - cpu_before })
}
