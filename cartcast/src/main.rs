//! `cartcast`: parse the command line, run it, and turn a failure into one
//! line on stderr and an exit code (see [`cli`]).
//!
//! # Layout
//! - [`cli`]: the command line, `token`, and which role or tool each
//!   subcommand starts.
//! - [`analyst`]: `replay`, the analyst's filtered export.
//! - [`auditor`]: `audit order ID` and `audit check`.
//! - [`rebuild`]: `projections rebuild`, read models rebuilt without downtime.
//! - [`progress`]: the progress bar these draw on a terminal.
//! - [`up`]: the embedded shape, every role in one process.
//! - [`api`], [`worker`], [`projector`], [`media`]: the distributed roles,
//!   one file each.
//! - [`show_directory`]: the media worker's links to the rest — stream keys,
//!   show lifecycle commands, and the show events it acts on.
//! - [`process`]: what every role shares: connecting to its shape's
//!   services, serving HTTP, and stopping cleanly on SIGTERM/SIGINT.

mod analyst;
mod api;
mod auditor;
mod cli;
mod media;
mod process;
mod progress;
mod projector;
mod rebuild;
mod show_directory;
mod up;
mod worker;

use std::process::ExitCode;

use clap::Parser;

use cli::Cli;

/// mimalloc: the command path allocates small buffers on one thread and frees
/// them on another, where it costs a fraction of glibc's malloc. A heap
/// profile build keeps the system allocator, which heaptrack can follow.
#[cfg(not(feature = "heap-profile"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let (code, line) = cli::report(&error);
            eprintln!("{line}");
            ExitCode::from(code)
        }
    }
}
