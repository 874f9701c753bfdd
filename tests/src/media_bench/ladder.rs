//! Times Cartcast's in-process ladder on the input: demux, push every video
//! packet, finish; checks what came out and writes each rung as the
//! fragmented MP4 the packager would serve, for the quality check.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cartcast_media::cmaf;
use cartcast_media::ladder::{EncoderKind, LADDER, Ladder, LadderOutput, Rung};
use cartcast_media::track::{Codec, VIDEO_TIMESCALE};

use super::cpu::{self, Who};
use super::source;

/// What one rendition produced.
pub struct RungFigures {
    pub name: &'static str,
    pub width: u16,
    pub height: u16,
    pub frames: usize,
    pub keyframes: usize,
}

pub struct LadderFigures {
    pub frames: usize,
    pub demux: Duration,
    /// From `Ladder::start` to the end of `finish`.
    pub ladder: Duration,
    /// This process's CPU time over demux and ladder.
    pub cpu: Duration,
    pub rungs: Vec<RungFigures>,
}

impl LadderFigures {
    pub fn fps(&self) -> f64 {
        self.frames as f64 / (self.demux + self.ladder).as_secs_f64()
    }
}

/// Where the ladder's `rung` is written.
pub fn rendition(dir: &Path, rung: &Rung) -> PathBuf {
    dir.join(format!("ladder-{}.mp4", rung.name))
}

/// Runs the ladder with a segment start every `segment_frames` frames, its
/// rungs written under `dir`, and fails unless every rung has one output per
/// input frame and one IDR per segment.
pub fn run(
    input: &Path,
    dir: &Path,
    fps: f64,
    segment_frames: usize,
    encoder: EncoderKind,
) -> anyhow::Result<LadderFigures> {
    let cpu_before = cpu::used(Who::Process);
    let started = Instant::now();
    let source = source::demux(input)?;
    let demux = started.elapsed();

    let (output, outputs) = sync_channel::<LadderOutput>(64);
    let files = LADDER.iter().map(|rung| rendition(dir, rung)).collect();
    let frame_ticks = (f64::from(VIDEO_TIMESCALE) / fps).round() as u32;
    let collector = std::thread::spawn(move || collect(outputs, files, frame_ticks));
    let ladder_started = Instant::now();
    let mut ladder = Ladder::start(&source.codec, &LADDER, encoder, fps, output).context("starting the ladder")?;
    for (index, sample) in source.samples.iter().enumerate() {
        ladder.push(sample, index % segment_frames == 0).context("pushing a sample")?;
    }
    ladder.finish().context("finishing the ladder")?;
    let ladder_time = ladder_started.elapsed();
    let cpu = cpu::used(Who::Process) - cpu_before;
    let rungs = collector.join().map_err(|_| anyhow::anyhow!("the output collector panicked"))??;

    let frames = source.samples.len();
    let segments = frames.div_ceil(segment_frames);
    for rung in &rungs {
        if rung.frames != frames || rung.keyframes != segments {
            bail!(
                "{}: {} frames with {} IDRs, expected {frames} with {segments}",
                rung.name,
                rung.frames,
                rung.keyframes
            );
        }
    }
    Ok(LadderFigures { frames, demux, ladder: ladder_time, cpu, rungs })
}

/// Counts each rung's outputs and writes them to `files` (one per rung): the
/// init segment, then one fragment per frame of `frame_ticks`.
fn collect(outputs: Receiver<LadderOutput>, files: Vec<PathBuf>, frame_ticks: u32) -> anyhow::Result<Vec<RungFigures>> {
    let mut rungs: Vec<RungFigures> = LADDER
        .iter()
        .map(|rung| RungFigures { name: rung.name, width: 0, height: 0, frames: 0, keyframes: 0 })
        .collect();
    let mut writers = files
        .iter()
        .map(|path| File::create(path).map(BufWriter::new).with_context(|| format!("creating {}", path.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for mut out in outputs {
        let (rung, writer) = (&mut rungs[out.rung], &mut writers[out.rung]);
        if let Some(codec @ Codec::H264 { width, height, .. }) = &out.codec {
            (rung.width, rung.height) = (*width, *height);
            writer.write_all(&cmaf::init_segment(codec)).context("writing a rung's init segment")?;
        }
        rung.frames += 1;
        rung.keyframes += usize::from(out.sample.keyframe);
        out.sample.duration = frame_ticks;
        let sequence = u32::try_from(rung.frames).context("fragment sequence")?;
        writer.write_all(&cmaf::fragment(sequence, &[out.sample])).context("writing a rung's fragment")?;
    }
    for writer in &mut writers {
        writer.flush().context("writing a rung's file")?;
    }
    Ok(rungs)
}
