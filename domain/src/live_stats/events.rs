//! What was measured about a live show.

use std::collections::BTreeMap;

use cqrs_es::DomainEvent;

/// The incoming stream over one reporting period, as the media worker measured it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamHealth {
    pub input_bits_per_second: u64,
    pub frames_per_second: f64,
    /// Frames that could not be used (before the first keyframe, unreadable).
    pub dropped_frames: u64,
    /// From a source frame's arrival to the ladder's output of it (0 without a ladder).
    pub encoder_lag_ms: u64,
    /// The publisher's last keyframe interval: segments cannot be shorter, so
    /// above 2 s latency grows (OBS: set "Keyframe Interval" to 2). 0 when unseen.
    #[serde(default)]
    pub keyframe_interval_ms: u64,
}

/// Payloads are tagged with their event type, as the show's events are, so a
/// sample recorded in a show's own stream reads as one of these unchanged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum LiveStatsEvent {
    /// How the incoming stream fared over the last reporting period.
    StreamHealthReported { health: StreamHealth },
    /// The audience changed: open sockets, and players that report playing.
    ViewersCounted { connected: u64, watching: u64 },
    /// The audience sampled for dashboards: now, the show's peak so far and
    /// its unique viewers (a HyperLogLog estimate; never below an earlier one).
    AudienceSampled { connected: u64, watching: u64, peak: u64, unique: u64 },
    /// Reactions one gateway accepted over one window, per emoji: their sum
    /// over a show's stream is its exact total.
    ReactionsCounted { counts: BTreeMap<String, u64> },
    /// Chat messages one gateway posted over one window: their sum over a
    /// show's stream is every message its viewers posted.
    ChatCounted { messages: u64 },
}

impl DomainEvent for LiveStatsEvent {
    fn event_type(&self) -> String {
        match self {
            LiveStatsEvent::StreamHealthReported { .. } => "StreamHealthReported",
            LiveStatsEvent::ViewersCounted { .. } => "ViewersCounted",
            LiveStatsEvent::ReactionsCounted { .. } => "ReactionsCounted",
            LiveStatsEvent::ChatCounted { .. } => "ChatCounted",
            LiveStatsEvent::AudienceSampled { .. } => "AudienceSampled",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}

/// The upcaster: the aggregate type a stored event belongs to today, given
/// the stream it was stored in. Samples stored before they had a stream of
/// their own — `ViewersCounted` and `StreamHealthReported` in a show's
/// stream — are [`LiveStatsEvent`]s of that show; every other event belongs
/// where it was stored. Stored events are never edited, so every reader
/// routes by this: a show's loader passes over the samples (keeping their
/// sequence numbers), readers of samples take them as they are.
pub fn stream_of<'a>(stored_in: &'a str, event_type: &str) -> &'a str {
    use cqrs_es::Aggregate;
    let sample = matches!(event_type, "ViewersCounted" | "StreamHealthReported");
    if stored_in == crate::show::Show::TYPE && sample { super::LiveStats::TYPE } else { stored_in }
}
