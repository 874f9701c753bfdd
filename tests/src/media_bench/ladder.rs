//! Times Cartcast's in-process ladder on the input: demux, push every video
//! packet, finish; and checks what came out.

use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cartcast_media::ladder::{EncoderKind, LADDER, Ladder, LadderOutput};
use cartcast_media::track::Codec;

use super::cpu::{self, Who};
use super::source;

/// What one rendition produced.
pub struct RungFigures {
    pub name: &'static str,
    pub width: u16,
    pub height: u16,
    pub frames: usize,
    pub keyframes: usize,
    pub bytes: usize,
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

/// Runs the ladder with a segment start every `segment_frames` frames and
/// fails unless every rung has one output per input frame and one IDR per segment.
pub fn run(input: &Path, fps: f64, segment_frames: usize, encoder: EncoderKind) -> anyhow::Result<LadderFigures> {
    let cpu_before = cpu::used(Who::Process);
    let started = Instant::now();
    let source = source::demux(input)?;
    let demux = started.elapsed();

    let (output, outputs) = sync_channel::<LadderOutput>(64);
    let collector = std::thread::spawn(move || {
        let mut rungs: Vec<RungFigures> = LADDER
            .iter()
            .map(|rung| RungFigures { name: rung.name, width: 0, height: 0, frames: 0, keyframes: 0, bytes: 0 })
            .collect();
        for out in outputs {
            let rung = &mut rungs[out.rung];
            if let Some(Codec::H264 { width, height, .. }) = out.codec {
                (rung.width, rung.height) = (width, height);
            }
            rung.frames += 1;
            rung.keyframes += usize::from(out.sample.keyframe);
            rung.bytes += out.sample.data.len();
        }
        rungs
    });
    let ladder_started = Instant::now();
    let mut ladder = Ladder::start(&source.codec, &LADDER, encoder, fps, output).context("starting the ladder")?;
    for (index, sample) in source.samples.iter().enumerate() {
        ladder.push(sample, index % segment_frames == 0).context("pushing a sample")?;
    }
    ladder.finish().context("finishing the ladder")?;
    let ladder_time = ladder_started.elapsed();
    let cpu = cpu::used(Who::Process) - cpu_before;
    let rungs = collector.join().map_err(|_| anyhow::anyhow!("the output collector panicked"))?;

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
