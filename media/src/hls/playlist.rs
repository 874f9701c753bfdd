//! Writing a rendition out as an LL-HLS media playlist (live) or a VOD playlist (ended).

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::rendition::{LIVE_EDGE_SEGMENTS, Rendition, Segment};

/// A product shown from `at` on, written as `EXT-X-DATERANGE`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pin {
    pub id: String,
    pub product_id: String,
    pub at: DateTime<Utc>,
}

/// Where another rendition's live edge is (`EXT-X-RENDITION-REPORT`).
#[derive(Debug, Clone)]
pub struct Report {
    pub uri: String,
    pub last_msn: u64,
    pub last_part: Option<u64>,
}

/// `CAN-SKIP-UNTIL`: six target durations, the least the draft allows.
fn skip_boundary(target: u64) -> f64 {
    6.0 * target as f64
}

/// How many segments from the start of `segments` end more than `boundary`
/// seconds before the playlist's end (a delta update leaves them out).
fn skippable(segments: &[&Segment], boundary: f64) -> usize {
    let total: f64 = segments.iter().map(|s| s.duration).sum();
    let mut elapsed = 0.0;
    segments
        .iter()
        .take_while(|s| {
            elapsed += s.duration;
            elapsed <= total - boundary
        })
        .count()
}

impl Rendition {
    /// The media playlist: live (LL-HLS, DVR window) or, once ended, the VOD
    /// of the whole show. `skip` (a live player's `_HLS_skip=YES`) makes it a
    /// delta update: segments older than the skip boundary are only counted.
    pub fn playlist(&self, pins: &[Pin], reports: &[Report], skip: bool) -> String {
        let mut out = String::with_capacity(4096);
        let target = self.target_duration();
        let segments = self.listed();
        let first = segments.first().copied();
        self.write_header(&mut out, target);
        self.write_sequence(&mut out, first);
        if let Some(first) = first {
            write_pins(&mut out, pins, first.started_at);
        }
        let skipped = if skip && !self.ended() { skippable(&segments, skip_boundary(target)) } else { 0 };
        if skipped > 0 {
            let _ = writeln!(out, "#EXT-X-SKIP:SKIPPED-SEGMENTS={skipped}");
        }
        self.write_segments(&mut out, &segments, skipped);
        if self.ended() {
            out.push_str("#EXT-X-ENDLIST\n");
        } else {
            self.write_live_edge(&mut out, reports);
        }
        out
    }

    /// The version and target duration; then the VOD type, or the LL-HLS
    /// server control and part target of a live playlist.
    fn write_header(&self, out: &mut String, target: u64) {
        out.push_str("#EXTM3U\n#EXT-X-VERSION:9\n");
        let _ = writeln!(out, "#EXT-X-TARGETDURATION:{target}");
        if self.ended() {
            out.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n");
            return;
        }
        let _ = writeln!(
            out,
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={:.3},HOLD-BACK={:.3},CAN-SKIP-UNTIL={:.1}",
            self.timing().part_hold_back(),
            3.0 * target as f64,
            skip_boundary(target)
        );
        let _ = writeln!(out, "#EXT-X-PART-INF:PART-TARGET={:.3}", self.timing().part_target.as_secs_f64());
    }

    /// Where the listed segments start: their sequence number and the
    /// discontinuities already behind them.
    fn write_sequence(&self, out: &mut String, first: Option<&Segment>) {
        let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:{}", first.map_or(self.next_msn(), |s| s.msn));
        let dropped_discontinuities = first.map_or(0, |f| self.discontinuities_before(f.msn));
        if dropped_discontinuities > 0 {
            let _ = writeln!(out, "#EXT-X-DISCONTINUITY-SEQUENCE:{dropped_discontinuities}");
        }
        out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
    }

