//! The bench's input: a 1080p test pattern with a tone, made by the ffmpeg
//! CLI, and its video track demuxed into ladder samples.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use bytes::Bytes;
use cartcast_media::track::{Codec, Sample, VIDEO_TIMESCALE};
use ffmpeg_next::{Rational, format, media};

/// The demuxed video track.
pub struct Source {
    pub codec: Codec,
    /// In decode order, 90 kHz.
    pub samples: Vec<Sample>,
}

/// Writes `seconds` of 1920x1080 `testsrc2` at `fps` (x264 veryfast, GOP 2 s)
/// with a sine in AAC to `dir/source.mp4`.
pub fn generate(dir: &Path, seconds: u32, fps: u32) -> anyhow::Result<PathBuf> {
    let path = dir.join("source.mp4");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y"])
        .args(["-f", "lavfi", "-i", &format!("testsrc2=size=1920x1080:rate={fps}")])
        .args(["-f", "lavfi", "-i", "sine", "-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-g", &(fps * 2).to_string(), "-pix_fmt", "yuv420p"])
        .args(["-c:a", "aac"])
        .arg(&path)
        .status()
        .context("running the ffmpeg CLI")?;
    if !status.success() {
        bail!("ffmpeg could not generate the input ({status})");
    }
    Ok(path)
}

/// The video packets of `path` as AVCC samples in 90 kHz, shifted so that no
/// decode time is negative.
pub fn demux(path: &Path) -> anyhow::Result<Source> {
    let mut input = format::input(path).context("opening the input")?;
    let stream = input.streams().best(media::Type::Video).context("the input has no video")?;
    let (index, time_base) = (stream.index(), stream.time_base());
    let parameters = stream.parameters();
    // Safety: `parameters` is a copy owned here; its extradata is null or
    // `extradata_size` bytes, read before it is dropped.
    let (avcc, width, height) = unsafe {
        let raw = parameters.as_ptr();
        let size = usize::try_from((*raw).extradata_size).unwrap_or(0);
        let avcc = if (*raw).extradata.is_null() || size == 0 {
            Bytes::new()
        } else {
            Bytes::copy_from_slice(std::slice::from_raw_parts((*raw).extradata, size))
        };
        (avcc, (*raw).width, (*raw).height)
    };
    let codec = Codec::H264 {
        avcc,
        width: u16::try_from(width).context("video width")?,
        height: u16::try_from(height).context("video height")?,
    };
    let to_90k = Rational::new(1, VIDEO_TIMESCALE as i32);
    let shift = i64::from(VIDEO_TIMESCALE);
    let mut samples = Vec::new();
    for (stream, mut packet) in input.packets() {
        if stream.index() != index {
            continue;
        }
        packet.rescale_ts(time_base, to_90k);
        let dts = packet.dts().context("a packet without dts")? + shift;
        let pts = packet.pts().context("a packet without pts")? + shift;
        samples.push(Sample {
            dts: u64::try_from(dts).context("dts before the shift")?,
            cts_offset: i32::try_from(pts - dts).context("cts offset")?,
            duration: 0,
            keyframe: packet.is_key(),
            data: Bytes::copy_from_slice(packet.data().unwrap_or_default()),
        });
    }
    Ok(Source { codec, samples })
}
