//! A live show's samples: audience counts and stream-health reports, every
//! few seconds for as long as the show is live. They have a stream of their
//! own, beside the show's, so a show's history stays short: loading a show
//! to pin a product does not replay hours of counts.

mod aggregate;
mod commands;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::LiveStats;
pub use commands::LiveStatsCommand;
pub use events::{LiveStatsEvent, StreamHealth, stream_of};
