//! The media worker: RTMP ingest with stream-key checks, the ABR ladder,
//! CMAF packaging into LL-HLS renditions, DVR and VOD, served under `/hls`.

pub mod clip;
pub mod cmaf;
pub mod h264;
pub mod hls;
pub mod http;
pub mod hub;
pub mod ingest;
pub mod ladder;
pub mod thumbnail;
pub mod track;

/// Initialises FFmpeg (idempotent), keeping its own log to errors: the
/// worker's logs say what happened, and probing NVENC on a machine without
/// a GPU is not news.
pub(crate) fn init_ffmpeg() -> Result<(), ffmpeg_next::Error> {
    ffmpeg_next::init()?;
    ffmpeg_next::log::set_level(FFMPEG_LOG_LEVEL);
    Ok(())
}

/// What FFmpeg itself may log.
pub(crate) const FFMPEG_LOG_LEVEL: ffmpeg_next::log::Level = ffmpeg_next::log::Level::Error;
