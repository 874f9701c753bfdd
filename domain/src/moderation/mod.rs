//! A channel's chat moderation: who moderates, who is banned or timed out,
//! the banned words, each show's slow mode, deleted and highlighted
//! messages. One aggregate per channel (keyed by the channel's id, its
//! creator's user id): the channel's owner appoints moderators, and owner
//! and moderators act. Every action is an event; gateways enforce the
//! resulting rules on the live sockets.

mod aggregate;
mod commands;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{MAX_SLOW_MODE_S, Moderation, ModerationError};
pub use commands::{ModerationAction, ModerationCommand};
pub use events::ModerationEvent;
