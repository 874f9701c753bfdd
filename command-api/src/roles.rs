//! The process roles: `cartcast up` (embedded, everything in one process) and
//! the distributed roles `api`, `worker`, `projector`, `media`. Each wires the adapters
//! of its shape behind the same traits and runs until SIGTERM/SIGINT, then
//! stops taking work, commits what it accepted and exits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use cartcast_infra::bus::CommandBus;
use cartcast_infra::bus::inprocess::{InProcessBus, StoreFeed};
use cartcast_infra::bus::jetstream::{BusNames, JetStreamBus, PgAdvisoryLeases};
use cartcast_infra::bus::{EventFeed, PartitionLeases};
use cartcast_infra::config::Settings;
use cartcast_infra::payment::{PaymentGateway, TestGateway};
use cartcast_infra::store::EventStore;
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_media::http::hls_router;
use cartcast_media::hub::{MediaConfig, MediaHub};
use cartcast_media::ingest::rtmp;
use cartcast_projections::ReadModels;
use cartcast_projections::runner::ProjectionRunner;

use crate::auth::{Signer, load_secret};
use crate::media::{BusShowDirectory, follow_shows};
use crate::startup::{Application, router};
use crate::state::AppState;
use crate::telemetry::metrics_handle;
use crate::worker::{PartitionWorker, WorkerDeps};

/// Options of `cartcast up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub data_dir: PathBuf,
    pub http: SocketAddr,
    pub rtmp: SocketAddr,
}

/// Options shared by the distributed roles.
#[derive(Debug, Clone)]
pub struct DistributedOptions {
    pub postgres_url: String,
    pub nats_url: String,
    /// The API's listener; for `worker` and `projector`, an optional
    /// operations listener (`/healthz`, `/metrics`).
    pub http: Option<SocketAddr>,
    /// Where the token secret comes from when `CARTCAST_SECRET` is unset;
    /// for `media`, where shows' media are kept (default `./cartcast-data`).
    pub data_dir: Option<PathBuf>,
    /// `media`: the RTMP listener (default 127.0.0.1:1935).
    pub rtmp: Option<SocketAddr>,
}

/// Where `cartcast api` listens unless told otherwise.
const DEFAULT_API_HTTP: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// How long background work may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(4);

/// Where `cartcast media` takes RTMP unless told otherwise.
const DEFAULT_RTMP: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 1935);

/// The embedded shape: SQLite store, in-process bus, every partition's
/// worker, the projection, the media worker and the API in this process.
pub async fn up(options: UpOptions) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let settings = Settings::from_env()?;
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating data dir {}", options.data_dir.display()))?;
    let signer = Arc::new(Signer::new(&load_secret(Some(&options.data_dir))?));
    let events_path = options.data_dir.join("events.sqlite");
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(&events_path).await.context("opening the event store")?);
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::new(store.clone()));
    let read_models =
        ReadModels::connect(&format!("sqlite://{}", options.data_dir.join("read-models.sqlite").display()))
            .await
            .context("opening the read models")?;
    let (bus, sources) = InProcessBus::new(settings.partitions);
    let gateway: Arc<dyn PaymentGateway> = Arc::new(
        TestGateway::open(&format!("sqlite://{}", events_path.display()), settings.payment_timeout)
            .await
            .context("opening the test payment gateway's ledger")?,
    );
    let deps = WorkerDeps { store, feed: feed.clone(), gateway, settings: settings.clone() };

    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    for (partition, source) in sources.into_iter().enumerate() {
        let worker = PartitionWorker::new(partition as u32, deps.clone());
        let stop = stop.clone();
        tasks.spawn(async move {
            if let Err(e) = worker.run(Box::new(source), stop).await {
                error!(partition, error = %e, "partition worker stopped");
            }
        });
    }
    tasks.spawn(ProjectionRunner::new(read_models.clone(), feed.clone()).run(stop.clone()));

    let bus: Arc<dyn CommandBus> = Arc::new(bus);
    let media = MediaConfig::new(
        options.data_dir.join("media"),
        settings.media_end_grace,
        settings.ladder_watchers,
        settings.dvr_window,
    );
    let directory = BusShowDirectory::new(bus.clone(), read_models.clone(), settings.command_timeout);
    let (hls, rtmp_addr) = start_media(options.rtmp, media, directory, feed.clone(), &stop, &tasks).await?;
    let state = AppState {
        bus,
        read_models,
        signer,
        settings,
        ingest_url: format!("rtmp://{rtmp_addr}/{}", rtmp::APP),
        presence: Arc::default(),
        metrics: metrics_handle(),
    };
    serve(options.http, router(state).merge(hls), stop_signal).await?;
    drain(stop, tasks).await;
    Ok(())
}

