//! The API's refusals: one typed error for the HTTP edge, answered as
//! `{"error":{"code","message"}}` with the status the contract names.

use std::fmt;
use std::time::Duration;

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_infra::accounts::WeakPassword;
use cartcast_infra::bus::BusError;

use crate::auth::AuthError;
use crate::instrument::Failure;

/// How long a caller should wait before retrying a 503.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(thiserror::Error)]
pub enum ApiError {
    /// A field is missing, has the wrong type, or is out of range.
    #[error("invalid `{field}`: {reason}")]
    Validation { field: String, reason: String },
    #[error("unknown field `{field}`")]
    UnknownField { field: String },
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("Idempotency-Key must be 1 to 255 visible ASCII characters")]
    InvalidIdempotencyKey,
    /// A `cursor` that no page of this list ended with.
    #[error("`cursor` is not one this list gave: ask again without it")]
    InvalidCursor,
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    #[error("your role or identity does not allow this")]
    Forbidden,
    /// An anonymous session may watch and be counted; this needs an account.
    #[error("sign in to do this: an anonymous session may only watch")]
    SignInRequired,
    /// Too many requests from one address (or account); retry after the wait.
    #[error("too many requests; retry in {} s", .0.as_secs().max(1))]
    TooManyRequests(Duration),
    #[error("{0} not found")]
    NotFound(NotFound),
    #[error(transparent)]
    Account(#[from] AccountRefusal),
    /// A raid's target channel has no live show.
    #[error("the target channel is not live")]
    TargetNotLive,
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    #[error(transparent)]
    Unavailable(Unavailable),
    #[error("an unexpected error occurred")]
    Unexpected(#[from] anyhow::Error),
}

/// What was not found; each has its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    Route,
    Product,
    Reservation,
    Order,
    Show,
    Clip,
    Poll,
    Channel,
    Account,
    /// A show's replay: there is one once the show has ended.
    Video,
}

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotFound::Route => "route",
            NotFound::Product => "product",
            NotFound::Reservation => "reservation",
            NotFound::Order => "order",
            NotFound::Show => "show",
            NotFound::Clip => "clip",
            NotFound::Poll => "poll",
            NotFound::Channel => "channel",
            NotFound::Account => "account",
            NotFound::Video => "video",
        })
    }
}

/// Why signing up or in was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountRefusal {
    #[error("that username is taken")]
    UsernameTaken,
    #[error("a username is 3 to 25 of a-z, 0-9 and _")]
    InvalidUsername,
    #[error("weak password: {0}")]
    WeakPassword(#[from] WeakPassword),
    /// No such account or the wrong password: the caller is not told which.
    #[error("the username or the password is wrong")]
    BadCredentials,
    #[error("this account does not hold that role")]
    RoleNotHeld,
}

impl AccountRefusal {
    fn status(&self) -> StatusCode {
        match self {
            AccountRefusal::UsernameTaken => StatusCode::CONFLICT,
            AccountRefusal::InvalidUsername | AccountRefusal::WeakPassword(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AccountRefusal::BadCredentials => StatusCode::UNAUTHORIZED,
            AccountRefusal::RoleNotHeld => StatusCode::FORBIDDEN,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AccountRefusal::UsernameTaken => "username_taken",
            AccountRefusal::InvalidUsername => "invalid_username",
            AccountRefusal::WeakPassword(_) => "weak_password",
            AccountRefusal::BadCredentials => "bad_credentials",
            AccountRefusal::RoleNotHeld => "role_not_held",
        }
    }
}

/// Why the API cannot answer now; every case is worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// The command is in the log but not decided yet: a retry with the same
    /// `Idempotency-Key` gets its answer.
    #[error("the command was accepted but is not decided yet; retry with the same Idempotency-Key")]
    CommandPending,
    #[error("reads have not caught up to position {0} yet")]
    NotCaughtUp(u64),
    #[error("the command log is unavailable")]
    CommandLog(#[source] BusError),
    /// A dependency of this process is down (health check).
    #[error("{0}")]
    NotReady(String),
}

impl From<BusError> for ApiError {
    fn from(error: BusError) -> Self {
        ApiError::Unavailable(match error {
            BusError::Timeout(_) => Unavailable::CommandPending,
            other => Unavailable::CommandLog(other),
        })
    }
}

impl ApiError {
    /// This process cannot take commands now.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        ApiError::Unavailable(Unavailable::NotReady(reason.into()))
    }

    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        ApiError::Validation { field: field.into(), reason: reason.to_string() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } | ApiError::UnknownField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) | ApiError::InvalidIdempotencyKey | ApiError::InvalidCursor => {
                StatusCode::BAD_REQUEST
            }
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::SignInRequired => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Account(refusal) => refusal.status(),
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TargetNotLive => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "invalid_input",
            ApiError::UnknownField { .. } => "unknown_field",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::InvalidIdempotencyKey => "invalid_idempotency_key",
            ApiError::InvalidCursor => "invalid_cursor",
            ApiError::Unauthorized(e) => e.code(),
            ApiError::Forbidden => "forbidden",
            ApiError::SignInRequired => "sign_in_required",
            ApiError::TooManyRequests(_) => "rate_limited",
            ApiError::NotFound(NotFound::Route) => "not_found",
            ApiError::NotFound(NotFound::Product) => "product_not_found",
            ApiError::NotFound(NotFound::Reservation) => "reservation_not_found",
            ApiError::NotFound(NotFound::Order) => "order_not_found",
            ApiError::NotFound(NotFound::Show) => "show_not_found",
            ApiError::NotFound(NotFound::Clip) => "clip_not_found",
            ApiError::NotFound(NotFound::Poll) => "poll_not_found",
            ApiError::NotFound(NotFound::Channel) => "channel_not_found",
            ApiError::NotFound(NotFound::Account) => "account_not_found",
            ApiError::NotFound(NotFound::Video) => "video_not_found",
            ApiError::Account(refusal) => refusal.code(),
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::TargetNotLive => "target_not_live",
            ApiError::Unavailable(Unavailable::CommandPending) => "command_pending",
            ApiError::Unavailable(Unavailable::NotCaughtUp(_)) => "not_caught_up",
            ApiError::Unavailable(Unavailable::CommandLog(_) | Unavailable::NotReady(_)) => "unavailable",
            ApiError::Unexpected(_) => "internal",
        }
    }

    /// When a retry may succeed, for `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Unavailable(_) => Some(Duration::from_secs(RETRY_AFTER_SECS)),
            // Whole seconds, rounded up: `Retry-After` has no finer unit.
            ApiError::TooManyRequests(wait) => Some(Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64)),
            _ => None,
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// The error and every cause beneath it, one per line.
fn error_chain_fmt(error: &impl std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{error}")?;
    let mut cause = error.source();
    while let Some(current) = cause {
        writeln!(f, "Caused by:\n\t{current}")?;
        cause = current.source();
    }
    Ok(())
}

