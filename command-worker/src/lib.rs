//! The command worker: the single writer of a partition. It pulls commands
//! from the command log in batches, decides them against aggregates kept hot
//! in memory, commits each batch's events with a `command_log` row per
//! command, puts them on the event feed, then answers. It knows nothing of
//! HTTP: an answer is a domain [`Outcome`](cartcast_infra::outcome::Outcome),
//! and the API decides what status and body it becomes.
//!
//! # Layout
//! - `partition`: [`PartitionWorker`], one partition's loop — outbox
//!   catch-up, then decide → commit → publish → answer per batch.
//! - `decide`: what each command does to its aggregates and the outcome it
//!   gets, one file per aggregate family (products, checkout, shows, channels,
//!   moderation, polls).
//! - `hot`: aggregates kept in memory, loaded from the store on first use.
//! - `outbox`: committed batches not yet on the feed.
//! - `timers`: hold deadlines and poll ends, so expiries need no scan.

mod decide;
mod hot;
mod outbox;
mod partition;
mod timers;

pub use partition::{PartitionWorker, WorkerDeps, WorkerError};
