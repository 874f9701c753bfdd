//! Clips: the last N seconds of a live show as one MP4 (H.264 + AAC,
//! `faststart`), remuxed from its stored segments without re-encoding. The
//! clip starts on a segment boundary, hence on a keyframe.

use std::path::{Path, PathBuf};

use ffmpeg_next::{Dictionary, Packet, Rational, codec, encoder, format, media};

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("reading stored segments: {0}")]
    Io(#[from] std::io::Error),
    #[error("{during}: {source}")]
    Ffmpeg { during: &'static str, source: ffmpeg_next::Error },
    #[error("the stored segments hold no video")]
    NoVideo,
}

fn ffmpeg(during: &'static str) -> impl FnOnce(ffmpeg_next::Error) -> ClipError {
    move |source| ClipError::Ffmpeg { during, source }
}

/// One track's stored media for a clip: its init segment then its segments.
pub struct TrackFiles {
    pub init: PathBuf,
    pub segments: Vec<PathBuf>,
}

impl TrackFiles {
    /// Concatenates the track into one fragmented MP4 file at `to`.
    fn join(&self, to: &Path) -> Result<(), ClipError> {
        let mut data = std::fs::read(&self.init)?;
        for segment in &self.segments {
            data.extend(std::fs::read(segment)?);
        }
        std::fs::write(to, data)?;
        Ok(())
    }
}

/// Writes an MP4 of the first `seconds` of `video` (and `audio`) to `out`.
pub fn write_clip(video: &TrackFiles, audio: Option<&TrackFiles>, seconds: f64, out: &Path) -> Result<(), ClipError> {
    crate::init_ffmpeg().map_err(ffmpeg("initialising FFmpeg"))?;
    let work = out.with_extension("work");
    std::fs::create_dir_all(&work)?;
    let result = remux(video, audio, seconds, &work, out);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn remux(
    video: &TrackFiles,
    audio: Option<&TrackFiles>,
    seconds: f64,
    work: &Path,
    out: &Path,
) -> Result<(), ClipError> {
    let mut inputs = Vec::new();
    for (name, track) in [("video.mp4", Some(video)), ("audio.mp4", audio)] {
        let Some(track) = track else { continue };
        let path = work.join(name);
        track.join(&path)?;
        inputs.push(format::input(&path).map_err(ffmpeg("opening stored media"))?);
    }
    let partial = out.with_extension("mp4.partial");
    let mut output = format::output_as(&partial, "mp4").map_err(ffmpeg("creating the clip"))?;
    // (input, its stream index, its time base, the output stream index)
    let mut mapping: Vec<(usize, usize, Rational, usize)> = Vec::new();
    for (input_index, input) in inputs.iter().enumerate() {
        let Some(stream) =
            input.streams().find(|s| matches!(s.parameters().medium(), media::Type::Video | media::Type::Audio))
        else {
            continue;
        };
        let mut added = output.add_stream(encoder::find(codec::Id::None)).map_err(ffmpeg("adding a clip stream"))?;
        added.set_parameters(stream.parameters());
        // SAFETY: the stream's parameters were just allocated by FFmpeg; a zero
        // tag lets the mp4 muxer pick its own.
        unsafe { (*added.parameters().as_mut_ptr()).codec_tag = 0 };
        mapping.push((input_index, stream.index(), stream.time_base(), added.index()));
    }
    if mapping.first().is_none_or(|(input, ..)| *input != 0) {
        return Err(ClipError::NoVideo);
    }
    let mut options = Dictionary::new();
    options.set("movflags", "+faststart");
    output.write_header_with(options).map_err(ffmpeg("writing the clip header"))?;
    // The clip's window, from the video's first decode time.
    let mut window: Option<(f64, f64)> = None;
    for (input_index, input) in inputs.iter_mut().enumerate() {
        let Some(&(_, stream_index, time_base, output_index)) = mapping.iter().find(|m| m.0 == input_index) else {
            continue;
        };
        let output_base = output.stream(output_index).map(|s| s.time_base()).unwrap_or(time_base);
        for (stream, mut packet) in input.packets() {
            if stream.index() != stream_index {
                continue;
            }
            let at = packet.dts().or(packet.pts()).unwrap_or(0) as f64 * f64::from(time_base);
            let (start, end) = *window.get_or_insert((at, at + seconds));
            if at < start || at >= end {
                continue;
            }
            shift(&mut packet, (start / f64::from(time_base)).round() as i64);
            packet.rescale_ts(time_base, output_base);
            packet.set_position(-1);
            packet.set_stream(output_index);
            packet.write_interleaved(&mut output).map_err(ffmpeg("writing clip media"))?;
        }
    }
    output.write_trailer().map_err(ffmpeg("finishing the clip"))?;
    std::fs::rename(&partial, out)?;
    Ok(())
}

/// Moves a packet's timestamps back by `by`, so the clip starts at zero.
fn shift(packet: &mut Packet, by: i64) {
    packet.set_pts(packet.pts().map(|t| t - by));
    packet.set_dts(packet.dts().map(|t| t - by));
}
