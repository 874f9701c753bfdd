//! A show's products: add some (before it starts, or while live) and list
//! them with their live stock, as a viewer's product shelf shows them.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::ShowAnswer;
use cartcast_projections::ProductView;

use super::openapi::{CommandRefusals, ReadRefusals};
use crate::auth::Creator;
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachProductsRequest {
    /// Products to add; those already listed are skipped. A show lists at most 100.
    pub product_ids: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/products",
    tag = "shows",
    request_body = AttachProductsRequest,
    params(("id" = String, Path, description = "Show id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Listed (or listed already)", body = Answered<ShowAnswer>),
        (status = 403, description = "`not_creator`", body = ErrorBody),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn attach_products(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(show_id): PathId,
    JsonBody(body): JsonBody<AttachProductsRequest>,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::AttachProducts { show_id, product_ids: body.product_ids }).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShowProducts {
    /// In the order the show lists them, each with its live stock.
    pub items: Vec<ProductView>,
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/products",
    tag = "shows",
    params(("id" = String, Path, description = "Show id"), ReadAfter),
    responses(
        (status = 200, body = ShowProducts),
        (status = 404, description = "`show_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn show_products(
    State(state): State<AppState>,
    PathId(show_id): PathId,
    after: ReadAfter,
) -> Result<Json<ShowProducts>, ApiError> {
    after.wait(&state.read_models).await?;
    let show = state.read_models.show(&show_id).await.context("reading a show")?;
    let show = show.ok_or(ApiError::NotFound(NotFound::Show))?;
    let items = state.read_models.products(&show.product_ids).await.context("reading a show's products")?;
    Ok(Json(ShowProducts { items }))
}
