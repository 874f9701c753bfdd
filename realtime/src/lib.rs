//! The realtime gateway: viewers' live sockets to a show. No FFmpeg, no
//! command worker: it reaches the rest of Cartcast through the command bus
//! and, across gateways, through its relay. The protocol is in
//! `realtime/PROTOCOL.md`.
//!
//! # Layout
//! - [`frames`]: every frame of the socket as a Rust type, and their JSON
//!   Schema for clients (`realtime/frames.schema.json`).
//! - [`gateway`]: this process's rooms, and the seat each socket holds.
//! - [`room`]: one show's room on this gateway: one relay subscription,
//!   batched fan-out to the local sockets; the show's events followed (pins,
//!   stock, polls) and a window's votes sent as one command; every report
//!   interval, the rules read again, reactions recorded, the audience
//!   reported, summed and sampled.
//! - [`presence`]: who is watching: seats by session, other gateways'
//!   reports, the recorder of the summed audience.
//! - [`chat`]: what a message is and who may post how often.
//! - [`moderation`]: the channel's chat rules as a room enforces them.
//! - [`reactions`]: which reactions, how many a socket may send, and the
//!   room's tally: windows to the other gateways, records to the event feed.
//! - [`polls`]: the show's poll as sockets see it, and the votes they cast.
//! - [`products`]: the pinned product and the show's live stock.
//! - [`relay`]: how a room spans gateways and where chat is stored, one
//!   adapter per shape.
//! - [`uniques`]: unique viewers, a HyperLogLog every gateway can merge.
//! - [`inbox`]: a signed-in user's socket: their notifications pushed as
//!   they are written.
//! - [`socket`]: one upgraded socket's loop: greeting and batches out,
//!   heartbeats and chat in, bad input answered or closed with its code.

pub mod chat;
pub mod frames;
pub mod gateway;
pub mod inbox;
pub mod moderation;
pub mod polls;
pub mod presence;
pub mod products;
pub mod reactions;
pub mod relay;
pub mod room;
pub mod socket;
pub mod uniques;
