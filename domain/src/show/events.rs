//! What happened to a show.

use chrono::{DateTime, Utc};
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

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ShowEvent {
    ShowScheduled {
        show_id: String,
        creator: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
    },
    ProductsAttached {
        product_ids: Vec<String>,
    },
    ProductPinned {
        product_id: String,
    },
    ShowWentLive {
        at: DateTime<Utc>,
    },
    ShowEnded {
        at: DateTime<Utc>,
    },
    ClipRequested {
        clip_id: String,
        requested_by: String,
        seconds: u32,
    },
    ClipReady {
        clip_id: String,
        url: String,
    },
    ClipFailed {
        clip_id: String,
        reason: String,
    },
    /// How the incoming stream fared over the last reporting period.
    StreamHealthReported {
        health: StreamHealth,
    },
    /// The audience changed: open sockets, and players that report playing.
    ViewersCounted {
        connected: u64,
        watching: u64,
    },
}

impl DomainEvent for ShowEvent {
    fn event_type(&self) -> String {
        match self {
            ShowEvent::ShowScheduled { .. } => "ShowScheduled",
            ShowEvent::ProductsAttached { .. } => "ProductsAttached",
            ShowEvent::ProductPinned { .. } => "ProductPinned",
            ShowEvent::ShowWentLive { .. } => "ShowWentLive",
            ShowEvent::ShowEnded { .. } => "ShowEnded",
            ShowEvent::ViewersCounted { .. } => "ViewersCounted",
            ShowEvent::StreamHealthReported { .. } => "StreamHealthReported",
            ShowEvent::ClipRequested { .. } => "ClipRequested",
            ShowEvent::ClipReady { .. } => "ClipReady",
            ShowEvent::ClipFailed { .. } => "ClipFailed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
