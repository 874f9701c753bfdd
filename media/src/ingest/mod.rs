//! Ingest: the RTMP listener, FLV tag parsing, and each publish session's
//! media pipeline.

pub mod flv;
pub mod pipeline;
pub mod rtmp;
