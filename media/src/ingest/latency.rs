//! The latency window: when recent source samples arrived, for ingest-to-part latency and the ladder's lag.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::pipeline::SOURCE;

/// When recent source samples arrived, by decode and presentation time (the
/// ladder's output is stamped with the latter), for ingest-to-part latency.
#[derive(Clone, Default)]
pub(super) struct Arrivals(Arc<Mutex<VecDeque<Arrival>>>);

struct Arrival {
    dts: u64,
    pts: u64,
    at: Instant,
}

impl Arrivals {
    /// Keeps about ten seconds of 30 fps video.
    const KEEP: usize = 300;

    pub(super) fn record(&self, dts: u64, pts: u64) {
        let mut arrivals = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if arrivals.len() == Self::KEEP {
            arrivals.pop_front();
        }
        arrivals.push_back(Arrival { dts, pts, at: Instant::now() });
    }

    /// How long ago the sample matching `time` (or the first after it) arrived.
    pub(super) fn since(&self, time: u64, by_pts: bool) -> Option<Duration> {
        let arrivals = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let key = |a: &Arrival| if by_pts { a.pts } else { a.dts };
        arrivals.iter().find(|a| key(a) >= time).map(|a| a.at.elapsed())
    }

    /// Records the ingest-to-part latency of a part starting at `time` (the
    /// source's decode time, or the ladder's presentation time).
    pub(super) fn observe(&self, time: u64, rendition: &'static str) {
        if let Some(latency) = self.since(time, rendition != SOURCE) {
            metrics::histogram!("cartcast_media_part_latency_seconds", "rendition" => rendition)
                .record(latency.as_secs_f64());
        }
    }
}
