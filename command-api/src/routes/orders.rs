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

#[derive(Debug, Serialize, ToSchema)]
pub struct Order {
    pub order_id: String,
    #[schema(example = "confirmed")]
    pub status: String,
    pub reservation_id: String,
    pub product_id: String,
    pub buyer: String,
    pub seller: String,
    pub quantity: i64,
    pub amount_minor: i64,
    pub currency: String,
    /// The payment gateway's capture, once paid.
    pub capture_id: Option<String>,
    pub placed_at: String,
    pub updated_at: String,
}

impl From<OrderView> for Order {
    fn from(view: OrderView) -> Self {
        Self {
            order_id: view.order_id,
            status: view.status,
            reservation_id: view.reservation_id,
            product_id: view.product_id,
            buyer: view.buyer,
            seller: view.seller,
            quantity: view.quantity,
            amount_minor: view.amount_minor,
            currency: view.currency,
            capture_id: view.capture_id,
            placed_at: view.placed_at,
            updated_at: view.updated_at,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "Order id"), ReadAfter),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Order),
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
) -> Result<Json<Order>, ApiError> {
    let order = read_order(&state, &order_id, after).await?;
    if !(user.is(&order.buyer) || user.is(&order.seller)) {
        user.require(&[Role::Auditor, Role::Admin])?;
    }
    Ok(Json(order.into()))
}

/// One step of an order's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEvent {
    /// The event type, e.g. `UnitsReserved`, `OrderPlaced`, `PaymentCaptured`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: String,
    /// Who caused it (a user, or the system for expiries).
    pub actor: String,
    /// The command that caused it.
    pub command_id: String,
    pub event_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Its position in the global feed.
    pub position: u64,
    /// The event's own fields.
    pub data: serde_json::Value,
}

impl From<HistoryEntry> for HistoryEvent {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            event_type: entry.event_type,
            occurred_at: entry.occurred_at,
            actor: entry.actor,
            command_id: entry.command_id,
            event_id: entry.event_id,
            aggregate_type: entry.aggregate_type,
            aggregate_id: entry.aggregate_id,
            sequence: entry.sequence,
            position: entry.position,
            data: entry.data,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderHistory {
    /// In feed order.
    pub events: Vec<HistoryEvent>,
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
    let events = state.read_models.order_history(&order).await.context("reading an order's history")?;
    Ok(Json(OrderHistory { events: events.into_iter().map(HistoryEvent::from).collect() }))
}

async fn read_order(state: &AppState, order_id: &str, after: ReadAfter) -> Result<OrderView, ApiError> {
    after.wait(&state.read_models).await?;
    let order = state.read_models.order(order_id).await.context("reading an order")?;
    order.ok_or(ApiError::NotFound(NotFound::Order))
}
