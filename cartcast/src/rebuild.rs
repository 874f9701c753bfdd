//! `cartcast projections rebuild NAME|all`: replay a projection from the
//! start of the deployment's feed into a shadow copy while the live one
//! keeps serving, then swap it in (see `cartcast_projections::rebuild`).
//! Embedded: the data dir's files, beside a running `cartcast up`;
//! distributed: PostgreSQL and the JetStream `EVENTS` feed.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::MultiProgress;

use cartcast_infra::bus::EventFeed;
use cartcast_infra::bus::inprocess::StoreFeed;
use cartcast_infra::config::Settings;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_projections::ReadModels;
use cartcast_projections::rebuild::rebuild;
use cartcast_projections::runner::Projection;

use crate::process::Distributed;
use crate::progress;

#[derive(Debug, Args)]
pub struct ProjectionsArgs {
    #[command(subcommand)]
    what: ProjectionsCommand,
    /// Else CARTCAST_POSTGRES_URL; without either, the data dir's embedded deployment.
    #[arg(long, global = true)]
    postgres_url: Option<String>,
    /// Else CARTCAST_NATS_URL (distributed shape: where the `EVENTS` feed is).
    #[arg(long, global = true)]
    nats_url: Option<String>,
    #[arg(long, global = true, default_value = "./cartcast-data")]
    data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ProjectionsCommand {
    /// Replay into a shadow copy while the live one serves, then swap it in.
    Rebuild {
        /// `catalog`, `notifications`, `dashboard` or `all`.
        name: String,
    },
}

pub async fn projections(args: ProjectionsArgs, settings: Settings) -> anyhow::Result<()> {
    let ProjectionsCommand::Rebuild { name } = &args.what;
    let chosen = match name.as_str() {
        "all" => Projection::ALL.to_vec(),
        _ => {
            let known = || Projection::ALL.map(Projection::name).join(", ");
            vec![Projection::named(name).with_context(|| format!("no projection {name} ({}, or all)", known()))?]
        }
    };
    let (live, url, feed) = open(args, settings).await?;
    // Each into its own shadow at once: one replay alone leaves a core idle
    // (it waits on its writes); on SQLite their swaps take turns.
    let bars = progress::group();
    let mut rebuilds = tokio::task::JoinSet::new();
    for projection in chosen {
        rebuilds.spawn(rebuild_one(projection, live.clone(), url.clone(), feed.clone(), bars.clone()));
    }
    while let Some(rebuilt) = rebuilds.join_next().await {
        rebuilt.context("a rebuild stopped")??;
    }
    Ok(())
}

/// Rebuild `projection` with its own bar in `bars`, and say where it was swapped in.
async fn rebuild_one(
    projection: Projection,
    live: ReadModels,
    url: String,
    feed: Arc<dyn EventFeed>,
    bars: MultiProgress,
) -> anyhow::Result<()> {
    let name = projection.name();
    let bar = bars.add(progress::positions(live.checkpoint(name).await?, &format!("{name} into its shadow")));
    let rebuilt = rebuild(projection, &live, &url, feed, &mut |at, target| {
        bar.set_length(target);
        bar.set_position(at);
    })
    .await
    .with_context(|| format!("rebuilding {name}"))?;
    bar.finish_and_clear();
    bars.suspend(|| {
        eprintln!(
            "projections: {name} rebuilt from {} events and swapped in at position {}",
            rebuilt.events, rebuilt.position
        );
    });
    Ok(())
}

/// The live read models, their URL and the feed their projector reads.
async fn open(args: ProjectionsArgs, settings: Settings) -> anyhow::Result<(ReadModels, String, Arc<dyn EventFeed>)> {
    if let Some(postgres_url) = args.postgres_url.or(settings.postgres_url.clone()) {
        let options = Distributed {
            postgres_url,
            nats_url: (args.nats_url.or(settings.nats_url.clone()))
                .context("--nats-url (or CARTCAST_NATS_URL) is required beside PostgreSQL")?,
            settings,
            http: None,
            data_dir: None,
            rtmp: None,
        };
        let feed: Arc<dyn EventFeed> = Arc::new(options.jetstream().await?);
        return Ok((options.read_models().await?, options.postgres_url, feed));
    }
    let events = args.data_dir.join("events.sqlite");
    let read_models = args.data_dir.join("read-models.sqlite");
    anyhow::ensure!(
        events.exists() && read_models.exists(),
        "no embedded deployment in {} (pass --data-dir or --postgres-url)",
        args.data_dir.display()
    );
    let store = SqliteStore::open(&events).await.with_context(|| format!("opening {}", events.display()))?;
    let url = format!("sqlite://{}", read_models.display());
    let live = ReadModels::connect(&url).await.with_context(|| format!("opening {}", read_models.display()))?;
    Ok((live, url, Arc::new(StoreFeed::new(Arc::new(store)))))
}
