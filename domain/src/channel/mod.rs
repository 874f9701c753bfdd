//! A creator's channel: the RTMP stream key its shows are published with.
//! The key is a secret chosen by the worker (randomness is passed in) and can
//! be regenerated, which revokes the old one. Its public profile (handle,
//! name, description, avatar, links) is what browsing shows.

mod aggregate;
mod commands;
mod events;
mod profile;
#[cfg(test)]
mod tests;

pub use aggregate::{Channel, ChannelError};
pub use commands::ChannelCommand;
pub use events::ChannelEvent;
pub use profile::{Link, Profile, normalize_handle};
