//! One rendition's state: its segments and their parts, numbering, the live edge, the DVR window, discontinuities.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::packager::Part;
// Other crates name pins by this path, from before playlist writing had its own module.
pub use super::playlist::Pin;
use crate::track::Codec;

/// Timing every rendition of a show shares.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub segment_target: Duration,
    pub part_target: Duration,
    /// How far back a live player may seek.
    pub dvr_window: Duration,
}

impl Timing {
    /// `EXT-X-TARGETDURATION`: whole seconds, never below a segment's length.
    fn target_duration(&self, longest: f64) -> u64 {
        (self.segment_target.as_secs_f64().max(longest)).ceil() as u64
    }

    /// The part target counted in a track's `timescale` ticks.
    pub fn part_target_ticks(&self, timescale: u32) -> u64 {
        (self.part_target.as_secs_f64() * f64::from(timescale)) as u64
    }

    /// `PART-HOLD-BACK`: three part targets, as the draft recommends.
    pub fn part_hold_back(&self) -> f64 {
        3.0 * self.part_target.as_secs_f64()
    }
}

#[derive(Debug, Clone)]
pub(super) struct PartEntry {
    /// Global part number: the part's URI, stable whatever segment it ends in.
    pub(super) number: u64,
    pub(super) duration: f64,
    pub(super) independent: bool,
    /// Where its bytes start in its segment (the segment is its parts end to end).
    offset: u64,
    size: u64,
    /// Dropped once its segment's file is written.
    data: Option<Bytes>,
}

#[derive(Debug, Clone)]
pub(super) struct Segment {
    pub(super) msn: u64,
    /// Decode time of its first sample, in the track's timescale.
    start: u64,
    pub(super) started_at: DateTime<Utc>,
    pub(super) duration: f64,
    pub(super) discontinuity: bool,
    pub(super) init: u32,
    pub(super) parts: Vec<PartEntry>,
    pub(super) closed: bool,
}

/// A closed segment as the rendition's journal keeps it: enough to list it
/// again after the worker restarts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SegmentRecord {
    pub msn: u64,
    /// Decode time of its first sample, in the track's timescale.
    pub start: u64,
    pub duration: f64,
    pub started_at: DateTime<Utc>,
    pub init: u32,
    pub discontinuity: bool,
    pub bytes: u64,
    /// The rendition's next part number after this segment.
    pub next_part: u64,
}

/// A segment just closed, for whoever stores it.
pub struct ClosedSegment {
    pub record: SegmentRecord,
    pub data: Bytes,
}

/// How many closed segments keep their parts listed.
pub(super) const LIVE_EDGE_SEGMENTS: usize = 3;

/// How many segments, the open one included, keep their part entries: those
/// listed, and one more, since a player's playlist may be a segment behind
/// when it asks. Older segments are whole files only, so a long show holds
/// no more per segment than its playlist line needs.
const SEGMENTS_WITH_PARTS: usize = LIVE_EDGE_SEGMENTS + 2;

/// Where a listed part's bytes are.
#[derive(Debug, Clone, PartialEq)]
pub enum PartBytes {
    Memory(Bytes),
    /// `len` bytes at `offset` of segment `msn`'s file.
    InSegment {
        msn: u64,
        offset: u64,
        len: u64,
    },
}

pub struct Rendition {
    timing: Timing,
    /// The timescale of the parts pushed in.
    timescale: u32,
    /// Every codec the rendition has had, by init segment version.
    codecs: Vec<Codec>,
    init: u32,
    segments: VecDeque<Segment>,
    next_msn: u64,
    next_part: u64,
    /// The next segment follows a break (publisher reconnect, codec change).
    discontinuity_pending: bool,
    longest_segment: f64,
    peak_bits_per_second: f64,
    ended: bool,
}

