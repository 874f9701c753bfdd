//! LL-HLS: tracks cut into parts, renditions and their media playlists, the master playlist, the per-show store.

pub mod master;
pub mod packager;
pub mod playlist;
pub mod rendition;
pub mod show;
