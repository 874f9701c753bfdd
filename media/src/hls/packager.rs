//! Cuts one track's samples into partial segments: a part closes before it
//! would pass the part target, and a new segment always starts a new part.
//! Sample durations are learned from the next sample's decode time, so one
//! sample is held back.

use bytes::Bytes;

use crate::cmaf;
use crate::track::Sample;

/// A finished partial segment: one CMAF fragment.
#[derive(Debug, Clone)]
pub struct Part {
    pub data: Bytes,
    /// Decode time of the first sample, in the track's timescale.
    pub start: u64,
    /// In the track's timescale.
    pub duration: u64,
    /// Starts with a sync sample.
    pub independent: bool,
    /// Starts a new segment.
    pub starts_segment: bool,
}

pub struct Packager {
    part_target: u64,
    held: Option<(Sample, bool)>,
    part: Vec<Sample>,
    part_duration: u64,
    part_starts_segment: bool,
    last_duration: u32,
    sequence: u32,
}

impl Packager {
    /// `part_target` in the track's timescale.
    pub fn new(part_target: u64) -> Self {
        Self {
            part_target,
            held: None,
            part: Vec::new(),
            part_duration: 0,
            part_starts_segment: false,
            last_duration: 0,
            sequence: 0,
        }
    }

    /// Takes the next sample (its `duration` is ignored); returns the parts it completed.
    pub fn push(&mut self, sample: Sample, starts_segment: bool) -> Vec<Part> {
        let mut parts = Vec::new();
        if let Some((mut previous, previous_starts)) = self.held.take() {
            let gap = sample.dts.saturating_sub(previous.dts);
            previous.duration = match u32::try_from(gap) {
                Ok(gap) if gap > 0 => gap,
                _ => self.last_duration.max(1),
            };
            self.last_duration = previous.duration;
            self.add(previous, previous_starts, &mut parts);
        }
        self.held = Some((sample, starts_segment));
        parts
    }

    /// Ends the track: the held sample gets the last known duration.
    pub fn finish(&mut self) -> Vec<Part> {
        let mut parts = Vec::new();
        if let Some((mut last, starts)) = self.held.take() {
            last.duration = self.last_duration.max(1);
            self.add(last, starts, &mut parts);
        }
        self.close(&mut parts);
        parts
    }

    fn add(&mut self, sample: Sample, starts_segment: bool, parts: &mut Vec<Part>) {
        let duration = u64::from(sample.duration);
        if starts_segment || self.part_duration + duration > self.part_target {
            self.close(parts);
        }
        if self.part.is_empty() {
            self.part_starts_segment = starts_segment;
        }
        self.part_duration += duration;
        self.part.push(sample);
        // Close now, not on the next sample, when another one would not fit.
        if self.part_duration + duration > self.part_target {
            self.close(parts);
        }
    }

    fn close(&mut self, parts: &mut Vec<Part>) {
        if self.part.is_empty() {
            return;
        }
        self.sequence += 1;
        parts.push(Part {
            data: cmaf::fragment(self.sequence, &self.part),
            start: self.part[0].dts,
            duration: self.part_duration,
            independent: self.part[0].keyframe,
            starts_segment: self.part_starts_segment,
        });
        self.part.clear();
        self.part_duration = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u64, keyframe: bool) -> Sample {
        Sample { dts: n * 3000, cts_offset: 0, duration: 0, keyframe, data: Bytes::from_static(b"frame") }
    }

    /// 30 fps video with a keyframe every `gop` frames, each starting a segment.
    fn run(frames: u64, gop: u64, part_target: u64) -> Vec<Part> {
        let mut packager = Packager::new(part_target);
        let mut parts = Vec::new();
        for n in 0..frames {
            parts.extend(packager.push(frame(n, n % gop == 0), n % gop == 0));
        }
        parts.extend(packager.finish());
        parts
    }

    #[test]
    fn parts_stay_within_the_target_and_above_85_percent_but_for_a_segments_last() {
        let target = 30_060; // 0.334 s at 90 kHz
        let parts = run(120, 60, target);
        assert_eq!(parts.iter().map(|p| p.duration).sum::<u64>(), 120 * 3000);
        for (i, part) in parts.iter().enumerate() {
            assert!(part.duration <= target, "part {i} lasts {}", part.duration);
            let last_of_segment = parts.get(i + 1).is_none_or(|next| next.starts_segment);
            assert!(last_of_segment || part.duration * 100 >= target * 85, "part {i} lasts {}", part.duration);
        }
    }

    #[test]
    fn every_segment_starts_on_an_independent_part() {
        let parts = run(150, 45, 30_060);
        let starts: Vec<u64> = parts.iter().filter(|p| p.starts_segment).map(|p| p.start).collect();
        assert_eq!(starts, [0, 45 * 3000, 90 * 3000, 135 * 3000]);
        assert!(parts.iter().filter(|p| p.starts_segment).all(|p| p.independent));
        assert!(parts.iter().filter(|p| !p.starts_segment).all(|p| !p.independent));
    }

    #[test]
    fn the_part_closes_as_soon_as_the_next_frame_would_not_fit() {
        let mut packager = Packager::new(30_060);
        let mut closed_after = None;
        for n in 0..20 {
            if !packager.push(frame(n, n == 0), n == 0).is_empty() {
                closed_after = Some(n);
                break;
            }
        }
        // Frames 0..=9 fill 0.333 s; the part is out when frame 10 arrives.
        assert_eq!(closed_after, Some(10));
    }
}