impl Rendition {
    /// A rendition whose first segment gets `first_msn` (renditions joining a
    /// live show start at the show's current segment number).
    pub fn new(timing: Timing, first_msn: u64) -> Self {
        Self {
            timing,
            timescale: 1,
            codecs: Vec::new(),
            init: 0,
            segments: VecDeque::new(),
            next_msn: first_msn,
            next_part: 0,
            discontinuity_pending: false,
            longest_segment: 0.0,
            peak_bits_per_second: 0.0,
            ended: false,
        }
    }

    /// Sets the codec; a change after media has flowed starts a new init
    /// segment behind a discontinuity. Returns the init version to store when new.
    pub fn set_codec(&mut self, codec: Codec) -> Option<u32> {
        if self.codecs.last() == Some(&codec) {
            return None;
        }
        self.timescale = codec.timescale();
        if self.segments.iter().any(|s| s.init == self.init) {
            self.init += 1;
            self.discontinuity_pending = true;
        }
        self.codecs.truncate(self.init as usize);
        self.codecs.push(codec);
        Some(self.init)
    }

    pub fn codec(&self) -> Option<&Codec> {
        self.codecs.last()
    }

    /// Every codec so far, by init segment version (for the journal).
    pub fn codecs(&self) -> &[Codec] {
        &self.codecs
    }

    /// A rendition rebuilt from its journal after a restart: its closed
    /// segments listed again (their bytes are on disk), numbering going on.
    pub fn recovered(timing: Timing, codecs: Vec<Codec>, records: Vec<SegmentRecord>) -> Option<Self> {
        let codec = codecs.last()?;
        let mut rendition = Self::new(timing, 0);
        rendition.timescale = codec.timescale();
        rendition.init = u32::try_from(codecs.len() - 1).ok()?;
        rendition.codecs = codecs;
        for record in records {
            rendition.longest_segment = rendition.longest_segment.max(record.duration);
            if record.duration > 0.0 {
                let rate = record.bytes as f64 * 8.0 / record.duration;
                rendition.peak_bits_per_second = rendition.peak_bits_per_second.max(rate);
            }
            rendition.next_msn = record.msn + 1;
            rendition.next_part = record.next_part;
            rendition.segments.push_back(Segment {
                msn: record.msn,
                start: record.start,
                started_at: record.started_at,
                duration: record.duration,
                discontinuity: record.discontinuity,
                init: record.init,
                parts: Vec::new(),
                closed: true,
            });
        }
        rendition.mark_discontinuity();
        Some(rendition)
    }

    /// Where the last closed segment ends, in the track's timescale.
    pub fn end_time(&self) -> Option<u64> {
        let last = self.segments.iter().rev().find(|s| s.closed)?;
        Some(last.start + (last.duration * f64::from(self.timescale)).round() as u64)
    }

    pub fn init_version(&self) -> u32 {
        self.init
    }

    /// The publisher went away and came back: what follows is not continuous.
    pub fn mark_discontinuity(&mut self) {
        if !self.segments.is_empty() {
            self.discontinuity_pending = true;
        }
    }

    /// Adds a finished part; returns the segment it closed, if any.
    pub fn push(&mut self, part: Part, now: DateTime<Utc>) -> Option<ClosedSegment> {
        let mut closed = None;
        if part.starts_segment || self.segments.is_empty() {
            closed = self.close_open_segment();
            self.segments.push_back(Segment {
                msn: self.next_msn,
                start: part.start,
                started_at: now,
                duration: 0.0,
                discontinuity: std::mem::take(&mut self.discontinuity_pending),
                init: self.init,
                parts: Vec::new(),
                closed: false,
            });
            self.next_msn += 1;
        }
        let duration = part.duration as f64 / f64::from(self.timescale);
        let segment = self.segments.back_mut().expect("a segment was just opened");
        segment.duration += duration;
        let offset = segment.parts.last().map_or(0, |p| p.offset + p.size);
        segment.parts.push(PartEntry {
            number: self.next_part,
            duration,
            independent: part.independent,
            offset,
            size: part.data.len() as u64,
            data: Some(part.data),
        });
        self.next_part += 1;
        closed
    }

