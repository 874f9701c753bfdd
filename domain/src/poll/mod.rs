//! A show's polls: its creator opens one (a question, 2–6 options, an
//! optional duration, whether votes may change), viewers vote through the
//! live sockets, and the creator, the poll's end or the show's end closes it
//! with its result. One aggregate per show (keyed by the show's id) holds
//! every poll of the show, so votes are ordered with the show, at most one
//! poll is open at a time, and each voter counts once per poll however many
//! gateways and reconnects their ballots come through.

mod aggregate;
mod commands;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{BallotRefusal, MAX_OPTIONS, Poll, PollError, Polls};
pub use commands::{Ballot, PollsCommand};
pub use events::{CloseReason, PollsEvent};
