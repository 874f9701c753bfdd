//! The event feed for analysts and auditors: `GET /api/v1/events`, the
//! stored events in global order as JSON lines, filtered like `cartcast
//! replay`, paged by position and streamed as they are read; the last line
//! says where to resume. Secrets in payloads (stream keys) are masked.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::warn;
use utoipa::{IntoParams, ToSchema};

use cartcast_domain::Role;
use cartcast_infra::store::RawEvent;
use cartcast_projections::replay::{self, Filter, Ndjson, ReplayError, Sink};

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Most events one page may ask for.
const MAX_LIMIT: u64 = 10_000;
/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 32 * 1024;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Start after this global position (the previous page's `resume_after`); default 0.
    pub after: Option<u64>,
    /// Stop at this global position (inclusive).
    pub to: Option<u64>,
    /// Only these event types, comma-separated (e.g. `UnitsReserved,OrderPlaced`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    /// Only what belongs to this show: its streams, its products and their orders.
    pub show: Option<String>,
    /// Occurred at or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Occurred before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// 1 to 10000 (default 1000).
    pub limit: Option<u64>,
}

/// The last line of a page.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPageEnd {
    /// Pass as `after` for the next page: no event is skipped or repeated.
    pub resume_after: u64,
    /// Events on this page.
    pub count: u64,
    /// Whether the page stopped at `limit` (more may follow) rather than at the end of the store.
    pub more: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "application/x-ndjson",
         description = "One event per line (`position`, `aggregate_type`, `aggregate_id`, `sequence`, `type`, \
                        `version`, `metadata`, `payload`) in global order, then one `EventsPageEnd` line"),
        (status = 403, description = "`forbidden`: neither an analyst, an auditor nor an admin", body = ErrorBody),
        (status = 422, description = "`invalid_input`: a malformed time or `limit` outside 1–10000", body = ErrorBody),
    ),
)]
pub async fn events(State(state): State<AppState>, user: Authenticated, uri: Uri) -> Result<Response, ApiError> {
    user.require(&[Role::Analyst, Role::Auditor, Role::Admin])?;
    let query = Query::<EventsQuery>::try_from_uri(&uri).map_err(|e| ApiError::invalid("query", e.body_text()))?.0;
    let limit = match query.limit {
        None => 1000,
        Some(limit @ 1..=MAX_LIMIT) => limit,
        Some(_) => return Err(ApiError::invalid("limit", "is 1 to 10000")),
    };
    let filter = Filter {
        event_types: query.event_type.iter().flat_map(|t| t.split(',')).map(str::to_owned).collect(),
        aggregate_type: query.aggregate_type,
        aggregate_id: query.aggregate_id,
        show: query.show,
        since: query.since,
        until: query.until,
        after: query.after.unwrap_or(0),
        to: query.to,
        limit: Some(limit),
    };
    let (chunks, body) = mpsc::unbounded_channel();
    let store = state.events.clone();
    tokio::spawn(async move {
        let mut sink = Redacted(Ndjson::new(Chunks { buffer: Vec::with_capacity(CHUNK), out: chunks }));
        match replay::export(store.as_ref(), &filter, &mut sink, &mut |_| {}).await {
            Ok(stopped) => {
                let end = EventsPageEnd {
                    resume_after: stopped.position,
                    count: stopped.written,
                    more: stopped.written == limit,
                };
                let Redacted(sink) = sink;
                let mut out = sink.into_inner();
                let ended = serde_json::to_writer(&mut out, &end).map_err(std::io::Error::from);
                if let Err(e) = ended.and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush()) {
                    warn!(error = %e, "ending an events page failed");
                }
            }
            // The status line is gone: a body without its last line tells the client.
            Err(e) => warn!(error = %e, "streaming events failed"),
        }
    });
    let mut body = body;
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| body.poll_recv(cx)));
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// Payload fields no reader of the feed over HTTP gets: a channel's stream
/// key lets anyone broadcast as the channel.
const SECRET_FIELDS: [&str; 1] = ["stream_key"];

/// A sink that masks [`SECRET_FIELDS`] before the events reach `S`.
struct Redacted<S>(S);

impl<S: Sink> Sink for Redacted<S> {
    fn write(&mut self, event: &RawEvent) -> Result<(), ReplayError> {
        // Only a payload that mentions a secret field is read.
        if !SECRET_FIELDS.iter().any(|field| event.payload.contains(field)) {
            return self.0.write(event);
        }
        let mut payload: serde_json::Value = serde_json::from_str(&event.payload)?;
        for field in SECRET_FIELDS {
            if let Some(value) = payload.get_mut(field) {
                *value = "[redacted]".into();
            }
        }
        self.0.write(&RawEvent { payload: serde_json::to_string(&payload)?, ..event.clone() })
    }

    fn finish(&mut self) -> Result<(), ReplayError> {
        self.0.finish()
    }
}

/// The response body as a writer: bytes gathered into chunks of about [`CHUNK`].
struct Chunks {
    buffer: Vec<u8>,
    out: mpsc::UnboundedSender<Result<Bytes, std::io::Error>>,
}

impl Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    /// Sends what is gathered; fails once the client has gone.
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.out.send(Ok(chunk)).map_err(|_| std::io::ErrorKind::BrokenPipe.into())
    }
}
