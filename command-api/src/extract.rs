//! Request parsing at the edge: JSON bodies, `Idempotency-Key`, correlation
//! ids and `?after=`, each refusing with a typed [`ApiError`] (never axum's
//! plain-text rejections).

use std::fmt;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use uuid::Uuid;

use cartcast_infra::envelope::{Actor, CommandEnvelope};
use cartcast_projections::ReadModels;

use crate::error::{ApiError, Unavailable};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The projection `?after=` waits on.
const READ_PROJECTION: &str = "catalog";

/// How long a read with `?after=` waits for the projection before answering 503.
const CATCH_UP_WAIT: Duration = Duration::from_secs(5);

/// A JSON body deserialized into `T`. Request types use
/// `#[serde(deny_unknown_fields)]`, so a misspelt field is refused rather than ignored.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge { limit: BODY_LIMIT }
            } else {
                ApiError::MalformedJson(rejection.body_text())
            }
        })?;
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(json_error)?;
        deserializer.end().map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        Ok(JsonBody(value))
    }
}

/// `application/json`, or any `application/*+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Sorts a deserialization failure into syntax (400), an unknown field or a
/// bad value (422), naming the field from the error's path.
fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.classify() != Category::Data {
        return ApiError::MalformedJson(inner.to_string());
    }
    let full = inner.to_string();
    let location = format!(" at line {} column {}", inner.line(), inner.column());
    let message = full.strip_suffix(&location).unwrap_or(&full);
    let within = |name: &str| if path == "." { name.to_owned() } else { format!("{path}.{name}") };
    // serde reports these two through `de::Error::unknown_field`/`missing_field`,
    // whose wording is fixed by serde itself; the field name is between backticks.
    if let Some(name) = backticked_after(message, "unknown field `") {
        return ApiError::UnknownField { field: within(name) };
    }
    if let Some(name) = backticked_after(message, "missing field `") {
        return ApiError::invalid(within(name), "is required");
    }
    let field = if path == "." { "body".to_owned() } else { path };
    ApiError::invalid(field, message)
}

fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// The optional `Idempotency-Key` header: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(Option<String>);

impl IdempotencyKey {
    pub const HEADER: &'static str = "idempotency-key";

    pub fn parse(headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(value) = headers.get(Self::HEADER) else {
            return Ok(Self(None));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|key| (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or(ApiError::InvalidIdempotencyKey)?;
        Ok(Self(Some(key.to_owned())))
    }

    /// The command id: derived from the key (so a repeat is the same command),
    /// else a fresh time-ordered id.
    pub fn command_id(&self, actor: &Actor) -> Uuid {
        match &self.0 {
            Some(key) => CommandEnvelope::command_id_for_key(actor, key),
            None => Uuid::now_v7(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::parse(&parts.headers)
    }
}

/// Documents the header on every command.
impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "Repeats with the same key (per user) return the first answer; 1–255 visible ASCII characters.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255))))
                .build(),
        ]
    }
}

/// Ties together everything one request causes: from `X-Correlation-Id` when
/// it is a UUID, else a new UUIDv7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationId(pub Uuid);

impl CorrelationId {
    pub const HEADER: &'static str = "x-correlation-id";

    pub fn from_headers(headers: &HeaderMap) -> Self {
        let given =
            headers.get(Self::HEADER).and_then(|v| v.to_str().ok()).and_then(|v| Uuid::parse_str(v.trim()).ok());
        Self(given.unwrap_or_else(Uuid::now_v7))
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id the request middleware chose (and logged), else one from the headers.
impl<S: Send + Sync> FromRequestParts<S> for CorrelationId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<CorrelationId>().copied().unwrap_or_else(|| Self::from_headers(&parts.headers)))
    }
}

/// The `{id}` segment of a resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| PathId(id))
            .map_err(|rejection| ApiError::invalid("id", rejection.body_text()))
    }
}

/// Two path segments, e.g. `/shows/{id}/chat/{message_id}`, refused with a code when malformed.
pub struct PathPair(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathPair {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|Path((first, second))| PathPair(first, second))
            .map_err(|rejection| ApiError::invalid("path", rejection.body_text()))
    }
}

/// A list's `limit`: 1 to 100, default 20; anything else is refused.
pub fn page_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw.map(str::parse::<u32>) {
        None => Ok(20),
        Some(Ok(limit @ 1..=100)) => Ok(limit),
        Some(_) => Err(ApiError::invalid("limit", "is 1 to 100")),
    }
}

/// `?after=<position>`: read your own writes.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadAfter {
    /// The `position` of a command's answer; the read waits (up to 5 s) until it is visible.
    pub after: Option<u64>,
}

impl ReadAfter {
    /// Waits until the catalog read models have applied `after`; 503 if they do not in time.
    pub async fn wait(&self, read_models: &ReadModels) -> Result<(), ApiError> {
        self.wait_on(read_models, READ_PROJECTION).await
    }

    /// Waits until `projection` has applied `after`; 503 if it does not in time.
    pub async fn wait_on(&self, read_models: &ReadModels, projection: &str) -> Result<(), ApiError> {
        let Some(position) = self.after else {
            return Ok(());
        };
        let caught_up = read_models
            .wait_for(projection, position, CATCH_UP_WAIT)
            .await
            .with_context(|| format!("waiting for the {projection} projection to reach {position}"))?;
        if caught_up { Ok(()) } else { Err(ApiError::Unavailable(Unavailable::NotCaughtUp(position))) }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ReadAfter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<ReadAfter>::try_from_uri(&parts.uri)
            .map(|Query(after)| after)
            .map_err(|_| ApiError::invalid("after", "must be a position: a non-negative integer"))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json(&headers("content-type", "application/json")));
        assert!(is_json(&headers("content-type", "Application/JSON; charset=utf-8")));
        assert!(is_json(&headers("content-type", "application/merge-patch+json")));
        assert!(!is_json(&headers("content-type", "text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_of_bounded_length() {
        assert_eq!(IdempotencyKey::parse(&HeaderMap::new()).unwrap(), IdempotencyKey(None));
        assert!(IdempotencyKey::parse(&headers("idempotency-key", "order-42_ok")).is_ok());
        assert!(IdempotencyKey::parse(&headers("idempotency-key", &"k".repeat(255))).is_ok());
        for bad in ["", "has space", &"k".repeat(256)] {
            let error = IdempotencyKey::parse(&headers("idempotency-key", bad)).unwrap_err();
            assert_eq!(error.code(), "invalid_idempotency_key", "{bad:?}");
        }
    }

    #[test]
    fn a_correlation_id_is_kept_when_it_is_a_uuid() {
        let id = Uuid::now_v7();
        assert_eq!(CorrelationId::from_headers(&headers("x-correlation-id", &id.to_string())).0, id);
        let fresh = CorrelationId::from_headers(&headers("x-correlation-id", "not-a-uuid")).0;
        assert_eq!(fresh.get_version_num(), 7);
    }
}