/// The API role: commands to JetStream `CMD`, reads from the Postgres read models.
pub async fn api(options: DistributedOptions) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let settings = Settings::from_env()?;
    let signer = Arc::new(Signer::new(&load_secret(options.data_dir.as_deref())?));
    postgres(&options).await?;
    let bus = JetStreamBus::connect(&options.nats_url, bus_names(), settings.partitions)
        .await
        .with_context(|| format!("connecting to NATS at {}", options.nats_url))?;
    let read_models = ReadModels::connect(&options.postgres_url).await.context("connecting to the read models")?;
    let state = AppState {
        bus: Arc::new(bus),
        read_models,
        signer,
        settings,
        ingest_url: std::env::var("CARTCAST_INGEST_URL").unwrap_or_else(|_| "rtmp://127.0.0.1:1935/live".to_owned()),
        presence: Arc::default(),
        metrics: metrics_handle(),
    };
    serve(options.http.unwrap_or(DEFAULT_API_HTTP), router(state), stop_signal).await
}

/// The media role: RTMP ingest and `/hls`, with stream keys from the Postgres
/// read models and show lifecycle commands over JetStream.
pub async fn media(options: DistributedOptions) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let settings = Settings::from_env()?;
    postgres(&options).await?;
    let jetstream = Arc::new(
        JetStreamBus::connect(&options.nats_url, bus_names(), settings.partitions)
            .await
            .with_context(|| format!("connecting to NATS at {}", options.nats_url))?,
    );
    let read_models = ReadModels::connect(&options.postgres_url).await.context("connecting to the read models")?;
    let data_dir = options.data_dir.clone().unwrap_or_else(|| PathBuf::from("./cartcast-data"));
    let media = MediaConfig::new(
        data_dir.join("media"),
        settings.media_end_grace,
        settings.ladder_watchers,
        settings.dvr_window,
    );
    let directory = BusShowDirectory::new(jetstream.clone(), read_models, settings.command_timeout);
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let rtmp_addr = options.rtmp.unwrap_or(DEFAULT_RTMP);
    let (hls, _) = start_media(rtmp_addr, media, directory, jetstream, &stop, &tasks).await?;
    let ops = crate::startup::ops_router(metrics_handle(), tasks.clone());
    serve(options.http.unwrap_or(DEFAULT_API_HTTP), ops.merge(hls), stop_signal).await?;
    drain(stop, tasks).await;
    Ok(())
}

/// Binds the RTMP listener and starts taking publishers; returns the `/hls`
/// routes and the bound address.
async fn start_media(
    rtmp_addr: SocketAddr,
    config: MediaConfig,
    directory: BusShowDirectory,
    feed: Arc<dyn EventFeed>,
    stop: &CancellationToken,
    tasks: &TaskTracker,
) -> anyhow::Result<(Router, SocketAddr)> {
    std::fs::create_dir_all(&config.dir).with_context(|| format!("creating media dir {}", config.dir.display()))?;
    let listener =
        tokio::net::TcpListener::bind(rtmp_addr).await.with_context(|| format!("binding rtmp {rtmp_addr}"))?;
    let bound = listener.local_addr()?;
    println!("listening rtmp://{bound}");
    let hub = MediaHub::new(config, Arc::new(directory));
    hub.recover();
    tasks.spawn(rtmp::serve(listener, hub.clone(), stop.clone()));
    tasks.spawn(follow_shows(feed, hub.clone(), stop.clone()));
    Ok((hls_router(hub), bound))
}

/// The worker role: competes for every partition's lease and runs the
/// single writer of each partition it wins, until its lease is lost.
pub async fn worker(options: DistributedOptions) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let settings = Settings::from_env()?;
    let store: Arc<dyn EventStore> = Arc::new(postgres(&options).await?);
    let bus = Arc::new(
        JetStreamBus::connect(&options.nats_url, bus_names(), settings.partitions)
            .await
            .with_context(|| format!("connecting to NATS at {}", options.nats_url))?,
    );
    let leases = Arc::new(PgAdvisoryLeases::new(&options.postgres_url, &lease_namespace())?);
    let gateway: Arc<dyn PaymentGateway> = Arc::new(
        TestGateway::open(&options.postgres_url, settings.payment_timeout)
            .await
            .context("opening the test payment gateway's ledger")?,
    );
    let deps = WorkerDeps { store, feed: bus.clone(), gateway, settings: settings.clone() };

    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    for partition in 0..settings.partitions {
        tasks.spawn(own_partition(partition, bus.clone(), leases.clone(), deps.clone(), stop.clone()));
    }
    info!(partitions = settings.partitions, "worker competing for partitions");
    serve_ops(options.http, stop_signal, &tasks).await?;
    drain(stop, tasks).await;
    Ok(())
}

