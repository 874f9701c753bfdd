//! The ladder end to end: a real H.264 file (made by the ffmpeg CLI, with
//! B-frames) goes through `Ladder`, and each rendition is checked frame by
//! frame and decoded back by ffprobe.

mod source;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc::sync_channel;

use bytes::Bytes;
use cartcast_media::ladder::{EncoderKind, LADDER, Ladder, LadderError, LadderOutput};
use cartcast_media::track::{Codec, Sample};
use source::Source;

fn pts(sample: &Sample) -> u64 {
    sample.dts.checked_add_signed(i64::from(sample.cts_offset)).expect("pts")
}

/// Pushes every sample, forcing segments at the flagged decode-order indices;
/// returns the outputs of each rung.
fn run_ladder(source: &Source, forced: &BTreeSet<usize>) -> Vec<Vec<LadderOutput>> {
    let (output, outputs) = sync_channel::<LadderOutput>(16);
    let collector = std::thread::spawn(move || {
        let mut by_rung = vec![Vec::new(); LADDER.len()];
        for out in outputs {
            by_rung[out.rung].push(out);
        }
        by_rung
    });
    let mut ladder = Ladder::start(&source.codec, &LADDER, EncoderKind::X264, 30.0, output).expect("start");
    for (index, sample) in source.samples.iter().enumerate() {
        ladder.push(sample, forced.contains(&index)).expect("push");
    }
    ladder.finish().expect("finish");
    collector.join().expect("collector")
}

/// Rewrites a rendition as an Annex B elementary stream, SPS/PPS taken from
/// its avcC and put before every keyframe.
fn annexb(avcc: &[u8], samples: &[Sample]) -> Vec<u8> {
    assert_eq!(avcc[0], 1, "avcC version");
    assert_eq!(avcc[4], 0xFF, "avcC must declare 4-byte NAL lengths");
    let mut parameter_sets = Vec::new();
    let mut at = 5;
    for count_mask in [0x1F, 0xFF] {
        let count = avcc[at] & count_mask;
        at += 1;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([avcc[at], avcc[at + 1]]));
            parameter_sets.push(&avcc[at + 2..at + 2 + len]);
            at += 2 + len;
        }
    }
    assert_eq!(parameter_sets.len(), 2, "one SPS and one PPS");
    assert_eq!(&avcc[1..4], &parameter_sets[0][1..4], "avcC profile/level must repeat the SPS");
    let mut out = Vec::new();
    for sample in samples {
        if sample.keyframe {
            for nal in &parameter_sets {
                out.extend_from_slice(&[0, 0, 0, 1]);
                out.extend_from_slice(nal);
            }
        }
        for nal in nals(&sample.data) {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
    out
}

/// The NAL units of an AVCC sample; panics on a malformed one.
fn nals(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("length")) as usize;
        assert!(len > 0 && 4 + len <= rest.len(), "AVCC length {len} overruns the sample");
        out.push(&rest[4..4 + len]);
        rest = &rest[4 + len..];
    }
    out
}

/// `width,height,frames` as ffprobe decodes them.
fn ffprobe(path: &Path) -> (u32, u32, usize) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success() && out.stderr.is_empty(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let fields: Vec<&str> = text.trim().split(',').collect();
    let [width, height, frames] = fields[..] else { panic!("ffprobe said {text:?}") };
    (width.parse().expect("width"), height.parse().expect("height"), frames.parse().expect("frames"))
}

#[test]
fn test_ladder_renditions_align_idrs_on_forced_frames_and_decode() {
    let dir = source::temp_dir("ladder");
    let source = source::make(&dir, "1280x720", 3);
    assert_eq!(source.samples.len(), 90);
    assert!(source.samples.iter().any(|s| s.cts_offset != 0), "the source should have B-frames");
    // Every 30 frames (the source's IDRs), plus one mid-GOP frame.
    let forced: BTreeSet<usize> = (0..source.samples.len()).filter(|i| i % 30 == 0 || *i == 47).collect();
    let forced_pts: BTreeSet<u64> = forced.iter().map(|&i| pts(&source.samples[i])).collect();
    let mut source_pts: Vec<u64> = source.samples.iter().map(pts).collect();
    source_pts.sort_unstable();

    let renditions = run_ladder(&source, &forced);

    for ((rung, outputs), (width, height)) in LADDER.iter().zip(&renditions).zip([(1280, 720), (854, 480), (640, 360)])
    {
        let name = rung.name;
        assert_eq!(outputs.len(), source.samples.len(), "{name}: one output per input frame");
        let Some(Codec::H264 { avcc, width: codec_width, height: codec_height }) = outputs[0].codec.clone() else {
            panic!("{name}: the first output must carry the codec");
        };
        assert!(outputs[1..].iter().all(|o| o.codec.is_none()), "{name}: codec only on the first output");
        assert_eq!((codec_width, codec_height), (width, height), "{name}: codec size");

        let samples: Vec<Sample> = outputs.iter().map(|o| o.sample.clone()).collect();
        let times: Vec<u64> = samples.iter().map(|s| s.dts).collect();
        assert_eq!(times, source_pts, "{name}: one output per source frame, at its presentation time");
        assert!(samples.iter().all(|s| s.cts_offset == 0), "{name}: no B-frames");
        let keyframes: BTreeSet<u64> = samples.iter().filter(|s| s.keyframe).map(|s| s.dts).collect();
        assert_eq!(keyframes, forced_pts, "{name}: IDRs exactly at the forced frames");
        for sample in &samples {
            let has_idr_slice = nals(&sample.data).iter().any(|nal| nal[0] & 0x1F == 5);
            assert_eq!(has_idr_slice, sample.keyframe, "{name}: IDR slice iff keyframe at {}", sample.dts);
        }

        let path = dir.join(format!("{name}.h264"));
        std::fs::write(&path, annexb(&avcc, &samples)).expect("write rendition");
        assert_eq!(ffprobe(&path), (u32::from(width), u32::from(height), samples.len()), "{name}: decoded back");
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn test_ladder_reports_output_closed_when_receiver_is_dropped() {
    let dir = source::temp_dir("ladder-closed");
    let source = source::make(&dir, "1280x720", 3);
    let (output, outputs) = sync_channel(1);
    drop(outputs);
    let mut ladder = Ladder::start(&source.codec, &LADDER, EncoderKind::X264, 30.0, output).expect("start");
    let pushed = source.samples.iter().enumerate().try_for_each(|(i, sample)| ladder.push(sample, i % 30 == 0));
    let error = pushed.and_then(|()| ladder.finish()).expect_err("the ladder must fail");
    assert!(matches!(error, LadderError::OutputClosed), "got {error:?}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn test_ladder_start_rejects_a_non_h264_source() {
    let (output, _outputs) = sync_channel(1);
    let aac = Codec::Aac { asc: Bytes::from_static(&[0x12, 0x10]), sample_rate: 48_000, channels: 2 };
    let result = Ladder::start(&aac, &LADDER, EncoderKind::X264, 30.0, output);
    assert!(matches!(result, Err(LadderError::NotH264)));
}

#[test]
fn test_ladder_start_rejects_a_rung_taller_than_the_source() {
    let (output, _outputs) = sync_channel(1);
    let small = Codec::H264 { avcc: Bytes::from_static(&[1, 0x64, 0, 0x1E, 0xFF]), width: 640, height: 360 };
    let result = Ladder::start(&small, &LADDER, EncoderKind::X264, 30.0, output);
    assert!(matches!(result, Err(LadderError::InvalidRung("720p"))));
}
