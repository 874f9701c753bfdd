//! Orders: read one (its buyer, its seller, auditors, admins) and its
//! auditable history (auditors, admins, its seller).

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use cartcast_domain::Role;
use cartcast_projections::{HistoryEntry, OrderView};

use super::openapi::ReadRefusals;
use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{PathId, ReadAfter};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "Order id"), ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderView),
        (status = 403, description = "`forbidden`: neither its buyer, its seller, an auditor nor an admin", body = ErrorBody),
        (status = 404, description = "`order_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn get_order(
    State(state): State<AppState>,
    user: Authenticated,
    PathId(order_id): PathId,
    after: ReadAfter,
) -> Result<Json<OrderView>, ApiError> {
    let order = read_order(&state, &order_id, after).await?;
    if !(user.is(&order.buyer) || user.is(&order.seller)) {
        user.require(&[Role::Auditor, Role::Admin])?;
    }
    Ok(Json(order))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderHistory {
    /// In feed order.
    pub events: Vec<HistoryEntry>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/history",
    tag = "orders",
    params(("id" = String, Path, description = "Order id"), ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderHistory),
        (status = 403, description = "`forbidden`: neither an auditor, an admin nor its seller", body = ErrorBody),
        (status = 404, description = "`order_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn order_history(
    State(state): State<AppState>,
    user: Authenticated,
    PathId(order_id): PathId,
    after: ReadAfter,
) -> Result<Json<OrderHistory>, ApiError> {
    let order = read_order(&state, &order_id, after).await?;
    if !user.is(&order.seller) {
        user.require(&[Role::Auditor, Role::Admin])?;
    }
    let events =
        state.read_models.order_history(state.events.as_ref(), &order).await.context("reading an order's history")?;
    Ok(Json(OrderHistory { events }))
}

async fn read_order(state: &AppState, order_id: &str, after: ReadAfter) -> Result<OrderView, ApiError> {
    after.wait(&state.read_models).await?;
    let order = state.read_models.order(order_id).await.context("reading an order")?;
    order.ok_or(ApiError::NotFound(NotFound::Order))
}
