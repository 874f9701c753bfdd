//! Read models built from the event feed, and the queries screens use.
//!
//! # Layout
//! - [`read_models`]: the read-model database (SQLite or PostgreSQL through
//!   sqlx's Any driver — one code path for both shapes): connecting, the
//!   projection checkpoints and waiting for them.
//! - [`views`]: the catalog projection, one file per view, each holding its
//!   rows, the update that turns events into them and the queries that read
//!   them: `products` (with live stock and reservations), `orders` (with their
//!   history), `shows` (with their clips and live stats) and `channels`;
//!   `views/mod.rs` only sends each event to its aggregate's view.
//! - [`notifications`]: the notifications projection (its own checkpoint):
//!   followers' notices fanned out from channels' show events.
//! - [`dashboard`]: the creator dashboard projection (its own checkpoint):
//!   each show's audience, activity and sales by the minute, and its
//!   products' sell-through.
//! - [`replay`]: the analyst export — stored events in global order,
//!   filtered, as JSON lines or Parquet, resumable.
//! - [`audit`]: an order's full history rebuilt from the event store, and
//!   the store-wide invariant check.
//! - [`rebuild`]: a projection replayed into a shadow copy while the live
//!   one serves, then swapped in.
//! - [`sequences`]: the last applied sequence of each aggregate, so a view
//!   never moves backwards.
//! - `bulk`: many rows in one statement, for what a step of a projection
//!   gathers (its `Page`) and writes once.
//! - [`runner`]: feeds a projection from the `EVENTS` feed, storing its
//!   position in the same transaction as its rows (exactly once), one
//!   [`runner::ProjectionRunner::try_process_next`] at a time.

pub mod audit;
mod bulk;
pub mod dashboard;
pub mod notifications;
pub mod read_models;
pub mod rebuild;
pub mod replay;
pub mod runner;
pub mod sequences;
pub mod views;

pub use read_models::ReadModels;
pub use views::{
    BanView, Browse, ChannelRules, ChannelView, ChatRulesView, ClipView, Found, Highlight, HistoryEntry, OrderView,
    PageEnd, PinView, PollView, ProductView, ShowChat, ShowPage, ShowView, Sort, SortKey, StockView, VideoPage,
    VideoView,
};
