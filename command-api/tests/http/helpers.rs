//! A test application: the real router and read models (a SQLite file per
//! test), with a command bus of our own that records envelopes and answers
//! with a canned outcome — the edge is what these tests exercise.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::Value;
use tower::ServiceExt;

use cartcast_command_api::auth::Signer;
use cartcast_command_api::seed::ReadModelSeed;
use cartcast_command_api::startup::router;
use cartcast_command_api::state::AppState;
use cartcast_command_api::telemetry::metrics_handle;
use cartcast_domain::Role;
use cartcast_infra::accounts::Accounts;
use cartcast_infra::bus::inprocess::StoreFeed;
use cartcast_infra::bus::{BusError, CommandBus};
use cartcast_infra::envelope::CommandEnvelope;
use cartcast_infra::outcome::{Answer, Outcome, ReservationCreated};
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_projections::ReadModels;
use cartcast_realtime::gateway::{Gateway, Upstream};
use cartcast_realtime::inbox::Inbox;
use cartcast_realtime::relay::local::LocalRelay;

pub const INGEST_URL: &str = "rtmp://127.0.0.1:1935/live";

type Responder = dyn Fn(&CommandEnvelope) -> Result<Outcome, BusError> + Send + Sync;

/// Records every envelope it is given and answers with `responder`.
pub struct RecordingBus {
    received: Mutex<Vec<CommandEnvelope>>,
    responder: Box<Responder>,
    /// What `is_ready` answers: a real bus says false when its log is unreachable.
    ready: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl CommandBus for RecordingBus {
    async fn dispatch(&self, envelope: CommandEnvelope, _timeout: Duration) -> Result<Outcome, BusError> {
        let answer = (self.responder)(&envelope);
        self.received.lock().unwrap().push(envelope);
        answer
    }

    fn is_ready(&self) -> bool {
        self.ready.load(std::sync::atomic::Ordering::Relaxed)
    }
}

pub struct TestApp {
    router: Router,
    bus: Arc<RecordingBus>,
    pub signer: Signer,
    pub read_models: ReadModels,
    /// The event store the app reads events from (and the read models point into).
    pub events: Arc<SqliteStore>,
    dir: PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

/// The default bus answer: reservation `p1.1` of 2 units, at position 7.
fn created(_: &CommandEnvelope) -> Result<Outcome, BusError> {
    let reserved = ReservationCreated {
        reservation_id: "p1.1".into(),
        product_id: "p1".into(),
        quantity: 2,
        expires_at: "2026-11-29T12:05:00Z".parse().unwrap(),
    };
    Ok(Outcome { position: Some(7), ..Outcome::answer(Answer::Reserved(reserved)) })
}

/// An app whose bus answers reservation `p1.1` of 2 units, at position 7.
pub async fn spawn_app() -> TestApp {
    spawn_app_answering(created).await
}

/// An app like [`spawn_app`] whose `GET /metrics` renders `metrics` (a
/// test's own recorder) instead of the process-wide one.
pub async fn spawn_app_with_metrics(metrics: PrometheusHandle) -> TestApp {
    spawn(Box::new(created), metrics).await
}

pub async fn spawn_app_answering(
    responder: impl Fn(&CommandEnvelope) -> Result<Outcome, BusError> + Send + Sync + 'static,
) -> TestApp {
    spawn(Box::new(responder), metrics_handle()).await
}

async fn spawn(responder: Box<Responder>, metrics: PrometheusHandle) -> TestApp {
    let dir = std::env::temp_dir().join(format!("cartcast-api-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let read_models = ReadModels::connect(&format!("sqlite://{}", dir.join("read.db").display())).await.unwrap();
    let bus = Arc::new(RecordingBus {
        received: Mutex::new(Vec::new()),
        responder,
        ready: std::sync::atomic::AtomicBool::new(true),
    });
    let signer = Signer::new(b"test secret");
    let events = Arc::new(SqliteStore::open(&dir.join("events.db")).await.unwrap());
    let state = AppState {
        events: events.clone(),
        bus: bus.clone(),
        read_models: read_models.clone(),
        signer: Arc::new(signer.clone()),
        settings: Arc::default(),
        ingest_url: INGEST_URL.into(),
        gateway: Gateway::new(
            Upstream {
                relay: Arc::new(LocalRelay::open(&dir).unwrap()),
                bus: bus.clone(),
                live: Arc::new(StoreFeed::new(events.clone())),
                seed: Arc::new(ReadModelSeed(read_models.clone())),
            },
            Duration::from_secs(5),
        ),
        inbox: Inbox::new(Arc::new(ReadModelSeed(read_models.clone()))),
        limits: Arc::default(),
        accounts: Accounts::open(&format!("sqlite://{}", dir.join("events.db").display())).await.unwrap(),
        metrics,
    };
    TestApp { router: router(state), bus, signer, read_models, events, dir }
}

impl TestApp {
    pub fn token(&self, sub: &str, role: Role) -> String {
        self.signer.issue(sub, role, None, Duration::from_secs(3600))
    }

    /// Make the bus report its command log reachable or not.
    pub fn set_bus_ready(&self, ready: bool) {
        self.bus.ready.store(ready, std::sync::atomic::Ordering::Relaxed);
    }

    /// Envelopes the bus received, in order.
    pub fn received(&self) -> Vec<CommandEnvelope> {
        self.bus.received.lock().unwrap().clone()
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        TestResponse { status: parts.status, headers: parts.headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.send(request(Method::GET, path, token).body(Body::empty()).unwrap()).await
    }

    /// A command with a JSON body and no Idempotency-Key.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.send(json_request(Method::POST, path, Some(token), &body.to_string())).await
    }

    /// A command with a JSON body and an Idempotency-Key.
    pub async fn post_with_key(&self, path: &str, token: &str, key: &str, body: Value) -> TestResponse {
        let mut request = json_request(Method::POST, path, Some(token), &body.to_string());
        request.headers_mut().insert("idempotency-key", key.parse().unwrap());
        self.send(request).await
    }

    /// Inserts read-model rows directly, as the catalog projection would.
    pub async fn seed(&self, sql: &str) {
        sqlx::raw_sql(sql).execute(self.read_models.pool()).await.unwrap();
    }
}

pub fn request(method: Method, path: &str, token: Option<&str>) -> axum::http::request::Builder {
    let builder = Request::builder().method(method).uri(path);
    match token {
        Some(token) => builder.header("authorization", format!("Bearer {token}")),
        None => builder,
    }
}

pub fn json_request(method: Method, path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    request(method, path, token).header("content-type", "application/json").body(Body::from(body.to_owned())).unwrap()
}
