//! Who a user follows: one aggregate per user holding the channels they
//! follow, so a follow is counted once however often it is repeated, and a
//! user's follows are decided in order; it also records how far the user
//! has read their notifications. Follower counts and notifications are read
//! models built from these events.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{FollowError, Follows, FollowsCommand, FollowsEvent};
