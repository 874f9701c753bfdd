//! Per-request observability: the `http_requests_total` /
//! `http_request_duration_seconds` metrics, one log line for each request
//! that failed on our side (method, route, correlation id, status and the
//! error), and a debug-level span (the same fields, and the command name and
//! id once a handler knows them) for tracing a request's path with
//! `RUST_LOG=debug`. At the default `info` level the span is disabled, so a
//! request pays for no span formatting.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use crate::extract::CorrelationId;

/// Label for requests that matched no route, so unknown paths cannot blow up
/// the metrics' cardinality.
const UNMATCHED: &str = "unmatched";

/// A request our side could not answer, attached to its response by
/// [`crate::error::ApiError`] and logged here, where the request's method,
/// route and correlation id are known.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Unexpected (logged as an error) rather than unavailable (a warning).
    pub unexpected: bool,
    /// The error with its context.
    pub detail: String,
}

/// Wraps every request; applied with `Router::layer`, so the matched route
/// template (not the raw path) labels the metrics.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_owned();
    let correlation = CorrelationId::from_headers(request.headers());
    request.extensions_mut().insert(correlation);

    let span = tracing::debug_span!(
        "request",
        method,
        route = %route,
        correlation_id = %correlation,
        command = Empty,
        command_id = Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if let Some(failure) = response.extensions_mut().remove::<Failure>() {
        let detail = failure.detail;
        if failure.unexpected {
            tracing::error!(method, route = %route, correlation_id = %correlation, status, error = %detail, "request failed");
        } else {
            tracing::warn!(method, route = %route, correlation_id = %correlation, status, error = %detail, "request not answered");
        }
    }
    tracing::debug!(parent: &span, status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "request finished");
    metrics::counter!(
        "http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    let mut text = uuid::Uuid::encode_buffer();
    if let Ok(value) = HeaderValue::from_str(correlation.0.hyphenated().encode_lower(&mut text)) {
        response.headers_mut().insert(CorrelationId::HEADER, value);
    }
    response
}

/// The method as a static label (no allocation per request); methods the
/// API does not route share one.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use cartcast_infra::config::LogFormat;
    use tower::ServiceExt;
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;
    use crate::error::ApiError;

    /// Log lines written by the subscriber under test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("the log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Captured {
        type Writer = Captured;

        fn make_writer(&self) -> Self::Writer {
            self.clone()
        }
    }

    const CORRELATION: &str = "0192f1c4-8a2b-7c3d-9e4f-5a6b7c8d9e0f";

    #[test]
    fn a_failed_request_is_logged_once_with_its_route_correlation_id_and_error() {
        let logs = Captured::default();
        let subscriber = crate::telemetry::get_subscriber("info", LogFormat::Pretty, logs.clone());
        tracing::subscriber::with_default(subscriber, || {
            let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
            runtime.block_on(async {
                let failing = || async { Err::<(), _>(ApiError::Unexpected(anyhow::anyhow!("the disk is gone"))) };
                let app = Router::new().route("/boom/{id}", get(failing)).layer(axum::middleware::from_fn(observe));
                let request = axum::http::Request::get("/boom/7")
                    .header(CorrelationId::HEADER, CORRELATION)
                    .body(Body::empty())
                    .expect("a request");
                let response = app.oneshot(request).await.expect("an answer");
                assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
                assert!(response.extensions().get::<Failure>().is_none(), "the failure is logged, not passed on");
            });
        });
        let text = String::from_utf8(logs.0.lock().expect("the log buffer").clone()).expect("UTF-8 logs");
        assert_eq!(text.matches("request failed").count(), 1, "{text}");
        for expected in ["GET", "/boom/{id}", CORRELATION, "500", "the disk is gone"] {
            assert!(text.contains(expected), "no {expected} in {text}");
        }
    }
}
