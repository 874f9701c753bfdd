//! An order: placed from a live reservation, then paid (captured → confirmed),
//! declined, or expired (the payment timed out or the hold ran out).
//! One payment capture per order, ever.

mod aggregate;
mod commands;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{Order, OrderError, OrderStatus};
pub use commands::{OrderCommand, PaymentResult};
pub use events::OrderEvent;
