//! `POST /api/v1/sessions`: an anonymous viewer's session, so that people
//! who have not signed in can watch a show and be counted once. Its token
//! opens the live socket; it cannot post, buy or send any command.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::DateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::limit::ClientAddress;
use crate::state::AppState;

/// How long an anonymous session lasts; the live socket closes with 4440
/// when it ends, and the client takes a new one.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionIssued {
    /// A bearer token for `GET /api/v1/shows/{id}/live?token=`.
    pub token: String,
    /// Who the session is, as counted in a show's audience.
    pub session_id: String,
    /// RFC 3339.
    pub expires_at: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    tag = "sessions",
    responses(
        (status = 201, description = "An anonymous session: watch and be counted, not post", body = SessionIssued),
        (status = 429, description = "`rate_limited`: too many sessions from this address; see `Retry-After`", body = ErrorBody),
    ),
)]
pub async fn create_session(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
) -> Result<(StatusCode, Json<SessionIssued>), ApiError> {
    state.limits.sessions.take(address)?;
    let session_id = format!("anon-{}", uuid::Uuid::new_v4().simple());
    let (token, claims) = state.signer.issue_anonymous(&session_id, SESSION_TTL);
    let expires_at =
        i64::try_from(claims.exp).ok().and_then(|exp| DateTime::from_timestamp(exp, 0)).unwrap_or_default();
    Ok((StatusCode::CREATED, Json(SessionIssued { token, session_id, expires_at: expires_at.to_rfc3339() })))
}
