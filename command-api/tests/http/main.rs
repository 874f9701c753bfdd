//! The HTTP edge, driven through the router: refusals, command envelopes and
//! reads. One test binary (zero2prod's `tests/api/main.rs`).

mod commands;
mod helpers;
mod reads;
mod rejections;