    /// The listed segments after the `skipped` ones: their init segment when
    /// it changes, their start time, parts near the live edge (while live) and,
    /// once complete, the segment itself.
    fn write_segments(&self, out: &mut String, segments: &[&Segment], skipped: usize) {
        let mut map = None;
        let live_edge_from = segments.len().saturating_sub(LIVE_EDGE_SEGMENTS + 1);
        for (i, segment) in segments.iter().enumerate().skip(skipped) {
            if segment.discontinuity {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            if map != Some(segment.init) {
                let _ = writeln!(out, "#EXT-X-MAP:URI=\"init-{}.mp4\"", segment.init);
                map = Some(segment.init);
            }
            let _ = writeln!(
                out,
                "#EXT-X-PROGRAM-DATE-TIME:{}",
                segment.started_at.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
            if !self.ended() && i >= live_edge_from {
                write_parts(out, segment);
            }
            let complete = segment.closed || i + 1 < segments.len();
            if complete {
                let _ = writeln!(out, "#EXTINF:{:.5},\nseg-{}.m4s", segment.duration, segment.msn);
            }
        }
    }

    /// What a live player asks for next: the part to come, and the other
    /// renditions' edges.
    fn write_live_edge(&self, out: &mut String, reports: &[Report]) {
        let _ = writeln!(out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-{}.m4s\"", self.next_part());
        for report in reports {
            let _ = write!(out, "#EXT-X-RENDITION-REPORT:URI=\"{}\",LAST-MSN={}", report.uri, report.last_msn);
            match report.last_part {
                Some(part) => {
                    let _ = writeln!(out, ",LAST-PART={part}");
                }
                None => out.push('\n'),
            }
        }
    }
}

/// The pins as DATERANGEs for a window opening at `start`.
fn write_pins(out: &mut String, pins: &[Pin], start: DateTime<Utc>) {
    // The product on screen when the window opens shows from its start;
    // later pins at the moment they were made.
    let on_screen = pins.iter().filter(|p| p.at < start).max_by_key(|p| p.at);
    let later = pins.iter().filter(|p| p.at >= start);
    for pin in on_screen.into_iter().chain(later) {
        let _ = writeln!(
            out,
            "#EXT-X-DATERANGE:ID=\"{}\",CLASS=\"com.cartcast.pin\",START-DATE=\"{}\",X-PRODUCT-ID=\"{}\"",
            pin.id,
            pin.at.max(start).to_rfc3339_opts(SecondsFormat::Millis, true),
            pin.product_id
        );
    }
}

/// A segment's parts, each with its number as its URI.
fn write_parts(out: &mut String, segment: &Segment) {
    for part in &segment.parts {
        let _ = write!(out, "#EXT-X-PART:DURATION={:.5},URI=\"part-{}.m4s\"", part.duration, part.number);
        out.push_str(if part.independent { ",INDEPENDENT=YES\n" } else { "\n" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hls::rendition::tests::rendition_with;

    #[test]
    fn live_playlist_carries_the_ll_hls_tags() {
        let rendition = rendition_with(3);
        let playlist = rendition.playlist(
            &[],
            &[Report { uri: "../audio/index.m3u8".into(), last_msn: 2, last_part: Some(4) }],
            false,
        );
        assert!(playlist.contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002"));
        assert!(playlist.contains("#EXT-X-PART-INF:PART-TARGET=0.334"));
        assert!(playlist.contains("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-18.m4s\""));
        assert!(playlist.contains("#EXT-X-RENDITION-REPORT:URI=\"../audio/index.m3u8\",LAST-MSN=2,LAST-PART=4"));
        // Two closed segments listed whole; the open one only as parts.
        assert_eq!(playlist.matches("#EXTINF").count(), 2);
        assert!(!playlist.contains("#EXT-X-ENDLIST"));
    }

    #[test]
    fn ending_closes_the_open_segment_and_lists_everything_for_vod() {
        let mut rendition = rendition_with(2);
        assert_eq!(rendition.end().map(|s| s.record.msn), Some(1));
        let playlist = rendition.playlist(&[], &[], false);
        assert!(playlist.ends_with("#EXT-X-ENDLIST\n"));
        assert!(playlist.contains("#EXT-X-PLAYLIST-TYPE:VOD"));
        assert_eq!(playlist.matches("#EXTINF").count(), 2);
        assert!(!playlist.contains("#EXT-X-PART:"));
    }

    #[test]
    fn a_delta_update_counts_the_old_segments_instead_of_listing_them() {
        let rendition = rendition_with(10);
        // 2 s segments, target 2: the skip boundary is 12 s; of the nine complete
        // segments (18 s), the first three end more than 12 s before the end.
        let delta = rendition.playlist(&[], &[], true);
        assert!(delta.contains("CAN-SKIP-UNTIL=12.0"));
        assert!(delta.contains("#EXT-X-MEDIA-SEQUENCE:0\n"));
        assert!(delta.contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n"));
        assert!(!delta.contains("seg-2.m4s") && delta.contains("seg-3.m4s"));
        assert!(delta.contains("#EXT-X-MAP:URI=\"init-0.mp4\""));
        let full = rendition.playlist(&[], &[], false);
        assert!(full.contains("seg-0.m4s") && !full.contains("#EXT-X-SKIP"));
    }

    #[test]
    fn pins_become_dateranges_inside_the_window() {
        let rendition = rendition_with(1);
        let pin = Pin { id: "pin-1".into(), product_id: "p-1".into(), at: Utc::now() };
        let playlist = rendition.playlist(&[pin], &[], false);
        assert!(playlist.contains("#EXT-X-DATERANGE:ID=\"pin-1\",CLASS=\"com.cartcast.pin\""));
        assert!(playlist.contains("X-PRODUCT-ID=\"p-1\""));
    }
}