    /// Ends the rendition: the open segment closes and the playlist gets `EXT-X-ENDLIST`.
    pub fn end(&mut self) -> Option<ClosedSegment> {
        self.ended = true;
        self.close_open_segment()
    }

    pub fn ended(&self) -> bool {
        self.ended
    }

    fn close_open_segment(&mut self) -> Option<ClosedSegment> {
        let segment = self.segments.back_mut()?;
        if segment.closed || segment.parts.is_empty() {
            return None;
        }
        segment.closed = true;
        let data = joined(&segment.parts).expect("an open segment's parts are all in memory");
        self.longest_segment = self.longest_segment.max(segment.duration);
        if segment.duration > 0.0 {
            self.peak_bits_per_second = self.peak_bits_per_second.max(data.len() as f64 * 8.0 / segment.duration);
        }
        let record = SegmentRecord {
            msn: segment.msn,
            start: segment.start,
            duration: segment.duration,
            started_at: segment.started_at,
            init: segment.init,
            discontinuity: segment.discontinuity,
            bytes: data.len() as u64,
            next_part: self.next_part,
        };
        // The segment opening next makes one more with parts than are kept.
        let past_parts = (self.segments.len() + 1).saturating_sub(SEGMENTS_WITH_PARTS);
        for old in self.segments.iter_mut().take(past_parts).rev().take_while(|s| !s.parts.is_empty()) {
            old.parts = Vec::new();
        }
        Some(ClosedSegment { record, data })
    }

    /// Segment `msn`'s file is written: its parts are read from it from now
    /// on, so only the open segment's parts stay in memory.
    pub fn stored(&mut self, msn: u64) {
        if let Some(segment) = self.segments.iter_mut().rev().find(|s| s.msn == msn && s.closed) {
            segment.parts.iter_mut().for_each(|p| p.data = None);
        }
    }

    /// Segments a live player may seek in: those within the DVR window of the
    /// edge. The whole show stays listed for the VOD (entries are small; their
    /// bytes are on disk).
    fn live_window(&self) -> impl Iterator<Item = &Segment> {
        let window = self.timing.dvr_window.as_secs_f64();
        let mut kept = 0.0;
        let skip = self
            .segments
            .iter()
            .rev()
            .take_while(|s| {
                kept += s.duration;
                kept - s.duration < window
            })
            .count();
        self.segments.iter().skip(self.segments.len() - skip)
    }

    /// The segments a playlist lists: the DVR window while live, the whole
    /// show once ended.
    pub(super) fn listed(&self) -> Vec<&Segment> {
        if self.ended { self.segments.iter().collect() } else { self.live_window().collect() }
    }

    /// How many discontinuities the segments before `msn` held (those the DVR
    /// window has dropped), for `EXT-X-DISCONTINUITY-SEQUENCE`.
    pub(super) fn discontinuities_before(&self, msn: u64) -> usize {
        self.segments.iter().take_while(|s| s.msn < msn).filter(|s| s.discontinuity).count()
    }

    /// `EXT-X-TARGETDURATION` for the segments so far.
    pub(super) fn target_duration(&self) -> u64 {
        self.timing.target_duration(self.longest_segment)
    }

    /// The timing every rendition of the show shares.
    pub(super) fn timing(&self) -> &Timing {
        &self.timing
    }

    /// The closed segments, newest last, that make up at least the last
    /// `seconds` and share the newest one's init segment: (init, numbers, their
    /// total duration). `None` when there is not that much.
    pub fn last_seconds(&self, seconds: f64) -> Option<(u32, Vec<u64>, f64)> {
        let closed = self.segments.iter().rev().filter(|s| s.closed);
        let mut init = None;
        let (mut numbers, mut total) = (Vec::new(), 0.0);
        for segment in closed {
            if *init.get_or_insert(segment.init) != segment.init {
                break;
            }
            numbers.push(segment.msn);
            total += segment.duration;
            if total >= seconds {
                numbers.reverse();
                return Some((segment.init, numbers, total));
            }
        }
        None
    }

