//! What was measured about a live show.

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
}

impl DomainEvent for LiveStatsEvent {
    fn event_type(&self) -> String {
        match self {
            LiveStatsEvent::StreamHealthReported { .. } => "StreamHealthReported",
            LiveStatsEvent::ViewersCounted { .. } => "ViewersCounted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// The upcaster for samples stored before they had their own stream: an
/// event of type `ViewersCounted` or `StreamHealthReported` in a show's own
/// stream is a [`LiveStatsEvent`] of that show. Stored events are never
/// edited, so readers of a show's stream pass over these (keeping their
/// sequence numbers), and readers of samples take them as they are.
pub fn recorded_in_show_stream(aggregate_type: &str, event_type: &str) -> bool {
    use cqrs_es::Aggregate;
    aggregate_type == crate::show::Show::TYPE && matches!(event_type, "ViewersCounted" | "StreamHealthReported")
}
