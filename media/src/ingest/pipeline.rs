//! One publish session's media path: FLV tags in, parts out to the show's renditions.
//!
//! Samples go on one continuous timeline, and segment boundaries are decided
//! on the source's keyframes. Every show's pipeline is a task on
//! [`Pipelines`], a few threads for all of them: a small show is idle between
//! frames, and a hundred need neither a hundred threads nor a hundred
//! allocator heaps each holding a few parts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::thread::JoinHandle;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::flv::{self, Tag};
use super::health::{HealthReport, HealthWindow};
use super::latency::Arrivals;
use crate::hls::packager::{Packager, Part};
use crate::hls::rendition::Timing;
use crate::hls::show::{Kind, ShowMedia};
use crate::ladder::{EncoderKind, LADDER, Ladder, LadderOutput};
use crate::thumbnail::Thumbnails;
use crate::track::{Codec, Sample, VIDEO_TIMESCALE};

/// The source rendition's name (the publisher's video, not re-encoded).
pub const SOURCE: &str = "source";
/// The audio rendition's name.
pub const AUDIO: &str = "audio";

/// What the pipeline takes: RTMP media messages, and tier changes.
pub enum Input {
    Video {
        timestamp_ms: u32,
        body: Bytes,
    },
    Audio {
        timestamp_ms: u32,
        body: Bytes,
    },
    /// Start the ladder at the next segment.
    StartLadder,
}

/// The ladder of a live show: its threads, and the one packaging their output.
struct LadderRun {
    ladder: Ladder,
    packaging: JoinHandle<()>,
}

impl LadderRun {
    /// Starts the rungs below the source's height; `None` when there are none.
    fn start(
        show: &Arc<ShowMedia>,
        source: &Codec,
        fps: f64,
        part_target: u64,
        arrivals: Arrivals,
        lag_ms: Arc<AtomicU64>,
    ) -> Option<Self> {
        let Codec::H264 { height, .. } = source else { return None };
        let rungs: Vec<_> = LADDER.iter().copied().filter(|r| r.height < u32::from(*height)).collect();
        if rungs.is_empty() {
            return None;
        }
        for rung in &rungs {
            show.add_rendition(rung.name, Kind::Rung);
        }
        let (output, outputs) = sync_channel::<LadderOutput>(256);
        let ladder = match Ladder::start(source, &rungs, EncoderKind::detect(), fps, output) {
            Ok(ladder) => ladder,
            Err(error) => {
                tracing::error!(show_id = show.show_id(), %error, "the ladder did not start; source only");
                return None;
            }
        };
        let show = show.clone();
        let packaging = std::thread::Builder::new().name("ladder-package".to_owned()).spawn(move || {
            let mut packagers: Vec<Packager> = rungs.iter().map(|_| Packager::new(part_target)).collect();
            let store = |name: &str, parts: Vec<Part>| {
                for part in parts {
                    arrivals.observe(part.start, "ladder");
                    if let Err(error) = show.push(name, part) {
                        tracing::warn!(show_id = show.show_id(), %error, "storing a ladder part");
                    }
                }
            };
            for out in outputs {
                if let Some(lag) = arrivals.since(out.sample.dts, true) {
                    lag_ms.store(lag.as_millis() as u64, Ordering::Relaxed);
                }
                let name = rungs[out.rung].name;
                if let Some(codec) = out.codec
                    && let Err(error) = show.set_codec(name, codec)
                {
                    tracing::warn!(show_id = show.show_id(), %error, "storing a rung's init segment");
                }
                let keyframe = out.sample.keyframe;
                store(name, packagers[out.rung].push(out.sample, keyframe));
            }
            for (rung, packager) in rungs.iter().zip(&mut packagers) {
                store(rung.name, packager.finish());
            }
        });
        match packaging {
            Ok(packaging) => Some(Self { ladder, packaging }),
            Err(error) => {
                tracing::error!(%error, "starting the ladder's packaging thread");
                None
            }
        }
    }

    /// Hands the ladder a source frame; waits while its queue is full (the
    /// ladder's back-pressure), off the pipelines' shared threads.
    fn push(&mut self, sample: &Sample, starts_segment: bool) -> Result<(), crate::ladder::LadderError> {
        tokio::task::block_in_place(|| self.ladder.push(sample, starts_segment))
    }

    /// Lets the ladder drain and waits for its threads, off the pipelines' shared threads.
    fn finish(self) {
        tokio::task::block_in_place(|| {
            if let Err(error) = self.ladder.finish() {
                tracing::warn!(%error, "the ladder stopped with an error");
            }
            let _ = self.packaging.join();
        });
    }
}

/// The threads every show's pipeline runs on, one task per publish session.
/// A pipeline blocks them only briefly (a segment's file write); what can
/// block longer, the ladder, steps aside with `block_in_place`.
pub struct Pipelines {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Pipelines {
    /// As many threads as cores, with the I/O and timer drivers a tokio
    /// task may expect.
    pub fn start() -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("media")
            .enable_all()
            .build()?;
        Ok(Self { runtime: Some(runtime) })
    }

