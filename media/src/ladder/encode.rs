//! The H.264 encoders of the ladder: which one this machine has, and how a
//! rung's encoder is set up for live (forced, aligned IDRs; no B-frames).

use std::ptr;

use ffmpeg_next::codec::{self, encoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::{Dictionary, Error, Packet, Rational, frame, picture};

use super::LadderError;

/// Which H.264 encoder renders the rungs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderKind {
    /// libx264 on the CPU, tuned like Owncast's ffmpeg command line.
    X264,
    /// NVIDIA's hardware encoder (`h264_nvenc`).
    Nvenc,
}

impl EncoderKind {
    /// NVENC when libavcodec has `h264_nvenc` *and* it can open and encode a
    /// tiny frame here (a driver and a GPU are present); else x264. Probed
    /// once per process.
    pub fn detect() -> Self {
        static DETECTED: std::sync::OnceLock<EncoderKind> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            // No GPU is the common case, not an error worth FFmpeg's log.
            let probed = crate::init_ffmpeg()
                .map_err(|source| LadderError::Ffmpeg { during: "initialising FFmpeg", source })
                .and_then(|()| {
                    ffmpeg_next::log::set_level(ffmpeg_next::log::Level::Quiet);
                    let probed = probe_nvenc();
                    ffmpeg_next::log::set_level(crate::FFMPEG_LOG_LEVEL);
                    probed
                });
            match probed {
                Ok(()) => {
                    tracing::info!("h264_nvenc works here: the ladder encodes on the GPU");
                    EncoderKind::Nvenc
                }
                Err(error) => {
                    tracing::info!(%error, "h264_nvenc unusable: the ladder encodes with x264");
                    EncoderKind::X264
                }
            }
        })
    }

    fn codec_name(self) -> &'static str {
        match self {
            EncoderKind::X264 => "libx264",
            EncoderKind::Nvenc => "h264_nvenc",
        }
    }
}

/// What one rung's encoder is asked for.
pub(super) struct EncoderSettings {
    pub width: u32,
    pub height: u32,
    /// Target video bitrate, bits/s.
    pub bitrate: u32,
    pub fps: Rational,
    /// Longest GOP; IDRs are forced at segment starts well before this.
    pub gop: u32,
    /// x264 threads for this rung; the rungs already run in parallel.
    pub threads: usize,
}

/// Opens `kind` for `settings`: time base 1/90000, SPS/PPS as extradata
/// (global header), no B-frames, IDR when a frame comes marked as I.
pub(super) fn open(kind: EncoderKind, settings: &EncoderSettings) -> Result<encoder::Video, LadderError> {
    let codec = encoder::find_by_name(kind.codec_name()).ok_or(LadderError::EncoderMissing(kind.codec_name()))?;
    let mut video = codec::Context::new_with_codec(codec)
        .encoder()
        .video()
        .map_err(|source| LadderError::Ffmpeg { during: "creating the encoder", source })?;
    video.set_width(settings.width);
    video.set_height(settings.height);
    video.set_format(Pixel::YUV420P);
    video.set_time_base(Rational::new(1, crate::track::VIDEO_TIMESCALE as i32));
    // x264 sizes frames for VBV from the frame rate, not from the timestamps.
    video.set_frame_rate(Some(settings.fps));
    video.set_gop(settings.gop);
    video.set_max_b_frames(0);
    video.set_bit_rate(settings.bitrate as usize);
    video.set_max_bit_rate(settings.bitrate as usize * 106 / 100);
    video.set_flags(codec::Flags::GLOBAL_HEADER);
    video.set_threading(codec::threading::Config {
        kind: codec::threading::Type::Frame,
        count: settings.threads,
        ..Default::default()
    });

    let bufsize = (u64::from(settings.bitrate) * 12 / 10).to_string();
    let mut options = Dictionary::new();
    options.set("bufsize", &bufsize);
    options.set("forced-idr", "1");
    match kind {
        EncoderKind::X264 => {
            options.set("preset", "veryfast");
            options.set("tune", "zerolatency");
            options.set("x264-params", "scenecut=0:open_gop=0");
        }
        EncoderKind::Nvenc => {
            options.set("preset", "p1");
            options.set("tune", "ll");
            options.set("zerolatency", "1");
            options.set("no-scenecut", "1");
        }
    }
    open_strict(video, options)
}

/// `avcodec_open2`, failing on any option the encoder did not take (a typo
/// would otherwise be dropped silently and change the stream).
fn open_strict(mut video: encoder::video::Video, options: Dictionary) -> Result<encoder::Video, LadderError> {
    // Safety: `disown` hands over the dictionary pointer (possibly null); it is
    // taken back with `Dictionary::own` below, which frees it once.
    let mut raw_options = unsafe { options.disown() };
    // Safety: the context was allocated with its codec by `new_with_codec` and
    // is not open yet; a null codec makes avcodec_open2 use that one.
    // `raw_options` is a valid dictionary pointer it may replace.
    let ret = unsafe { ffmpeg_next::ffi::avcodec_open2(video.as_mut_ptr(), ptr::null(), &mut raw_options) };
    // Safety: what avcodec_open2 left in `raw_options` is ours to free.
    let unused = unsafe { Dictionary::own(raw_options) };
    if ret < 0 {
        return Err(LadderError::Ffmpeg { during: "opening the encoder", source: Error::from(ret) });
    }
    if let Some((name, _)) = unused.iter().next() {
        return Err(LadderError::EncoderOption(name.to_owned()));
    }
    Ok(encoder::video::Encoder(video))
}

/// Opens NVENC on a small frame and encodes it.
fn probe_nvenc() -> Result<(), LadderError> {
    let settings =
        EncoderSettings { width: 256, height: 144, bitrate: 200_000, fps: Rational::new(30, 1), gop: 30, threads: 0 };
    let mut encoder = open(EncoderKind::Nvenc, &settings)?;
    let mut frame = frame::Video::new(Pixel::YUV420P, settings.width, settings.height);
    for plane in 0..frame.planes() {
        frame.data_mut(plane).fill(128);
    }
    frame.set_pts(Some(0));
    frame.set_kind(picture::Type::I);
    let during = "probing h264_nvenc";
    encoder.send_frame(&frame).map_err(|source| LadderError::Ffmpeg { during, source })?;
    encoder.send_eof().map_err(|source| LadderError::Ffmpeg { during, source })?;
    let mut packet = Packet::empty();
    encoder.receive_packet(&mut packet).map_err(|source| LadderError::Ffmpeg { during, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_open_strict_refuses_an_option_the_encoder_does_not_take() {
        ffmpeg_next::init().expect("ffmpeg init");
        let codec = encoder::find_by_name("libx264").expect("libx264");
        let mut video = codec::Context::new_with_codec(codec).encoder().video().expect("context");
        video.set_width(64);
        video.set_height(64);
        video.set_format(Pixel::YUV420P);
        video.set_time_base(Rational::new(1, 90_000));
        let mut options = Dictionary::new();
        options.set("preset", "veryfast");
        options.set("no-such-option", "1");
        let result = open_strict(video, options);
        assert!(matches!(result, Err(LadderError::EncoderOption(name)) if name == "no-such-option"));
    }
}