/// The body of every refusal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "sold_out", "message": "only 2 units are available"}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// A refused command that still recorded events (a checkout whose payment
    /// failed expires its order): their feed position, for `?after=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case; clients branch on this.
    pub code: String,
    /// For humans; may change.
    pub message: String,
    /// The order a refused payment belongs to (`payment_declined`, `payment_timeout`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Logged by `instrument::observe`, which knows the request.
        let failure = match &self {
            ApiError::Unexpected(_) => Some(Failure { unexpected: true, detail: format!("{self:?}") }),
            ApiError::Unavailable(_) => Some(Failure { unexpected: false, detail: format!("{self:?}") }),
            _ => None,
        };
        let message = match &self {
            ApiError::Unexpected(_) => "internal server error".to_owned(),
            _ => self.to_string(),
        };
        let body =
            ErrorBody { error: ErrorDetail { code: self.code().to_owned(), message, order_id: None }, position: None };
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(retry_after) = self.retry_after() {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after.as_secs()));
        }
        if let ApiError::Unauthorized(_) = self {
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(failure) = failure {
            response.extensions_mut().insert(failure);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context;
    use axum::body::to_bytes;

    use super::*;

    async fn answer(error: ApiError) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let response = error.into_response();
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_validation_error_names_its_field() {
        let (status, _, body) = answer(ApiError::invalid("quantity", "must be at least 1")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid_input");
        assert!(body["error"]["message"].as_str().unwrap().contains("quantity"));
        assert_eq!(body.as_object().unwrap().len(), 1);
        assert_eq!(body["error"].as_object().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn an_unauthorized_error_carries_the_token_code_and_a_challenge() {
        let (status, headers, body) = answer(AuthError::Expired.into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "token_expired");
        assert_eq!(headers[WWW_AUTHENTICATE], "Bearer");
    }

    #[tokio::test]
    async fn not_found_codes_name_the_resource() {
        let (status, _, body) = answer(ApiError::NotFound(NotFound::Order)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "order_not_found");
    }

    #[tokio::test]
    async fn a_bus_timeout_is_a_pending_command_with_retry_after() {
        let (status, headers, body) = answer(BusError::Timeout(Duration::from_secs(10)).into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "command_pending");
        assert_eq!(headers[RETRY_AFTER], "1");
    }

    #[tokio::test]
    async fn a_closed_bus_is_unavailable_with_retry_after() {
        let (status, headers, body) = answer(BusError::Closed.into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "unavailable");
        assert_eq!(headers[RETRY_AFTER], "1");
    }

    #[tokio::test]
    async fn an_unexpected_error_answers_500_without_its_details() {
        let cause: Result<(), _> = Err(std::io::Error::other("disk on fire at /secret/path"));
        let error = ApiError::from(cause.context("reading the catalog").unwrap_err());
        let (status, _, body) = answer(error).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("secret"));
    }

    #[test]
    fn debug_prints_the_cause_chain() {
        let cause: Result<(), _> = Err(std::io::Error::other("disk on fire"));
        let error = ApiError::from(cause.context("reading the catalog").unwrap_err());
        let debug = format!("{error:?}");
        assert!(debug.contains("reading the catalog") && debug.contains("disk on fire"), "{debug}");
    }
}
