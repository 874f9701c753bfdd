//! Ingest: the RTMP listener, FLV tag parsing, each publish session's media pipeline and what it measures.

pub mod flv;
pub mod health;
mod latency;
pub mod pipeline;
pub mod rtmp;
