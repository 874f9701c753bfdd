//! LL-HLS: cutting tracks into parts, each rendition's media playlist, the
//! master playlist, and the per-show store the HTTP layer reads from.

pub mod master;
pub mod packager;
pub mod rendition;
pub mod show;
