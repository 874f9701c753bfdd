//! `cartcast api`: the HTTP API of the distributed shape — commands go to
//! JetStream `CMD`, reads come from the PostgreSQL read models — and
//! `cartcast gateway`: the same process serving only viewers' live sockets.

use std::sync::Arc;

use axum::Router;
use cartcast_command_api::auth::{Signer, load_secret};
use cartcast_command_api::reminders;
use cartcast_command_api::seed::ReadModelSeed;
use cartcast_command_api::startup::{gateway_router, router};
use cartcast_command_api::state::AppState;
use cartcast_command_api::telemetry::metrics_handle;
use cartcast_infra::bus::CommandBus;
use cartcast_realtime::gateway::{Gateway, Upstream};
use cartcast_realtime::inbox::Inbox;
use tokio_util::sync::CancellationToken;

use crate::process::{DEFAULT_HTTP, Distributed, StopSignal, serve};

/// Where creators point OBS unless `CARTCAST_INGEST_URL` says otherwise.
const DEFAULT_INGEST_URL: &str = "rtmp://127.0.0.1:1935/live";

/// Which routes the process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every API route, the live sockets among them.
    Api,
    /// Only the live sockets (and anonymous sessions, `/healthz`, `/metrics`).
    Gateway,
}

pub async fn run(options: Distributed, role: Role) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    let secret = load_secret(options.settings.secret.as_ref(), options.data_dir.as_deref())?;
    let events = Arc::new(options.postgres().await?);
    let jetstream = Arc::new(options.jetstream().await?);
    let bus: Arc<dyn CommandBus> = jetstream.clone();
    let read_models = options.read_models().await?;
    let seed = Arc::new(ReadModelSeed(read_models.clone()));
    let upstream =
        Upstream { relay: Arc::new(options.relay().await?), bus: bus.clone(), live: jetstream, seed: seed.clone() };
    let gateway = Gateway::new(upstream, options.settings.command_timeout);
    let inbox = Inbox::new(seed.clone());
    let accounts = options.accounts().await?;
    let ingest_url = options.settings.ingest_url.clone().unwrap_or_else(|| DEFAULT_INGEST_URL.to_owned());
    let state = AppState {
        events,
        bus,
        read_models,
        signer: Arc::new(Signer::new(&secret)),
        settings: Arc::new(options.settings),
        ingest_url: ingest_url.into(),
        gateway,
        inbox,
        limits: Arc::default(),
        accounts,
        metrics: metrics_handle(),
    };
    let stop = CancellationToken::new();
    let routes: fn(AppState) -> Router = match role {
        Role::Api => {
            tokio::spawn(reminders::sweep(state.clone(), stop.clone()));
            |state| router(state).merge(cartcast_web::router())
        }
        Role::Gateway => gateway_router,
    };
    let served = serve(options.http.unwrap_or(DEFAULT_HTTP), routes(state), stop_signal).await;
    stop.cancel();
    served
}
