//! `cartcast replay`: the analyst's export of the event store in global
//! order, filtered, as JSON lines or Parquet, with a progress bar on a
//! terminal and, on stderr, where it stopped (so `--after` resumes there).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use cartcast_infra::config::Settings;
use cartcast_projections::replay::{self, Filter, Ndjson, Parquet, Sink};

use crate::cli::StoreArgs;
use crate::progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// One row per event, typed columns and the payload as JSON text.
    Parquet,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long, value_enum, default_value = "ndjson")]
    format: Format,
    /// Write here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only this event type (repeat for several): OrderPlaced, UnitsReserved, …
    #[arg(long = "type")]
    event_types: Vec<String>,
    /// Only events of this aggregate type: Product, Order, Show, LiveStats, Polls, Channel, …
    #[arg(long)]
    aggregate_type: Option<String>,
    /// Only events of the aggregate with this id.
    #[arg(long)]
    aggregate_id: Option<String>,
    /// Only what belongs to this show: its streams, its products and their orders.
    #[arg(long)]
    show: Option<String>,
    /// Occurred at or after (RFC 3339).
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    #[arg(long)]
    until: Option<DateTime<Utc>>,
    /// Start after this global position (0: from the beginning).
    #[arg(long, default_value_t = 0)]
    after: u64,
    /// Stop at this global position (inclusive).
    #[arg(long)]
    to: Option<u64>,
}

impl ReplayArgs {
    fn filter(&self) -> Filter {
        Filter {
            event_types: self.event_types.clone(),
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            show: self.show.clone(),
            since: self.since,
            until: self.until,
            after: self.after,
            to: self.to,
            limit: None,
        }
    }
}

/// Export, then say on stderr how many events were written and where to resume.
pub async fn replay(args: ReplayArgs, settings: &Settings) -> anyhow::Result<()> {
    let (store, _) = args.store.open(settings).await?;
    let filter = args.filter();
    let head = store.head().await.context("reading the store's last position")?;
    let end = filter.to.map_or(head, |to| to.min(head));
    let bar = progress::positions(end.saturating_sub(filter.after), "0 written");
    let out: Box<dyn Write + Send> = match &args.out {
        Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
        None => Box::new(std::io::stdout()),
    };
    let out = BufWriter::with_capacity(1 << 20, out);
    let mut sink: Box<dyn Sink + Send> = match args.format {
        Format::Ndjson => Box::new(Ndjson::new(out)),
        Format::Parquet => Box::new(Parquet::new(out).context("starting the Parquet file")?),
    };
    let stopped = replay::export(store.as_ref(), &filter, sink.as_mut(), &mut |at| {
        bar.set_position(at.position.saturating_sub(filter.after));
        bar.set_message(format!("{} written", at.written));
    })
    .await?;
    bar.finish_and_clear();
    eprintln!(
        "replay: {} events written; stopped at position {} (resume with --after {})",
        stopped.written, stopped.position, stopped.position
    );
    Ok(())
}
