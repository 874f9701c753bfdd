//! `cartcast`: see [`cartcast_command_api::cli`].

use std::process::ExitCode;

use clap::Parser;

use cartcast_command_api::cli::{self, Cli};

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
