//! The `cartcast` binary's library: the command and query HTTP API, auth,
//! and the process roles that wire each deployment shape.
//!
//! # Layout
//! - [`startup`]: [`startup::Application`] binds a listener (port 0 allowed)
//!   and serves the router until a shutdown future resolves.
//! - [`routes`]: one module per resource (products, reservations, orders,
//!   shows), plus health, metrics and the OpenAPI document.
//! - [`command`]: the command path's edge — an authorized request becomes a
//!   `CommandEnvelope`, is dispatched on the bus, and its outcome is answered.
//! - [`auth`]: signed bearer tokens (HS256), the token secret, and the
//!   extractors that turn a token into an actor and check its role.
//! - [`extract`]: JSON bodies, `Idempotency-Key`, correlation ids and
//!   `?after=`, each refusing with a typed error.
//! - [`error`]: [`error::ApiError`], every refusal and its status and code.
//! - [`state`]: [`state::AppState`], what handlers share.
//! - [`instrument`]: the per-request span and HTTP metrics middleware.
//! - [`telemetry`]: the tracing subscriber and the Prometheus recorder.
//! - [`cli`]: the `cartcast` command line; `main.rs` only calls it.
//! - [`roles`]: `up`, `api`, `worker`, `projector` — each shape's wiring.
//! - [`worker`]: the partition owner that decides commands.

pub mod auth;
pub mod cli;
pub mod command;
pub mod error;
pub mod extract;
pub mod instrument;
pub mod media;
pub mod presence;
pub mod roles;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod worker;