    /// Measured peak bitrate of closed segments, bits per second.
    pub fn peak_bandwidth(&self) -> Option<u64> {
        (self.peak_bits_per_second > 0.0).then_some(self.peak_bits_per_second as u64)
    }

    /// Whether a player may begin: at least one segment is complete.
    pub fn has_complete_segment(&self) -> bool {
        self.segments.iter().any(|s| s.closed)
    }

    /// The live edge: last segment number and its last part.
    pub fn edge(&self) -> Option<(u64, Option<u64>)> {
        let last = self.segments.back()?;
        Some((last.msn, last.parts.len().checked_sub(1).map(|p| p as u64)))
    }

    /// Whether a blocking reload for segment `msn` (part `part`) can be answered.
    pub fn has(&self, msn: u64, part: Option<u64>) -> bool {
        if self.ended {
            return true;
        }
        let Some(last) = self.segments.back() else { return false };
        match part {
            None => msn < last.msn,
            Some(part) => msn < last.msn || (msn == last.msn && (part as usize) < last.parts.len()),
        }
    }

    /// The next segment number to appear.
    pub fn next_msn(&self) -> u64 {
        self.next_msn
    }

    /// The next part number to appear (the playlist's preload hint).
    pub(super) fn next_part(&self) -> u64 {
        self.next_part
    }

    /// Where a part listed near the live edge is; `Err(true)` when it is
    /// the next part to come (worth waiting for), `Err(false)` when gone or never.
    pub fn part(&self, number: u64) -> Result<PartBytes, bool> {
        if number == self.next_part && !self.ended {
            return Err(true);
        }
        let near_edge = self.segments.iter().rev().take(SEGMENTS_WITH_PARTS);
        let (segment, part) = near_edge
            .flat_map(|s| s.parts.iter().map(move |p| (s, p)))
            .find(|(_, p)| p.number == number)
            .ok_or(false)?;
        match &part.data {
            Some(data) => Ok(PartBytes::Memory(data.clone())),
            None => Ok(PartBytes::InSegment { msn: segment.msn, offset: part.offset, len: part.size }),
        }
    }

    /// A closed segment's bytes while its file is not yet written.
    pub fn segment(&self, msn: u64) -> Option<Bytes> {
        self.segments.iter().rev().find(|s| s.msn == msn && s.closed).and_then(|s| joined(&s.parts))
    }
}

