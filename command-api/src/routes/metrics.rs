//! `GET /metrics`: the process's metrics in Prometheus text format.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::state::AppState;

const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String)),
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    prometheus_text(&state.metrics)
}

/// The recorder's metrics as a Prometheus text response.
pub fn prometheus_text(metrics: &PrometheusHandle) -> impl IntoResponse + use<> {
    ([(CONTENT_TYPE, PROMETHEUS_TEXT)], metrics.render())
}
