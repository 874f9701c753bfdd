//! The realtime gateway: viewers' live sockets to a show. No FFmpeg, no
//! command worker: it reaches the rest of Cartcast through the command bus.
//! Today it carries presence (who is watching); chat, reactions and polls
//! are answered `not_available` until they move in. The protocol is in
//! `realtime/PROTOCOL.md`.
//!
//! # Layout
//! - [`frames`]: every frame of the socket as a Rust type, and their JSON
//!   Schema for clients (`realtime/frames.schema.json`).
//! - [`presence`]: who is watching, per show, from this process's sockets,
//!   and the reporter that records each show's audience.
//! - [`socket`]: one upgraded socket's loop: heartbeats in, `viewers` out,
//!   bad input answered or closed with its code, a socket closed when its
//!   token expires.

pub mod frames;
pub mod presence;
pub mod socket;