/// `parts`' bytes end to end, if there are parts and all are in memory (a
/// segment recovered from its journal lists none: its bytes are on disk).
fn joined(parts: &[PartEntry]) -> Option<Bytes> {
    if parts.is_empty() {
        return None;
    }
    let mut data = Vec::with_capacity(parts.iter().map(|p| p.size as usize).sum());
    for part in parts {
        data.extend_from_slice(part.data.as_ref()?);
    }
    Some(Bytes::from(data))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            segment_target: Duration::from_secs(2),
            part_target: Duration::from_millis(334),
            dvr_window: Duration::from_secs(7200),
        }
    }

    fn part(starts_segment: bool) -> Part {
        Part {
            data: Bytes::from_static(b"moofmdat"),
            start: 0,
            duration: 30_000,
            independent: starts_segment,
            starts_segment,
        }
    }

    fn video() -> Codec {
        Codec::H264 { avcc: Bytes::from_static(&[1, 0x64, 0, 0x1f]), width: 1280, height: 720 }
    }

    /// A rendition of `segments` six-part segments, the last one open (shared
    /// with the playlist's tests).
    pub(in crate::hls) fn rendition_with(segments: usize) -> Rendition {
        let mut rendition = Rendition::new(timing(), 0);
        rendition.timescale = 90_000;
        rendition.set_codec(video());
        for s in 0..segments {
            for p in 0..6 {
                rendition.push(part(p == 0), Utc::now());
            }
            assert_eq!(rendition.segments.len(), s + 1);
        }
        rendition
    }

    #[test]
    fn blocking_reload_is_answerable_once_the_part_exists() {
        let rendition = rendition_with(2);
        assert!(rendition.has(1, Some(5)));
        assert!(!rendition.has(1, Some(6)));
        assert!(rendition.has(0, None));
        assert!(!rendition.has(1, None));
        assert_eq!(rendition.part(12), Err(true));
    }

    #[test]
    fn only_parts_of_segments_not_yet_written_stay_in_memory() {
        // Segments 0-2 closed, 3 open; six 8-byte parts each, numbered on.
        let mut rendition = rendition_with(4);
        (0..2).for_each(|msn| rendition.stored(msn));
        assert_eq!(rendition.part(20), Ok(PartBytes::Memory(Bytes::from_static(b"moofmdat"))));
        // Closed but its file not written yet: still in memory, part and whole.
        assert_eq!(rendition.part(14), Ok(PartBytes::Memory(Bytes::from_static(b"moofmdat"))));
        assert_eq!(rendition.segment(2).map(|s| s.len()), Some(48));
        rendition.stored(2);
        assert_eq!(rendition.part(14), Ok(PartBytes::InSegment { msn: 2, offset: 16, len: 8 }));
        assert_eq!(rendition.segment(2), None, "read from disk");
        // Older listed parts are byte ranges of their segment's file.
        assert_eq!(rendition.part(9), Ok(PartBytes::InSegment { msn: 1, offset: 24, len: 8 }));
        assert_eq!(rendition.part(0), Ok(PartBytes::InSegment { msn: 0, offset: 0, len: 8 }));
        assert_eq!(rendition.segment(1), None, "read from disk");
        assert_eq!(rendition.segment(3), None, "still open");
        rendition.stored(3);
        assert_eq!(rendition.part(20), Ok(PartBytes::Memory(Bytes::from_static(b"moofmdat"))), "open: not stored");

        // A segment recovered from its journal is read from disk.
        let mut recovered = rendition_with(2);
        let record = recovered.push(part(true), Utc::now()).expect("a segment closes").record;
        let recovered = Rendition::recovered(timing(), recovered.codecs().to_vec(), vec![record]).unwrap();
        assert_eq!(recovered.segment(1), None);

        // Parts a segment past the listed ones are gone, and so are their entries.
        let mut rendition = rendition_with(7);
        (0..6).for_each(|msn| rendition.stored(msn));
        assert_eq!(rendition.part(6), Err(false));
        assert_eq!(rendition.part(12), Ok(PartBytes::InSegment { msn: 2, offset: 0, len: 8 }));
        let with_parts: Vec<u64> = rendition.segments.iter().filter(|s| !s.parts.is_empty()).map(|s| s.msn).collect();
        assert_eq!(with_parts, [2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_reconnect_marks_the_next_segment_discontinuous() {
        let mut rendition = rendition_with(1);
        rendition.mark_discontinuity();
        rendition.push(part(true), Utc::now());
        let playlist = rendition.playlist(&[], &[], false);
        let discontinuity = playlist.find("#EXT-X-DISCONTINUITY\n").expect("a discontinuity");
        assert!(discontinuity > playlist.find("seg-0.m4s").unwrap());
    }

    #[test]
    fn a_recovered_rendition_lists_its_segments_and_numbers_on() {
        let mut rendition = rendition_with(3);
        let records: Vec<SegmentRecord> =
            (0..3).map(|_| rendition.push(part(true), Utc::now()).expect("a segment closes").record).collect();
        let codecs = rendition.codecs().to_vec();
        let mut recovered = Rendition::recovered(timing(), codecs, records.clone()).unwrap();
        assert_eq!(recovered.next_msn(), records[2].msn + 1);
        recovered.push(part(true), Utc::now());
        let playlist = recovered.playlist(&[], &[], false);
        for record in &records {
            assert!(playlist.contains(&format!("seg-{}.m4s", record.msn)), "{playlist}");
        }
        assert!(playlist.contains("#EXT-X-DISCONTINUITY\n"), "the restart is a discontinuity");
        assert!(playlist.contains(&format!("part-{}.m4s", records[2].next_part)), "part numbers go on");
    }
}
