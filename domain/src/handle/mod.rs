//! A handle (`/channels/{handle}`) and the channel that holds it: one
//! aggregate per lower-cased handle, so two channels asking for the same
//! handle are decided against one stream and only one gets it. A channel
//! that takes a new handle lets its old one go.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{Handle, HandleCommand, HandleError, HandleEvent};
