//! The bare baseline: the same reservations, sent the same way, to a trivial
//! axum route in a process of its own that checks the token as Cartcast does
//! (HMAC-SHA256 over the same bearer token), reads the same JSON body,
//! requires the `Idempotency-Key`, and answers 201 with a body of the same
//! shape — without deciding or storing anything. What a request costs it is
//! the floor Cartcast's edge is measured against.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use anyhow::Context;
use axum::extract::{Json, Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Router, serve};
use cartcast_command_api::auth::Signer;
use cartcast_infra::config::SECRET_VAR;
use cartcast_tests::Process;
use reqwest::Url;
use serde::Deserialize;
use serde_json::json;

use crate::cartcast::{reservations_path, target};
use crate::drive::{Sale, Tally};
use crate::lean::{self, Prepared};

/// How long the answers say a hold lasts, as Cartcast's do.
const HOLD: chrono::Duration = chrono::Duration::minutes(5);

struct Bare {
    signer: Signer,
    /// The answers' positions, one per request.
    answered: AtomicU64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveRequest {
    quantity: u64,
}

/// Serves `POST /api/v1/products/{id}/reservations` on a free port, checking
/// tokens signed with `secret`; returns its address.
pub async fn serve_on_free_port(secret: &[u8]) -> anyhow::Result<SocketAddr> {
    let bare = Arc::new(Bare { signer: Signer::new(secret), answered: AtomicU64::new(0) });
    let app = Router::new().route("/api/v1/products/{id}/reservations", post(reserve)).with_state(bare);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the bare server")?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { serve(listener, app).await });
    Ok(addr)
}

async fn reserve(
    State(bare): State<Arc<Bare>>,
    Path(product_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<ReserveRequest>,
) -> Response {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if token.is_none_or(|token| bare.signer.verify(token, SystemTime::now()).is_err()) {
        return refused(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    if !headers.contains_key("idempotency-key") {
        return refused(StatusCode::BAD_REQUEST, "idempotency_key_required");
    }
    let position = bare.answered.fetch_add(1, Ordering::Relaxed) + 1;
    let answer = json!({
        "reservation_id": format!("{product_id}.{position}"),
        "product_id": product_id,
        "quantity": body.quantity,
        "expires_at": chrono::Utc::now() + HOLD,
        "position": position,
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}

fn refused(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": code}}))).into_response()
}

/// Starts this binary again as the bare server (`--serve-bare`, the secret in
/// its environment), sends it every buyer's reservation as the Cartcast run
/// did, and tallies the answers with both processes' CPU.
pub async fn run(secret: &[u8], buyers: Arc<Vec<Prepared>>, sale: &Sale) -> anyhow::Result<Tally> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let secret = String::from_utf8(secret.to_vec()).context("the token secret is not UTF-8")?;
    let env = [(SECRET_VAR.to_owned(), secret)];
    let mut server =
        Process::start_program(exe.as_os_str(), "bare server", &["--serve-bare".to_owned()], &env, true).await?;
    let base: Url = server.url.as_deref().context("the bare server's address")?.parse()?;
    let target = target(&base, &reservations_path("bare")).await?;
    let tally = lean::reserve_all("bare", vec![target], buyers, sale.concurrency, &[server.pid()?]).await;
    server.kill9().await?;
    tally
}
