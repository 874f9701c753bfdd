//! A live show: scheduled → live → ended (or cancelled before it starts),
//! the products it sells, the one currently pinned on screen, and what
//! browsing finds it by (title, category, tags, language, schedule).

mod aggregate;
mod commands;
mod events;
mod listing;
#[cfg(test)]
mod tests;

pub use aggregate::{CLIP_SECONDS, Show, ShowError, ShowStatus};
pub use commands::ShowCommand;
pub use events::ShowEvent;
pub use listing::{CATEGORIES, Category, Listing};
