//! `cartcast projector`: keeps the PostgreSQL read models up to date from the
//! `EVENTS` feed, every projection with its own checkpoint.

use std::sync::Arc;

use cartcast_infra::bus::EventFeed;
use cartcast_projections::runner::{Projection, ProjectionRunner};

use crate::process::{Distributed, StopSignal, Work, serve_ops};

pub async fn run(options: Distributed) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    options.postgres().await?;
    let feed: Arc<dyn EventFeed> = Arc::new(options.jetstream().await?);
    let read_models = options.read_models().await?;
    let work = Work::default();
    for projection in Projection::ALL {
        work.tasks.spawn(ProjectionRunner::new(projection, read_models.clone(), feed.clone()).run(work.stop.clone()));
    }
    serve_ops(options.http, stop_signal, &work).await?;
    work.drain().await;
    Ok(())
}