/// Acquire `partition`, run its worker while the lease holds, and start over
/// when it is lost — until `stop`.
async fn own_partition(
    partition: u32,
    bus: Arc<JetStreamBus>,
    leases: Arc<PgAdvisoryLeases>,
    deps: WorkerDeps,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let acquired = tokio::select! {
            () = stop.cancelled() => return,
            lease = leases.acquire(partition) => lease,
        };
        let mut lease = match acquired {
            Ok(lease) => lease,
            Err(e) => {
                warn!(partition, error = %e, "lease not acquired; retrying");
                pause(&stop).await;
                continue;
            }
        };
        let source = match bus.source(partition).await {
            Ok(source) => source,
            Err(e) => {
                warn!(partition, error = %e, "command log not reachable; retrying");
                pause(&stop).await;
                continue;
            }
        };
        let owned = stop.child_token();
        let mut run = pin!(PartitionWorker::new(partition, deps.clone()).run(Box::new(source), owned.clone()));
        let result = tokio::select! {
            result = &mut run => result,
            () = lease.lost() => {
                warn!(partition, "partition lease lost; finishing the current batch");
                owned.cancel();
                run.await
            }
        };
        if let Err(e) = result {
            warn!(partition, error = %e, "partition worker stopped; re-acquiring");
            pause(&stop).await;
        }
    }
}

/// The projector role: keeps the Postgres read models up to date from `EVENTS`.
pub async fn projector(options: DistributedOptions) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let settings = Settings::from_env()?;
    postgres(&options).await?;
    let feed: Arc<dyn EventFeed> = Arc::new(
        JetStreamBus::connect(&options.nats_url, bus_names(), settings.partitions)
            .await
            .with_context(|| format!("connecting to NATS at {}", options.nats_url))?,
    );
    let read_models = ReadModels::connect(&options.postgres_url).await.context("connecting to the read models")?;
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn(ProjectionRunner::new(read_models, feed).run(stop.clone()));
    serve_ops(options.http, stop_signal, &tasks).await?;
    drain(stop, tasks).await;
    Ok(())
}

/// Connect to PostgreSQL, creating or upgrading the schema.
async fn postgres(options: &DistributedOptions) -> anyhow::Result<PostgresStore> {
    PostgresStore::connect(&options.postgres_url).await.context("connecting to PostgreSQL (and migrating its schema)")
}

/// Stream and subject names; `CARTCAST_NATS_PREFIX` isolates a deployment
/// (tests run many on one NATS server).
fn bus_names() -> BusNames {
    match std::env::var("CARTCAST_NATS_PREFIX") {
        Ok(prefix) if !prefix.is_empty() => BusNames::prefixed(prefix),
        _ => BusNames::default(),
    }
}

fn lease_namespace() -> String {
    std::env::var("CARTCAST_NATS_PREFIX").unwrap_or_else(|_| "cartcast".to_owned())
}

/// Serve `router` until SIGTERM/SIGINT; in-flight requests finish first.
async fn serve(http: SocketAddr, router: Router, stop_signal: StopSignal) -> anyhow::Result<()> {
    let app = Application::build(http, router).await.with_context(|| format!("binding http {http}"))?;
    println!("listening http://{}", app.local_addr());
    app.run_until_stopped(stop_signal.received()).await.context("serving http")?;
    Ok(())
}

/// Until the stop signal, serve `/healthz` and `/metrics` on `http` if given.
/// Healthy means the role's background work is still running.
async fn serve_ops(http: Option<SocketAddr>, stop_signal: StopSignal, tasks: &TaskTracker) -> anyhow::Result<()> {
    let Some(http) = http else {
        stop_signal.received().await;
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(http).await.with_context(|| format!("binding http {http}"))?;
    println!("listening http://{}", listener.local_addr()?);
    let router = crate::startup::ops_router(metrics_handle(), tasks.clone());
    axum::serve(listener, router).with_graceful_shutdown(stop_signal.received()).await.context("serving http")?;
    Ok(())
}

/// Tell background work to stop and wait (bounded) for it to commit and exit.
async fn drain(stop: CancellationToken, tasks: TaskTracker) {
    stop.cancel();
    tasks.close();
    if tokio::time::timeout(DRAIN, tasks.wait()).await.is_err() {
        warn!("background work did not finish within {DRAIN:?}");
    }
}

async fn pause(stop: &CancellationToken) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
}

/// SIGTERM and SIGINT, caught from the start of a role so a stop that comes
/// while it is still connecting is a clean stop too.
struct StopSignal {
    terminate: Signal,
    interrupt: Signal,
}

impl StopSignal {
    fn install() -> anyhow::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    async fn received(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => info!("SIGTERM: stopping"),
            _ = self.interrupt.recv() => info!("SIGINT: stopping"),
        }
    }
}
