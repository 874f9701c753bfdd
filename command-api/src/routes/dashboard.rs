//! A show's creator dashboard (`GET /api/v1/shows/{id}/dashboard`): its
//! audience, each minute's activity and sales, conversion and each
//! product's sell-through, for the show's creator alone. The same figures
//! reach the creator's live socket as `dashboard` frames while the show is
//! live; after it ends they stay, as the show's summary.

use anyhow::Context;
use axum::Json;
use axum::extract::State;

use cartcast_infra::dashboard::Dashboard;
use cartcast_projections::dashboard::DASHBOARD;

use super::openapi::ReadRefusals;
use crate::auth::{Authenticated, Member, RoleGate};
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{PathId, ReadAfter};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/dashboard",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Dashboard),
        (status = 403, description = "`forbidden`: not the show's creator", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn show_dashboard(
    State(state): State<AppState>,
    user: Authenticated,
    PathId(show_id): PathId,
    after: ReadAfter,
) -> Result<Json<Dashboard>, ApiError> {
    user.require(Member::ROLES)?;
    after.wait_on(&state.read_models, DASHBOARD).await?;
    let found = state.read_models.dashboard(&show_id).await.context("reading a show's dashboard")?;
    let found = found.ok_or(ApiError::NotFound(NotFound::Show))?;
    if found.creator != user.actor.sub {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(found.dashboard))
}
