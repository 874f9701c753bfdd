//! `GET /healthz`: 200 when this process can take commands — its command
//! log is reachable and its read models answer — else 503 `unavailable`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when answered with 200.
    pub status: &'static str,
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "`unavailable`: the command log or the read models cannot be reached", body = ErrorBody),
    ),
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if !state.bus.is_ready() {
        return Err(ApiError::unavailable("the command log is not reachable"));
    }
    state
        .read_models
        .ping()
        .await
        .map_err(|e| ApiError::unavailable(format!("the read models are not reachable: {e}")))?;
    Ok(Json(Health { status: "ok" }))
}
