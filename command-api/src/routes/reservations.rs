//! Reservations: hold units of a product, give them back, or check out.

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use cartcast_domain::ids::ReservationId;
use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::{OrderConfirmed, ReservationCreated, ReservationReleased};

use super::openapi::CommandRefusals;
use crate::auth::Viewer;
use crate::command::CommandContext;
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserveRequest {
    /// Units to hold.
    #[schema(example = 1)]
    pub quantity: u64,
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/reservations",
    tag = "reservations",
    request_body = ReserveRequest,
    params(("id" = String, Path, description = "Product id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Units held until `expires_at`", body = Answered<ReservationCreated>),
        (status = 404, description = "`product_not_found`", body = ErrorBody),
        (status = 409, description = "`sold_out`: fewer units are available than asked for", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn reserve(
    State(state): State<AppState>,
    context: CommandContext<Viewer>,
    PathId(product_id): PathId,
    JsonBody(body): JsonBody<ReserveRequest>,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::Reserve { product_id, quantity: body.quantity }).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/reservations/{id}",
    tag = "reservations",
    params(("id" = String, Path, description = "Reservation id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Released; the units are available again", body = Answered<ReservationReleased>),
        (status = 403, description = "`not_holder`: someone else holds it", body = ErrorBody),
        (status = 404, description = "`reservation_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn release(
    State(state): State<AppState>,
    context: CommandContext<Viewer>,
    PathId(id): PathId,
) -> Result<CommandReply, ApiError> {
    let reservation_id = parse_reservation_id(&id)?;
    context.send(&state, |_| AppCommand::Release { reservation_id }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// Card number; the test gateway declines `4000000000000002`.
    #[schema(example = "4242424242424242")]
    pub card: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/reservations/{id}/checkout",
    tag = "reservations",
    request_body = CheckoutRequest,
    params(("id" = String, Path, description = "Reservation id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Paid and confirmed", body = Answered<OrderConfirmed>),
        (status = 402, description = "`payment_declined`", body = ErrorBody),
        (status = 403, description = "`not_holder`: someone else holds it", body = ErrorBody),
        (status = 404, description = "`reservation_not_found`", body = ErrorBody),
        (status = 410, description = "`reservation_expired`: the hold's deadline passed", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn checkout(
    State(state): State<AppState>,
    context: CommandContext<Viewer>,
    PathId(id): PathId,
    JsonBody(body): JsonBody<CheckoutRequest>,
) -> Result<CommandReply, ApiError> {
    let reservation_id = parse_reservation_id(&id)?;
    context.send(&state, |_| AppCommand::Checkout { reservation_id, card: body.card }).await
}

/// A reservation id names its product; one that does not parse names no reservation.
fn parse_reservation_id(id: &str) -> Result<ReservationId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound(NotFound::Reservation))
}
