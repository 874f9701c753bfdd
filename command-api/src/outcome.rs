//! The one place a command's outcome becomes an HTTP answer: which status
//! each answer and each kind of refusal gets, and the body written from the
//! same type the OpenAPI document describes.

use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_domain::refusal::RefusalKind;
use cartcast_infra::outcome::{Answer, Outcome, Refusal, ShowScheduled, Verdict};

use crate::error::{ApiError, ErrorBody, ErrorDetail};

/// A command's answer as the client gets it: the answer's own fields, plus
/// the feed position of its last event (pass it as `?after=` to read it back).
#[derive(Debug, Serialize, ToSchema)]
pub struct Answered<T> {
    #[serde(flatten)]
    pub answer: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

/// A scheduled show, with where its creator points OBS.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShowCreated {
    #[serde(flatten)]
    pub show: ShowScheduled,
    /// Point OBS here: `rtmp://HOST:PORT/live`.
    #[schema(example = "rtmp://127.0.0.1:1935/live")]
    pub ingest_url: String,
}

/// A command's recorded outcome, answered with its status; the edge adds what
/// it alone knows (where this deployment takes RTMP).
#[derive(Debug)]
pub struct CommandReply {
    outcome: Outcome,
    ingest_url: Arc<str>,
}

impl CommandReply {
    pub fn new(outcome: Outcome, ingest_url: Arc<str>) -> Self {
        Self { outcome, ingest_url }
    }

    /// The feed position of the command's last event, for `?after=` reads.
    pub fn position(&self) -> Option<u64> {
        self.outcome.position
    }

    /// Whether the command was taken (not refused).
    pub fn is_answered(&self) -> bool {
        !matches!(self.outcome.verdict, Verdict::Refusal(_))
    }
}

impl IntoResponse for CommandReply {
    fn into_response(self) -> Response {
        let position = self.outcome.position;
        match self.outcome.verdict {
            Verdict::Answer(answer) => answered(answer, position, self.ingest_url),
            Verdict::Refusal(refusal) => refused(refusal, position),
            Verdict::Recorded { status, body } => match StatusCode::from_u16(status) {
                Ok(status) => (status, Json(body)).into_response(),
                Err(_) => {
                    ApiError::Unexpected(anyhow::anyhow!("a recorded outcome has no valid HTTP status: {status}"))
                        .into_response()
                }
            },
        }
    }
}

/// Each answer's status and body.
fn answered(answer: Answer, position: Option<u64>, ingest_url: Arc<str>) -> Response {
    fn body<T: Serialize>(status: StatusCode, answer: T, position: Option<u64>) -> Response {
        (status, Json(Answered { answer, position })).into_response()
    }
    match answer {
        Answer::ProductCreated(product) => body(StatusCode::CREATED, product, position),
        Answer::StockAdded(product) => body(StatusCode::OK, product, position),
        Answer::Reserved(reservation) => body(StatusCode::CREATED, reservation, position),
        Answer::Released(released) => body(StatusCode::OK, released, position),
        Answer::OrderConfirmed(order) => body(StatusCode::CREATED, order, position),
        Answer::ShowScheduled(show) => {
            body(StatusCode::CREATED, ShowCreated { show, ingest_url: ingest_url.to_string() }, position)
        }
        Answer::ProductPinned(pinned) => body(StatusCode::OK, pinned, position),
        Answer::ProductUnpinned(unpinned) => body(StatusCode::OK, unpinned, position),
        Answer::ChannelProfileSet(channel) => body(StatusCode::OK, channel, position),
        Answer::FollowChanged(changed) => body(StatusCode::OK, changed, position),
        Answer::Raided(raided) => body(StatusCode::OK, raided, position),
        Answer::NotificationsRead(read) => body(StatusCode::OK, read, position),
        Answer::WentLive(changed) | Answer::Ended(changed) | Answer::Cancelled(changed) => {
            body(StatusCode::OK, changed, position)
        }
        Answer::ClipRequested(clip) => body(StatusCode::ACCEPTED, clip, position),
        Answer::ClipFinished(clip) => body(StatusCode::OK, clip, position),
        Answer::ShowUpdated(show)
        | Answer::StreamHealthReported(show)
        | Answer::ReactionsCounted(show)
        | Answer::ChatCounted(show)
        | Answer::AudienceSampled(show) => body(StatusCode::OK, show, position),
        Answer::ViewersCounted(viewers) => body(StatusCode::OK, viewers, position),
        Answer::StreamKeyRegenerated(key) => body(StatusCode::OK, key, position),
        Answer::Moderated(moderated) => body(StatusCode::OK, moderated, position),
        Answer::ModerationCreated(moderated) => body(StatusCode::CREATED, moderated, position),
        Answer::PollOpened(opened) => body(StatusCode::CREATED, opened, position),
        Answer::PollClosed(poll) => body(StatusCode::OK, poll, position),
        Answer::VotesCounted(counted) => body(StatusCode::OK, counted, position),
    }
}

/// A refusal in the API's error shape, with the status its kind gets.
fn refused(refusal: Refusal, position: Option<u64>) -> Response {
    let status = match refusal.kind {
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::NotAllowed => StatusCode::FORBIDDEN,
        RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Gone => StatusCode::GONE,
        RefusalKind::PaymentDeclined => StatusCode::PAYMENT_REQUIRED,
        RefusalKind::PaymentTimedOut => StatusCode::GATEWAY_TIMEOUT,
    };
    let error = ErrorDetail { code: refusal.code, message: refusal.message, order_id: refusal.order_id };
    (status, Json(ErrorBody { error, position })).into_response()
}