    /// Runs a publish session's pipeline to its end.
    pub fn spawn(&self, pipeline: impl Future<Output = ()> + Send + 'static) {
        self.runtime.as_ref().expect("present until dropped").spawn(pipeline);
    }
}

impl Drop for Pipelines {
    /// Pipelines still running stop where they are, as they would on a crash
    /// (what they stored is journaled); dropping a runtime must not wait here,
    /// which may be inside the process's own runtime.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Where a publish session's timeline starts, so a reconnect continues it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resume {
    /// 90 kHz time the next session's first sample gets.
    pub at: u64,
}

struct AudioTrack {
    packager: Packager,
    sample_rate: u32,
    next_dts: Option<u64>,
}

struct Pipeline {
    show: Arc<ShowMedia>,
    timing: Timing,
    resume: Resume,
    /// The first RTMP timestamp of this session.
    base_ms: Option<u32>,
    video_codec: Option<Codec>,
    source: Packager,
    audio: Option<AudioTrack>,
    segment_started: Option<u64>,
    /// A codec change: the next keyframe starts a segment whatever its age.
    force_cut: bool,
    /// The last video segment start the audio track has not cut at yet.
    audio_cut: Option<u64>,
    last_dts: u64,
    arrivals: Arrivals,
    /// The ladder was asked for; it starts at the next segment.
    ladder_wanted: bool,
    ladder: Option<LadderRun>,
    /// Frame duration seen on the source, 90 kHz (for the encoders' rate).
    frame_ticks: Option<u64>,
    last_keyframe: Option<u64>,
    health: HealthWindow,
    thumbnails: Thumbnails,
}

/// Runs the pipeline until the session's sender closes; returns where the
/// next session's timeline resumes.
pub async fn run(
    mut inputs: mpsc::Receiver<Input>,
    show: Arc<ShowMedia>,
    timing: Timing,
    resume: Resume,
    report: HealthReport,
    thumbnails: Thumbnails,
) -> Resume {
    let part_target = timing.part_target_ticks(VIDEO_TIMESCALE);
    let mut pipeline = Pipeline {
        show,
        timing,
        resume,
        base_ms: None,
        video_codec: None,
        source: Packager::new(part_target),
        audio: None,
        segment_started: None,
        force_cut: false,
        audio_cut: None,
        last_dts: resume.at,
        arrivals: Arrivals::default(),
        ladder_wanted: false,
        ladder: None,
        frame_ticks: None,
        last_keyframe: None,
        health: HealthWindow::new(report),
        thumbnails,
    };
    while let Some(input) = inputs.recv().await {
        if let Input::Video { body, .. } | Input::Audio { body, .. } = &input {
            pipeline.health.bytes += body.len() as u64;
        }
        let video = matches!(input, Input::Video { .. });
        let result = match input {
            Input::Video { timestamp_ms, body } => pipeline.video(timestamp_ms, &body),
            Input::Audio { timestamp_ms, body } => pipeline.audio(timestamp_ms, &body),
            Input::StartLadder => {
                pipeline.ladder_wanted = true;
                Ok(())
            }
        };
        if let Err(error) = result {
            tracing::warn!(show_id = pipeline.show.show_id(), %error, "media message dropped");
            if video {
                pipeline.health.dropped += 1;
            }
        }
        pipeline.health.tick(pipeline.show.show_id());
    }
    pipeline.finish()
}

