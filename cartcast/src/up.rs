//! `cartcast up`, the embedded shape: a SQLite event store, the in-process
//! bus, every partition's worker, the projector, the media worker and the
//! API in one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tracing::error;

use cartcast_command_api::auth::{Signer, load_secret};
use cartcast_command_api::reminders;
use cartcast_command_api::seed::ReadModelSeed;
use cartcast_command_api::startup::router;
use cartcast_command_api::state::AppState;
use cartcast_command_api::telemetry::metrics_handle;
use cartcast_command_worker::{PartitionWorker, WorkerDeps};
use cartcast_infra::accounts::Accounts;
use cartcast_infra::bus::inprocess::{InProcessBus, StoreFeed};
use cartcast_infra::bus::{CommandBus, EventFeed};
use cartcast_infra::config::Settings;
use cartcast_infra::payment::{PaymentGateway, TestGateway};
use cartcast_infra::store::EventStore;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_media::ingest::rtmp;
use cartcast_projections::ReadModels;
use cartcast_projections::runner::{Projection, ProjectionRunner};
use cartcast_realtime::gateway::{Gateway, Upstream};
use cartcast_realtime::inbox::Inbox;
use cartcast_realtime::relay::local::LocalRelay;

use crate::media::start_media;
use crate::process::{StopSignal, Work, serve};
use crate::show_directory::BusShowDirectory;

/// Options of `cartcast up`.
#[derive(Debug, Clone)]
pub struct Up {
    pub settings: Settings,
    pub data_dir: PathBuf,
    pub http: SocketAddr,
    pub rtmp: SocketAddr,
}

/// Run everything until SIGTERM/SIGINT, then commit what was accepted and stop.
pub async fn run(options: Up) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let Up { settings, data_dir, http, rtmp } = options;
    std::fs::create_dir_all(&data_dir).with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let signer = Arc::new(Signer::new(&load_secret(settings.secret.as_ref(), Some(&data_dir))?));
    let events_path = data_dir.join("events.sqlite");
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(&events_path).await.context("opening the event store")?);
    let store_feed = Arc::new(StoreFeed::new(store.clone()));
    let feed: Arc<dyn EventFeed> = store_feed.clone();
    let read_models = ReadModels::connect(&format!("sqlite://{}", data_dir.join("read-models.sqlite").display()))
        .await
        .context("opening the read models")?;
    let (bus, sources) = InProcessBus::new(settings.partitions);
    let gateway: Arc<dyn PaymentGateway> = Arc::new(
        TestGateway::open(&format!("sqlite://{}", events_path.display()), settings.payment_timeout)
            .await
            .context("opening the test payment gateway's ledger")?,
    );
    let deps = WorkerDeps { store: store.clone(), feed: feed.clone(), gateway, settings: settings.clone() };
    let accounts =
        Accounts::open(&format!("sqlite://{}", events_path.display())).await.context("opening the accounts")?;

    let work = Work::default();
    for (partition, source) in sources.into_iter().enumerate() {
        let worker = PartitionWorker::new(partition as u32, deps.clone());
        let stop = work.stop.clone();
        work.tasks.spawn(async move {
            if let Err(e) = worker.run(Box::new(source), stop).await {
                error!(partition, error = %e, "partition worker stopped");
            }
        });
    }
    for projection in Projection::ALL {
        work.tasks.spawn(ProjectionRunner::new(projection, read_models.clone(), feed.clone()).run(work.stop.clone()));
    }

    let bus: Arc<dyn CommandBus> = Arc::new(bus);
    let directory = BusShowDirectory::new(bus.clone(), read_models.clone(), settings.command_timeout);
    let relay = LocalRelay::open(&data_dir).context("opening the chat store")?;
    let seed = Arc::new(ReadModelSeed(read_models.clone()));
    let upstream = Upstream { relay: Arc::new(relay), bus: bus.clone(), live: store_feed, seed: seed.clone() };
    let gateway = Gateway::new(upstream, settings.command_timeout);
    let inbox = Inbox::new(seed);
    let (hls, rtmp_addr) = start_media(rtmp, &settings, &data_dir, directory, feed, &work).await?;
    let state = AppState {
        events: store,
        bus,
        read_models,
        signer,
        ingest_url: format!("rtmp://{rtmp_addr}/{}", rtmp::APP).into(),
        settings: Arc::new(settings),
        gateway,
        inbox,
        limits: Arc::default(),
        accounts,
        metrics: metrics_handle(),
    };
    work.tasks.spawn(reminders::sweep(state.clone(), work.stop.clone()));
    serve(http, router(state).merge(hls).merge(cartcast_web::router()), stop_signal).await?;
    work.drain().await;
    Ok(())
}
