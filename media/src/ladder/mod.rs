//! The ABR ladder: decode the source once, scale in a cascade, encode the
//! renditions in parallel, with IDRs aligned across renditions.
//!
//! # Threads
//! ```text
//! push ─▶ decode ─▶ 720p: scale, encode ─▶ 480p: scale, encode ─▶ 360p: scale, encode
//!                        │                      │                      │
//!                        └──────────────────────┴──────────────────────┴─▶ output (LadderOutput)
//! ```
//! Each box is a named std thread (`ladder-decode`, `ladder-720p`, …); they
//! talk over bounded channels, so a slow encoder slows `push` rather than
//! growing a queue. Frames travel as `Arc`s and are never copied: a rung
//! scales the frame of the rung above (720p → 480p is far cheaper than
//! 1080p → 480p), hands its own frame down, then encodes it.
//!
//! # Live tuning
//! x264 runs like Owncast's command line (preset veryfast, tune zerolatency,
//! `-b:v B -maxrate 1.06B -bufsize 1.2B`, `scenecut=0:open_gop=0`, no
//! B-frames) with a keyint of ten seconds: IDRs come from `segment_start`,
//! which marks the frame as I with `forced-idr`, so every rendition starts
//! the segment with an IDR on the same source frame. NVENC (`p1`, `ll`) is
//! used the same way where [`EncoderKind::detect`] finds it working.

pub(crate) mod avcc;
mod decode;
mod encode;
mod rung;

use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use ffmpeg_next::Rational;
use ffmpeg_next::software::scaling;

pub(crate) use decode::open_decoder;
pub use encode::EncoderKind;

use crate::track::{Codec, Sample};
use decode::{DecodeStage, SourceUnit};
use encode::EncoderSettings;
use rung::RungStage;

/// One rendition of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    /// Rendition name, e.g. `"720p"`; also names the rung's thread.
    pub name: &'static str,
    /// Output height; the width follows the source's aspect ratio, rounded to even.
    pub height: u32,
    /// Target video bitrate, bits/s.
    pub bitrate: u32,
}

/// The renditions Cartcast encodes next to the source passthrough.
pub const LADDER: [Rung; 3] = [
    Rung { name: "720p", height: 720, bitrate: 2_800_000 },
    Rung { name: "480p", height: 480, bitrate: 1_400_000 },
    Rung { name: "360p", height: 360, bitrate: 800_000 },
];

/// One encoded access unit of one rendition.
#[derive(Debug, Clone)]
pub struct LadderOutput {
    /// Index of the rung in the slice given to [`Ladder::start`].
    pub rung: usize,
    /// The rendition's codec setup, on its first output only.
    pub codec: Option<Codec>,
    /// AVCC data; `dts` is the presentation time of the source frame (equal to
    /// the source sample's `dts` when the source has no B-frames), 90 kHz;
    /// `cts_offset` is 0 and `duration` is left 0 for the packager.
    pub sample: Sample,
}