#[derive(Debug, thiserror::Error)]
enum PipelineError {
    #[error(transparent)]
    Flv(#[from] flv::FlvError),
    #[error("storing media: {0}")]
    Io(#[from] std::io::Error),
}

impl Pipeline {
    fn dts(&mut self, timestamp_ms: u32) -> u64 {
        let base = *self.base_ms.get_or_insert(timestamp_ms);
        self.resume.at + u64::from(timestamp_ms.wrapping_sub(base)) * u64::from(VIDEO_TIMESCALE / 1000)
    }

    fn video(&mut self, timestamp_ms: u32, body: &Bytes) -> Result<(), PipelineError> {
        match flv::video(body)? {
            Tag::Config(codec) => {
                if self.video_codec.as_ref() != Some(&codec) {
                    self.force_cut = self.video_codec.is_some();
                    self.show.set_codec(SOURCE, codec.clone())?;
                    self.video_codec = Some(codec);
                    // The ladder's decoder knows the old parameter sets: start it
                    // again on the new ones at the cut.
                    if let Some(run) = self.ladder.take() {
                        run.finish();
                        self.ladder_wanted = true;
                    }
                }
            }
            Tag::Frame { keyframe, cts_ms, data } => {
                self.health.frames += 1;
                if self.video_codec.is_none() || (self.segment_started.is_none() && !keyframe) {
                    self.health.dropped += 1;
                    return Ok(());
                }
                let dts = self.dts(timestamp_ms);
                if keyframe && let Some(previous) = self.last_keyframe.replace(dts) {
                    self.health.keyframe_interval = dts.saturating_sub(previous);
                }
                let age = self.segment_started.map(|start| dts.saturating_sub(start));
                let target = self.timing.segment_target.as_secs_f64() * f64::from(VIDEO_TIMESCALE);
                let starts_segment = keyframe
                    && (self.force_cut
                        || age.is_none_or(|age| age as f64 >= target - f64::from(VIDEO_TIMESCALE) / 100.0));
                if starts_segment {
                    self.segment_started = Some(dts);
                    self.audio_cut = Some(dts);
                    self.force_cut = false;
                    self.start_ladder_if_wanted();
                }
                if dts > self.last_dts && self.last_dts > self.resume.at {
                    self.frame_ticks = Some(dts - self.last_dts);
                }
                self.last_dts = self.last_dts.max(dts);
                self.arrivals.record(dts, dts.saturating_add_signed(i64::from(cts_ms) * 90));
                let sample = Sample { dts, cts_offset: cts_ms * 90, duration: 0, keyframe, data };
                if starts_segment && let Some(codec) = self.video_codec.as_ref() {
                    self.thumbnails.offer(codec, &sample);
                }
                if let Some(run) = self.ladder.as_mut()
                    && let Err(error) = run.push(&sample, starts_segment)
                {
                    tracing::error!(show_id = self.show.show_id(), %error, "the ladder failed; source only from here");
                    if let Some(run) = self.ladder.take() {
                        run.finish();
                    }
                }
                let parts = self.source.push(sample, starts_segment);
                self.publish_source(parts)?;
            }
            Tag::Skip => {}
        }
        Ok(())
    }

    fn publish_source(&mut self, parts: Vec<Part>) -> Result<(), PipelineError> {
        for part in parts {
            self.arrivals.observe(part.start, SOURCE);
            self.show.push(SOURCE, part)?;
        }
        Ok(())
    }

    /// At a segment start, the ladder asked for begins (its first frame is this IDR).
    fn start_ladder_if_wanted(&mut self) {
        if !self.ladder_wanted || self.ladder.is_some() {
            return;
        }
        self.ladder_wanted = false;
        let Some(source) = self.video_codec.as_ref() else { return };
        let fps = self.frame_ticks.map_or(30.0, |ticks| f64::from(VIDEO_TIMESCALE) / ticks as f64);
        let part_target = self.timing.part_target_ticks(VIDEO_TIMESCALE);
        let lag = self.health.encoder_lag_ms.clone();
        self.ladder = LadderRun::start(&self.show, source, fps, part_target, self.arrivals.clone(), lag);
    }

    fn audio(&mut self, timestamp_ms: u32, body: &Bytes) -> Result<(), PipelineError> {
        match flv::audio(body)? {
            Tag::Config(codec) => {
                let Codec::Aac { sample_rate, .. } = codec else { return Ok(()) };
                if self.audio.as_ref().is_none_or(|a| a.sample_rate != sample_rate) {
                    let part_target = self.timing.part_target_ticks(sample_rate);
                    self.audio = Some(AudioTrack { packager: Packager::new(part_target), sample_rate, next_dts: None });
                }
                self.show.set_codec(AUDIO, codec)?;
            }
            Tag::Frame { data, .. } => {
                // Audio starts with the first video segment, so segments line up.
                if self.audio.is_none() || self.segment_started.is_none() {
                    return Ok(());
                }
                let video_time = self.dts(timestamp_ms);
                let track = self.audio.as_mut().expect("checked above");
                let rate = u64::from(track.sample_rate);
                let from_timestamp = video_time * rate / u64::from(VIDEO_TIMESCALE);
                // AAC frames are 1024 samples: count them, resyncing only on a real jump.
                let dts = match track.next_dts {
                    Some(next) if next.abs_diff(from_timestamp) < rate / 10 => next,
                    _ => from_timestamp,
                };
                track.next_dts = Some(dts + 1024);
                let starts_segment = match self.audio_cut {
                    Some(cut) if video_time + 90 * 11 >= cut => {
                        self.audio_cut = None;
                        true
                    }
                    _ => false,
                };
                let sample = Sample { dts, cts_offset: 0, duration: 0, keyframe: true, data };
                for part in track.packager.push(sample, starts_segment) {
                    self.show.push(AUDIO, part)?;
                }
            }
            Tag::Skip => {}
        }
        Ok(())
    }

    fn finish(mut self) -> Resume {
        if let Some(run) = self.ladder.take() {
            run.finish();
        }
        let parts = self.source.finish();
        if let Err(error) = self.publish_source(parts) {
            tracing::warn!(show_id = self.show.show_id(), %error, "storing the last source part");
        }
        if let Some(track) = self.audio.as_mut() {
            for part in track.packager.finish() {
                if let Err(error) = self.show.push(AUDIO, part) {
                    tracing::warn!(show_id = self.show.show_id(), %error, "storing the last audio part");
                }
            }
        }
        // The next session starts one frame after this one's last sample.
        Resume { at: self.last_dts + u64::from(VIDEO_TIMESCALE) / 30 }
    }
}
