//! One publish session's media path, on its own thread: FLV tags in, samples
//! on one continuous timeline, segment boundaries decided on the source's
//! keyframes, parts packaged into the show's renditions.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::flv::{self, Tag};
use crate::hls::packager::{Packager, Part};
use crate::hls::rendition::Timing;
use crate::hls::show::ShowMedia;
use crate::track::{Codec, Sample, VIDEO_TIMESCALE};

/// The source rendition's name (the publisher's video, not re-encoded).
pub const SOURCE: &str = "source";
/// The audio rendition's name.
pub const AUDIO: &str = "audio";

/// An RTMP media message for the pipeline.
pub enum Input {
    Video { timestamp_ms: u32, body: Bytes },
    Audio { timestamp_ms: u32, body: Bytes },
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
    /// When recent source samples arrived, for the ingest-to-part latency.
    arrivals: VecDeque<(u64, Instant)>,
}

/// Runs the pipeline until the session's sender closes; returns where the
/// next session's timeline resumes.
pub fn run(mut inputs: mpsc::Receiver<Input>, show: Arc<ShowMedia>, timing: Timing, resume: Resume) -> Resume {
    let part_target = (timing.part_target.as_secs_f64() * f64::from(VIDEO_TIMESCALE)) as u64;
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
        arrivals: VecDeque::new(),
    };
    while let Some(input) = inputs.blocking_recv() {
        let result = match input {
            Input::Video { timestamp_ms, body } => pipeline.video(timestamp_ms, &body),
            Input::Audio { timestamp_ms, body } => pipeline.audio(timestamp_ms, &body),
        };
        if let Err(error) = result {
            tracing::warn!(show_id = pipeline.show.show_id(), %error, "media message dropped");
            metrics::counter!("cartcast_media_dropped_messages_total").increment(1);
        }
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
                }
            }
            Tag::Frame { keyframe, cts_ms, data } => {
                if self.video_codec.is_none() || (self.segment_started.is_none() && !keyframe) {
                    return Ok(());
                }
                let dts = self.dts(timestamp_ms);
                let age = self.segment_started.map(|start| dts.saturating_sub(start));
                let target = self.timing.segment_target.as_secs_f64() * f64::from(VIDEO_TIMESCALE);
                let starts_segment = keyframe
                    && (self.force_cut
                        || age.is_none_or(|age| age as f64 >= target - f64::from(VIDEO_TIMESCALE) / 100.0));
                if starts_segment {
                    self.segment_started = Some(dts);
                    self.audio_cut = Some(dts);
                    self.force_cut = false;
                }
                self.last_dts = self.last_dts.max(dts);
                self.arrivals.push_back((dts, Instant::now()));
                let sample = Sample { dts, cts_offset: cts_ms * 90, duration: 0, keyframe, data };
                let parts = self.source.push(sample, starts_segment);
                self.publish_source(parts)?;
            }
            Tag::Skip => {}
        }
        Ok(())
    }

    fn publish_source(&mut self, parts: Vec<Part>) -> Result<(), PipelineError> {
        for part in parts {
            while self.arrivals.front().is_some_and(|(dts, _)| *dts < part.start) {
                self.arrivals.pop_front();
            }
            if let Some((_, arrived)) = self.arrivals.front() {
                metrics::histogram!("cartcast_media_part_latency_seconds").record(arrived.elapsed().as_secs_f64());
            }
            self.show.push(SOURCE, part)?;
        }
        Ok(())
    }

    fn audio(&mut self, timestamp_ms: u32, body: &Bytes) -> Result<(), PipelineError> {
        match flv::audio(body)? {
            Tag::Config(codec) => {
                let Codec::Aac { sample_rate, .. } = codec else { return Ok(()) };
                if self.audio.as_ref().is_none_or(|a| a.sample_rate != sample_rate) {
                    let part_target = (self.timing.part_target.as_secs_f64() * f64::from(sample_rate)) as u64;
                    self.audio = Some(AudioTrack { packager: Packager::new(part_target), sample_rate, next_dts: None });
                }
                self.show.set_codec(AUDIO, codec)?;
            }
            Tag::Frame { data, .. } => {
                // Audio starts with the first video segment, so segments line up.
                let (Some(track), Some(_)) = (self.audio.as_mut(), self.segment_started) else { return Ok(()) };
                let base = *self.base_ms.get_or_insert(timestamp_ms);
                let video_time =
                    self.resume.at + u64::from(timestamp_ms.wrapping_sub(base)) * u64::from(VIDEO_TIMESCALE / 1000);
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
