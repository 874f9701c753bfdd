//! A live show: scheduled → live → ended, the products it sells and the one
//! currently pinned on screen.

mod aggregate;
mod commands;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{CLIP_SECONDS, Show, ShowError, ShowStatus};
pub use commands::ShowCommand;
pub use events::ShowEvent;
