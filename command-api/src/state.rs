//! What every handler shares: the command bus, the read models, the token
//! signer and the settings, cloned cheaply into each request.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use cartcast_infra::accounts::Accounts;
use cartcast_infra::bus::CommandBus;
use cartcast_infra::config::Settings;
use cartcast_infra::store::EventStore;
use cartcast_projections::ReadModels;
use cartcast_realtime::gateway::Gateway;
use cartcast_realtime::inbox::Inbox;

use crate::auth::Signer;
use crate::limit::Limits;

#[derive(Clone)]
pub struct AppState {
    /// The command log of this shape (in-process or JetStream); handlers only dispatch.
    pub bus: Arc<dyn CommandBus>,
    /// The event store itself, read by analysts and auditors (`GET /api/v1/events`).
    pub events: Arc<dyn EventStore>,
    /// Queries for GET routes; eventually consistent, hence `?after=`.
    pub read_models: ReadModels,
    pub signer: Arc<Signer>,
    /// `command_timeout` bounds how long a handler waits for an outcome.
    /// Shared, so cloning the state per request copies no strings.
    pub settings: Arc<Settings>,
    /// Where creators point OBS, e.g. `rtmp://127.0.0.1:1935/live`; answered on show creation.
    pub ingest_url: Arc<str>,
    /// This process's live sockets, one room per show, joined to the other gateways by the relay.
    pub gateway: Arc<Gateway>,
    /// This process's user sockets, pushed their notifications.
    pub inbox: Arc<Inbox>,
    /// Budgets per client address for what anyone may call.
    pub limits: Arc<Limits>,
    /// Sign-in accounts (the identity store, beside the event store).
    pub accounts: Accounts,
    /// Renders the process-wide recorder for `GET /metrics` (see [`crate::telemetry::metrics_handle`]).
    pub metrics: PrometheusHandle,
}
