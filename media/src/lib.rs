//! The media worker: RTMP ingest with stream-key checks, the ABR ladder,
//! CMAF packaging into LL-HLS renditions, DVR and VOD, served under `/hls`.

pub mod cmaf;
pub mod hls;
pub mod http;
pub mod hub;
pub mod ingest;
pub mod track;
