//! The command and query HTTP API: routes, auth, extractors, the refusals
//! and answers clients get, and the OpenAPI document. Roles mount it with
//! the adapters of their shape (the `cartcast` binary crate).
//!
//! # Layout
//! - [`startup`]: [`startup::Application`] binds a listener (port 0 allowed)
//!   and serves the router until a shutdown future resolves.
//! - [`routes`]: one module per resource (products, reservations, orders,
//!   shows, chat, sessions), plus health, metrics and the OpenAPI document.
//! - [`command`]: the command path's edge — an authorized request becomes a
//!   `CommandEnvelope`, is dispatched on the bus, and its outcome is answered.
//! - [`auth`]: signed bearer tokens (HS256), the token secret, and the
//!   extractors that turn a token into an actor and check its role.
//! - [`extract`]: JSON bodies, `Idempotency-Key`, correlation ids and
//!   `?after=`, each refusing with a typed error.
//! - [`outcome`]: the one place a command's outcome becomes a status and a
//!   body — the same types the OpenAPI document describes.
//! - [`error`]: [`error::ApiError`], every refusal of the edge itself, and
//!   its status and code.
//! - [`state`]: [`state::AppState`], what handlers share.
//! - [`seed`]: what a live room starts from, read from the read models.
//! - [`reminders`]: the reminder sweep — sends `RemindFollowers` for
//!   scheduled shows about to start.
//! - [`limit`]: per-address budgets (429 + `Retry-After`) for what anyone may call.
//! - [`instrument`]: the per-request span and HTTP metrics middleware.
//! - [`telemetry`]: the tracing subscriber and the Prometheus recorder.

pub mod auth;
pub mod command;
pub mod error;
pub mod extract;
pub mod instrument;
pub mod limit;
pub mod outcome;
pub mod reminders;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