#[derive(Debug, thiserror::Error)]
pub enum LadderError {
    #[error("the ladder takes an H.264 source")]
    NotH264,
    #[error("the source's codec setup has no size or is too large")]
    InvalidSource,
    #[error("frame rate hint {0} is not a positive number")]
    InvalidFps(f64),
    #[error("the ladder has no rungs")]
    NoRungs,
    #[error("rung {0} must have an even height above zero, no taller than the source and below the rung before it")]
    InvalidRung(&'static str),
    #[error("libavcodec has no H.264 decoder")]
    DecoderMissing,
    #[error("libavcodec has no {0} encoder")]
    EncoderMissing(&'static str),
    #[error("the encoder did not take option {0:?}")]
    EncoderOption(String),
    #[error("FFmpeg failed while {during}")]
    Ffmpeg {
        during: &'static str,
        #[source]
        source: ffmpeg_next::Error,
    },
    #[error("rung {0}: the encoder gave no SPS/PPS")]
    MissingParameterSets(&'static str),
    #[error("a timestamp does not fit the 90 kHz sample time")]
    TimestampRange,
    #[error("could not start a ladder thread")]
    Spawn(#[source] std::io::Error),
    #[error("ladder thread {0} panicked")]
    StagePanicked(String),
    #[error("the receiver of the ladder's output is gone")]
    OutputClosed,
    #[error("the ladder has stopped")]
    Stopped,
}

/// Source units and frames buffered between two stages.
const STAGE_QUEUE: usize = 4;
/// Decoder threads. One: the stages already run in parallel, and every
/// decoder frame thread costs CPU and adds a frame of delay (1080p decodes
/// at ~150 fps on one core, far above what the encoders after it take).
const DECODER_THREADS: usize = 1;
/// x264 threads per rung, for the same reasons: the rungs encode in
/// parallel, and x264's frame threads would add delay and overhead.
const X264_THREADS: usize = 1;
/// Bilinear, where the ffmpeg CLI defaults to bicubic: each rung is at most
/// a 1.5× downscale of the rung above, where bilinear loses little.
pub(super) const SCALE_FLAGS: scaling::Flags = scaling::Flags::BILINEAR;

/// A running ladder. Dropping it without [`Ladder::finish`] lets the threads
/// flush and end on their own; `finish` waits for them and reports errors.
pub struct Ladder {
    /// `None` once a stage has failed: the ladder takes no more input.
    input: Option<SyncSender<SourceUnit>>,
    stages: Vec<JoinHandle<Result<(), LadderError>>>,
}

impl Ladder {
    /// Opens the decoder and one encoder per rung, then starts the threads.
    ///
    /// `rungs` run top-down, each strictly lower than the one before and no
    /// taller than the source. `fps_hint` sets the encoders' rate control and
    /// keyint. Outputs of all rungs go to `output`, in order within a rung; it
    /// is bounded, so drain it on another thread than the one calling `push`.
    pub fn start(
        source: &Codec,
        rungs: &[Rung],
        encoder: EncoderKind,
        fps_hint: f64,
        output: SyncSender<LadderOutput>,
    ) -> Result<Ladder, LadderError> {
        let Codec::H264 { avcc, width, height } = source else {
            return Err(LadderError::NotH264);
        };
        if *width == 0 || *height == 0 || avcc.is_empty() {
            return Err(LadderError::InvalidSource);
        }
        if !(fps_hint.is_finite() && fps_hint > 0.0) {
            return Err(LadderError::InvalidFps(fps_hint));
        }
        validate(rungs, u32::from(*height))?;
        crate::init_ffmpeg().map_err(|source| LadderError::Ffmpeg { during: "initialising FFmpeg", source })?;

        // Open everything before the first thread starts, so bad settings fail here.
        let (input, units) = sync_channel(STAGE_QUEUE);
        let (first_rung, mut frames) = sync_channel(STAGE_QUEUE);
        let decode = DecodeStage::new(avcc, DECODER_THREADS, units, first_rung)?;
        let mut rung_stages = Vec::with_capacity(rungs.len());
        for (index, rung) in rungs.iter().enumerate() {
            let rung_width = even_width(*width, *height, rung.height);
            let settings = EncoderSettings {
                width: u32::from(rung_width),
                height: rung.height,
                bitrate: rung.bitrate,
                fps: Rational::from(fps_hint),
                gop: (fps_hint * 10.0).round().max(1.0) as u32,
                threads: X264_THREADS,
            };
            let encoder = encode::open(encoder, &settings)?;
            let (next, below) = sync_channel(STAGE_QUEUE);
            let input = std::mem::replace(&mut frames, below);
            let is_last = index + 1 == rungs.len();
            rung_stages.push(RungStage {
                index,
                rung: *rung,
                width: rung_width,
                encoder,
                input,
                next: (!is_last).then_some(next),
                output: output.clone(),
            });
        }

        let mut stages = vec![spawn("ladder-decode".to_owned(), move || decode.run())?];
        for stage in rung_stages {
            stages.push(spawn(format!("ladder-{}", stage.rung.name), move || stage.run())?);
        }
        Ok(Ladder { input: Some(input), stages })
    }

    /// Feeds one source access unit (AVCC, 90 kHz). `segment_start`: this
    /// frame begins a segment, and every rendition emits an IDR for it.
    /// Blocks while the stages are full. After an error the ladder is
    /// stopped: the error returned is the failing stage's.
    pub fn push(&mut self, sample: &Sample, segment_start: bool) -> Result<(), LadderError> {
        let input = self.input.as_ref().ok_or(LadderError::Stopped)?;
        if input.send(SourceUnit { sample: sample.clone(), segment_start }).is_err() {
            self.input = None;
            return Err(self.join().err().unwrap_or(LadderError::Stopped));
        }
        Ok(())
    }

    /// Ends the input, lets the decoder and encoders drain (every pushed frame
    /// comes out), and waits for the threads.
    pub fn finish(mut self) -> Result<(), LadderError> {
        self.input = None;
        self.join()
    }

    /// Waits for every stage; reports the cause of a failure rather than the
    /// `Stopped` of the stages next to it.
    fn join(&mut self) -> Result<(), LadderError> {
        let mut errors = Vec::new();
        for handle in self.stages.drain(..) {
            let name = handle.thread().name().unwrap_or("ladder").to_owned();
            match handle.join() {
                Ok(Ok(())) => {}
                Ok(Err(error)) => errors.push(error),
                Err(_) => errors.push(LadderError::StagePanicked(name)),
            }
        }
        // `Stopped` only says a neighbour went away: report why it did.
        let cause = errors.iter().position(|error| !matches!(error, LadderError::Stopped)).unwrap_or(0);
        if errors.is_empty() { Ok(()) } else { Err(errors.swap_remove(cause)) }
    }
}

fn validate(rungs: &[Rung], source_height: u32) -> Result<(), LadderError> {
    if rungs.is_empty() {
        return Err(LadderError::NoRungs);
    }
    let mut above = source_height + 1;
    for rung in rungs {
        if rung.height == 0 || rung.height % 2 != 0 || rung.height >= above {
            return Err(LadderError::InvalidRung(rung.name));
        }
        above = rung.height;
    }
    Ok(())
}

/// The width that keeps the source's aspect ratio at `height`, rounded to even.
fn even_width(source_width: u16, source_height: u16, height: u32) -> u16 {
    let (width, source_height) = (u64::from(source_width), u64::from(source_height));
    let half = (width * u64::from(height) + source_height) / (2 * source_height);
    u16::try_from((half * 2).max(2)).unwrap_or(u16::MAX - 1)
}

/// Starts a named stage thread that keeps the caller's tracing span.
fn spawn(
    name: String,
    stage: impl FnOnce() -> Result<(), LadderError> + Send + 'static,
) -> Result<JoinHandle<Result<(), LadderError>>, LadderError> {
    let span = tracing::Span::current();
    std::thread::Builder::new().name(name).spawn(move || span.in_scope(stage)).map_err(LadderError::Spawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_even_width_matches_ffmpeg_scale_minus_two() {
        assert_eq!(even_width(1920, 1080, 720), 1280);
        assert_eq!(even_width(1920, 1080, 480), 854);
        assert_eq!(even_width(1920, 1080, 360), 640);
        assert_eq!(even_width(1440, 1080, 720), 960);
    }

    #[test]
    fn test_validate_rejects_rungs_out_of_order() {
        let rungs = [LADDER[1], LADDER[0]];
        assert!(matches!(validate(&rungs, 1080), Err(LadderError::InvalidRung("720p"))));
    }

    #[test]
    fn test_validate_rejects_rung_above_source() {
        assert!(matches!(validate(&LADDER, 480), Err(LadderError::InvalidRung("720p"))));
        assert!(validate(&LADDER, 720).is_ok());
    }
}
