//! Adapters between Cartcast's pure domain and the outside world, one per
//! deployment shape behind each trait, plus the command envelope they carry.
//!
//! # Layout
//! - [`envelope`]: the command envelope (id, actor, correlation, time), the
//!   application commands it wraps, and their routing to partitions.
//! - [`dashboard`]: a show's creator dashboard, as the read side computes
//!   it and the API and the creator's socket carry it.
//! - [`outcome`]: what a command came to — a typed answer or a refusal —
//!   recorded with it, so every repeat gets the same.
//! - [`store`]: the [`store::EventStore`] trait — events and `command_log`
//!   rows committed in one transaction — with SQLite (embedded) and
//!   PostgreSQL (distributed, the `postgres-es` schema) adapters.
//! - [`bus`]: the command log ([`bus::CommandBus`] for callers,
//!   [`bus::CommandSource`] for partition owners), the ordered event feed
//!   ([`bus::EventFeed`]) and partition leases; in-process and JetStream adapters.
//! - [`payment`]: the [`payment::PaymentGateway`] trait and the built-in test gateway.
//! - [`config`]: typed settings for both shapes.
//! - [`accounts`]: sign-in accounts (username, argon2id hash, roles), kept
//!   beside the event store and out of the event log.

pub mod accounts;
pub mod bus;
pub mod config;
pub mod dashboard;
pub mod envelope;
pub mod outcome;
pub mod payment;
pub mod rate;
pub mod store;
