//! What every role shares: connecting to its shape's services, serving HTTP
//! until SIGTERM/SIGINT, and then giving background work a bounded time to
//! commit what it accepted and stop.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use cartcast_command_api::startup::{Application, ops_router};
use cartcast_command_api::telemetry::metrics_handle;
use cartcast_infra::accounts::Accounts;
use cartcast_infra::bus::jetstream::{BusNames, JetStreamBus};
use cartcast_infra::config::Settings;
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_projections::ReadModels;
use cartcast_realtime::relay::nats::NatsRelay;

/// Where `cartcast api` and `cartcast media` serve HTTP unless told otherwise.
pub const DEFAULT_HTTP: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// How long background work may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(4);

/// What a distributed role is told: its services, and where it listens.
#[derive(Debug, Clone)]
pub struct Distributed {
    pub settings: Settings,
    pub postgres_url: String,
    pub nats_url: String,
    /// `api`, `media`: the HTTP listener; `worker`, `projector`: an optional
    /// operations listener (`/healthz`, `/metrics`).
    pub http: Option<SocketAddr>,
    /// Where the token secret comes from when `CARTCAST_SECRET` is unset;
    /// for `media`, where shows' media are kept (default `./cartcast-data`).
    pub data_dir: Option<PathBuf>,
    /// `media`: the RTMP listener (default 127.0.0.1:1935).
    pub rtmp: Option<SocketAddr>,
}

impl Distributed {
    /// The event store, creating or upgrading its schema.
    pub async fn postgres(&self) -> anyhow::Result<PostgresStore> {
        PostgresStore::connect(&self.postgres_url).await.context("connecting to PostgreSQL (and migrating its schema)")
    }

    /// The command log, event feed and bus of this deployment.
    pub async fn jetstream(&self) -> anyhow::Result<JetStreamBus> {
        JetStreamBus::connect(&self.nats_url, self.bus_names(), self.settings.partitions)
            .await
            .with_context(|| format!("connecting to NATS at {}", self.nats_url))
    }

    /// The live rooms' relay: NATS subjects per show, chat in JetStream `CHAT`.
    pub async fn relay(&self) -> anyhow::Result<NatsRelay> {
        NatsRelay::connect(&self.nats_url, self.bus_names())
            .await
            .with_context(|| format!("connecting the live rooms to NATS at {}", self.nats_url))
    }

    pub async fn read_models(&self) -> anyhow::Result<ReadModels> {
        ReadModels::connect(&self.postgres_url).await.context("connecting to the read models")
    }

    /// The sign-in accounts (their table is migrated with the event store's schema).
    pub async fn accounts(&self) -> anyhow::Result<Accounts> {
        Accounts::open(&self.postgres_url).await.context("connecting to the accounts")
    }

    /// Stream and subject names; a prefix isolates a deployment (tests run
    /// many on one NATS server).
    fn bus_names(&self) -> BusNames {
        match &self.settings.nats_prefix {
            Some(prefix) => BusNames::prefixed(prefix.clone()),
            None => BusNames::default(),
        }
    }

    /// The namespace of the partition leases: one per deployment, like the bus names.
    pub fn lease_namespace(&self) -> &str {
        self.settings.nats_prefix.as_deref().unwrap_or("cartcast")
    }
}

/// Background work of a role: stopped together, waited for together.
#[derive(Clone, Default)]
pub struct Work {
    pub stop: CancellationToken,
    pub tasks: TaskTracker,
}

impl Work {
    /// Tell background work to stop and wait (bounded) for it to commit and exit.
    pub async fn drain(self) {
        self.stop.cancel();
        self.tasks.close();
        if tokio::time::timeout(DRAIN, self.tasks.wait()).await.is_err() {
            warn!("background work did not finish within {DRAIN:?}");
        }
    }
}

/// Serve `router` until SIGTERM/SIGINT; in-flight requests finish first.
pub async fn serve(http: SocketAddr, router: Router, stop_signal: StopSignal) -> anyhow::Result<()> {
    let app = Application::build(http, router).await.with_context(|| format!("binding http {http}"))?;
    println!("listening http://{}", app.local_addr());
    app.run_until_stopped(stop_signal.received()).await.context("serving http")?;
    Ok(())
}

/// Until the stop signal, serve `/healthz` and `/metrics` on `http` if given.
/// Healthy means the role's background work is still running.
pub async fn serve_ops(http: Option<SocketAddr>, stop_signal: StopSignal, work: &Work) -> anyhow::Result<()> {
    match http {
        Some(http) => serve(http, ops_router(metrics_handle(), work.tasks.clone()), stop_signal).await,
        None => {
            stop_signal.received().await;
            Ok(())
        }
    }
}

/// Wait a second before retrying, unless `stop` comes first.
pub async fn pause(stop: &CancellationToken) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
}

/// SIGTERM and SIGINT, caught from the start of a role so a stop that comes
/// while it is still connecting is a clean stop too.
pub struct StopSignal {
    terminate: Signal,
    interrupt: Signal,
}

impl StopSignal {
    pub fn install() -> anyhow::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    pub async fn received(mut self) {
        tokio::select! {
            _ = self.terminate.recv() => info!("SIGTERM: stopping"),
            _ = self.interrupt.recv() => info!("SIGINT: stopping"),
        }
    }
}
