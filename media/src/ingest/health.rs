//! The stream-health window: a publish session's input measured over a period, then recorded and reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cartcast_domain::live_stats::StreamHealth;

use crate::track::VIDEO_TIMESCALE;

/// Records a show's stream health (see [`crate::hub::ShowDirectory::stream_health`]).
pub type HealthReport = Box<dyn Fn(StreamHealth) + Send>;

/// How often stream health is measured and recorded.
const HEALTH_EVERY: Duration = Duration::from_secs(10);

/// What the current health period has seen.
pub(super) struct HealthWindow {
    started: Instant,
    pub(super) bytes: u64,
    pub(super) frames: u64,
    pub(super) dropped: u64,
    /// The ladder's last lag, milliseconds (set by its packaging thread).
    pub(super) encoder_lag_ms: Arc<AtomicU64>,
    /// The source's last keyframe interval, 90 kHz ticks.
    pub(super) keyframe_interval: u64,
    report: HealthReport,
}

impl HealthWindow {
    pub(super) fn new(report: HealthReport) -> Self {
        Self {
            started: Instant::now(),
            bytes: 0,
            frames: 0,
            dropped: 0,
            encoder_lag_ms: Arc::default(),
            keyframe_interval: 0,
            report,
        }
    }

    /// Publishes the period's figures as gauges and a report once it is over.
    pub(super) fn tick(&mut self, show_id: &str) {
        let elapsed = self.started.elapsed();
        if elapsed < HEALTH_EVERY {
            return;
        }
        let seconds = elapsed.as_secs_f64();
        let health = StreamHealth {
            input_bits_per_second: (self.bytes as f64 * 8.0 / seconds) as u64,
            frames_per_second: (self.frames as f64 / seconds * 10.0).round() / 10.0,
            dropped_frames: self.dropped,
            encoder_lag_ms: self.encoder_lag_ms.load(Ordering::Relaxed),
            keyframe_interval_ms: self.keyframe_interval / u64::from(VIDEO_TIMESCALE / 1000),
        };
        let show = show_id.to_owned();
        metrics::gauge!("cartcast_media_input_bitrate_bps", "show_id" => show.clone())
            .set(health.input_bits_per_second as f64);
        metrics::gauge!("cartcast_media_input_fps", "show_id" => show.clone()).set(health.frames_per_second);
        metrics::counter!("cartcast_media_dropped_frames_total", "show_id" => show.clone()).increment(self.dropped);
        metrics::gauge!("cartcast_media_encoder_lag_seconds", "show_id" => show.clone())
            .set(health.encoder_lag_ms as f64 / 1000.0);
        metrics::gauge!("cartcast_media_keyframe_interval_seconds", "show_id" => show)
            .set(health.keyframe_interval_ms as f64 / 1000.0);
        (self.report)(health);
        self.started = Instant::now();
        (self.bytes, self.frames, self.dropped) = (0, 0, 0);
    }
}
