//! Read models built from the event feed, and the queries screens use.
//!
//! # Layout
//! - [`read_models`]: the read-model database (SQLite or PostgreSQL through
//!   sqlx's Any driver — one code path for both shapes) and its queries:
//!   products with live stock, orders and their history, shows, channels.
//! - [`catalog`]: the projection that turns events into those rows.
//! - [`replay`]: the analyst export — every stored event in global order.
//! - [`audit`]: an order's full history rebuilt from the event store.
//! - [`sequences`]: the last applied sequence of each aggregate, so a view
//!   never moves backwards.
//! - [`runner`]: feeds a projection from the `EVENTS` feed, storing its
//!   position in the same transaction as its rows (exactly once), one
//!   [`runner::ProjectionRunner::try_process_next`] at a time.

pub mod audit;
pub mod catalog;
pub mod read_models;
pub mod replay;
pub mod runner;
pub mod sequences;

pub use read_models::{ClipView, HistoryEntry, OrderView, ProductView, ReadModels, ShowView, StockView};
