//! The progress bars of the offline commands (`replay`, `audit check`,
//! `projections rebuild`): the store's positions read, a rate and an ETA,
//! drawn on stderr only when it is a terminal, so piped output and logs
//! stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `len` positions; its message says what was done with them.
pub fn positions(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), stderr_if_terminal());
    let style = ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {human_pos}/{human_len} positions, {msg}, {per_sec}, ETA {eta}",
    )
    .expect("the template is well formed");
    bar.set_style(style);
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Bars drawn together, one per job running at once (`projections rebuild all`).
pub fn group() -> MultiProgress {
    MultiProgress::with_draw_target(stderr_if_terminal())
}

fn stderr_if_terminal() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() }
}
