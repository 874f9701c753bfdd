//! Per-request observability: a tracing span (method, route, correlation id,
//! and the command name and id once a handler knows them) and the
//! `http_requests_total` / `http_request_duration_seconds` metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use crate::extract::CorrelationId;

/// Label for requests that matched no route, so unknown paths cannot blow up
/// the metrics' cardinality.
const UNMATCHED: &str = "unmatched";

/// Wraps every request; applied with `Router::layer`, so the matched route
/// template (not the raw path) labels the metrics.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_owned();
    let correlation = CorrelationId::from_headers(request.headers());
    request.extensions_mut().insert(correlation);

    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        correlation_id = %correlation,
        command = Empty,
        command_id = Empty,
        status = Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.record("status", status);
    tracing::debug!(parent: &span, elapsed_ms = elapsed.as_secs_f64() * 1e3, "request finished");
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&correlation.to_string()) {
        response.headers_mut().insert(CorrelationId::HEADER, value);
    }
    response
}
