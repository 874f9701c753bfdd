//! The media worker: RTMP ingest with stream-key checks, the ABR ladder,
//! CMAF packaging into LL-HLS renditions, DVR and VOD, served under `/hls`.
//!
//! # Layout
//! - [`hub`]: the shows this worker serves, who may publish (through
//!   [`hub::ShowDirectory`]), one publisher per show, and when a show ends.
//! - [`ingest`]: media in. [`ingest::rtmp`] owns the listener and its
//!   connections, [`ingest::flv`] parses tag bodies, [`ingest::pipeline`] runs
//!   one publish session's media path, and [`ingest::health`] measures its
//!   stream health; a private `latency` module keeps the arrival times that
//!   ingest-to-part latency is measured against.
//! - [`ladder`]: the ABR ladder on FFmpeg: decode once, scale in a cascade,
//!   encode each rung with aligned IDRs.
//! - [`track`]: what flows between ingest, ladder and packager (codec setup
//!   and coded samples); [`h264`]: reading a sequence parameter set.
//! - [`cmaf`]: fragmented MP4 bytes, init segments and fragments.
//! - [`hls`]: LL-HLS. [`hls::packager`] cuts a track into parts,
//!   [`hls::rendition`] holds one rendition's segments, parts and DVR window,
//!   [`hls::playlist`] writes a rendition's media playlist, [`hls::master`]
//!   the master playlist, and [`hls::show`] one show's renditions, on disk
//!   and in memory.
//! - [`http`]: `GET /hls/…`, with blocking playlist reload.
//! - [`clip`]: the last N seconds of a show as one MP4; [`thumbnail`]: JPEG
//!   stills of the source.

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
