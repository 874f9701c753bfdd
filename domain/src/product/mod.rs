//! A product for sale, its stock and the holds (reservations) on it.
//!
//! Stock invariant, true after every event: `available + reserved + sold = total`.

mod aggregate;
mod commands;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{EndedHold, Hold, HoldEnd, Product, ProductError, Stock};
pub use commands::ProductCommand;
pub use events::ProductEvent;
