//! H.264 sources for the media tests: a clip made by the ffmpeg CLI (with
//! B-frames), demuxed into the samples and avcC the ingest path would hand on.

use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use cartcast_media::track::{Codec, Sample, VIDEO_TIMESCALE};
use ffmpeg_next::{Rational, format, media};

/// A clip at 30 fps with an IDR every 30 frames.
pub struct Source {
    pub codec: Codec,
    pub samples: Vec<Sample>,
}

pub fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
    let dir = std::env::temp_dir().join(format!("cartcast-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `seconds` of `testsrc2` at `size` (`WxH`), encoded by libx264.
pub fn make(dir: &Path, size: &str, seconds: u32) -> Source {
    let path = dir.join(format!("source-{size}.mp4"));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("testsrc2=size={size}:rate=30")])
        .args(["-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .expect("run the ffmpeg CLI");
    assert!(status.success(), "ffmpeg could not make the source");
    demux(&path)
}

/// AVCC packets and avcC from the mp4, timed in 90 kHz (shifted so the
/// first, negative B-frame dts stays positive).
fn demux(path: &Path) -> Source {
    ffmpeg_next::init().expect("ffmpeg init");
    ffmpeg_next::log::set_level(ffmpeg_next::log::Level::Error);
    let mut input = format::input(path).expect("open source");
    let stream = input.streams().best(media::Type::Video).expect("video stream");
    let (index, time_base) = (stream.index(), stream.time_base());
    let decoder = ffmpeg_next::codec::Context::from_parameters(stream.parameters())
        .expect("params")
        .decoder()
        .video()
        .expect("dec");
    // Safety: the parameters outlive this read; extradata is null or `extradata_size` bytes.
    let avcc = unsafe {
        let params = stream.parameters();
        let raw = params.as_ptr();
        Bytes::copy_from_slice(std::slice::from_raw_parts((*raw).extradata, (*raw).extradata_size as usize))
    };
    let codec = Codec::H264 { avcc, width: decoder.width() as u16, height: decoder.height() as u16 };
    let to_90k = Rational::new(1, VIDEO_TIMESCALE as i32);
    let mut samples = Vec::new();
    for (stream, mut packet) in input.packets() {
        if stream.index() != index {
            continue;
        }
        packet.rescale_ts(time_base, to_90k);
        let dts = packet.dts().expect("dts") + i64::from(VIDEO_TIMESCALE);
        let pts = packet.pts().expect("pts") + i64::from(VIDEO_TIMESCALE);
        samples.push(Sample {
            dts: dts as u64,
            cts_offset: (pts - dts) as i32,
            duration: 0,
            keyframe: packet.is_key(),
            data: Bytes::copy_from_slice(packet.data().expect("data")),
        });
    }
    Source { codec, samples }
}
