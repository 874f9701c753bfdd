//! Products: create one, add stock, read it with live stock.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use cartcast_domain::money::Currency;
use cartcast_infra::envelope::AppCommand;
use cartcast_infra::outcome::ProductAnswer;
use cartcast_projections::ProductView;

use super::openapi::{CommandRefusals, ReadRefusals};
use crate::auth::Creator;
use crate::command::{CommandContext, new_resource_id};
use crate::error::{ApiError, ErrorBody, NotFound};
use crate::extract::{IdempotencyKey, JsonBody, PathId, ReadAfter};
use crate::outcome::{Answered, CommandReply};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    #[schema(example = "HOODIE-M")]
    pub sku: String,
    #[schema(example = "Tour hoodie, size M")]
    pub title: String,
    /// Price in the currency's minor unit (cents).
    #[schema(example = 4900)]
    pub price_minor: u64,
    /// ISO 4217 code.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Units for sale.
    #[schema(example = 100)]
    pub stock: u64,
}

#[utoipa::path(
    post,
    path = "/api/v1/products",
    tag = "products",
    request_body = CreateProductRequest,
    params(IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or the first answer to this Idempotency-Key)", body = Answered<ProductAnswer>),
        CommandRefusals,
    ),
)]
pub async fn create_product(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    JsonBody(body): JsonBody<CreateProductRequest>,
) -> Result<CommandReply, ApiError> {
    let currency = Currency::parse(&body.currency).map_err(|e| ApiError::invalid("currency", e))?;
    let price_minor = i64::try_from(body.price_minor).map_err(|_| ApiError::invalid("price_minor", "is too large"))?;
    context
        .send(&state, |command_id| AppCommand::CreateProduct {
            product_id: new_resource_id(command_id, "product"),
            sku: body.sku,
            title: body.title,
            price_minor,
            currency: currency.as_str().to_owned(),
            stock: body.stock,
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddStockRequest {
    /// Units to add.
    #[schema(example = 20)]
    pub add: u64,
}

#[utoipa::path(
    post,
    path = "/api/v1/products/{id}/stock",
    tag = "products",
    request_body = AddStockRequest,
    params(("id" = String, Path, description = "Product id"), IdempotencyKey),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The product with its new stock", body = Answered<ProductAnswer>),
        (status = 403, description = "`not_seller`: only the product's creator adds stock", body = ErrorBody),
        (status = 404, description = "`product_not_found`", body = ErrorBody),
        CommandRefusals,
    ),
)]
pub async fn add_stock(
    State(state): State<AppState>,
    context: CommandContext<Creator>,
    PathId(product_id): PathId,
    JsonBody(body): JsonBody<AddStockRequest>,
) -> Result<CommandReply, ApiError> {
    context.send(&state, |_| AppCommand::AddStock { product_id, add: body.add }).await
}

#[utoipa::path(
    get,
    path = "/api/v1/products/{id}",
    tag = "products",
    params(("id" = String, Path, description = "Product id"), ReadAfter),
    responses(
        (status = 200, body = ProductView),
        (status = 404, description = "`product_not_found`", body = ErrorBody),
        ReadRefusals,
    ),
)]
pub async fn get_product(
    State(state): State<AppState>,
    PathId(product_id): PathId,
    after: ReadAfter,
) -> Result<Json<ProductView>, ApiError> {
    after.wait(&state.read_models).await?;
    let product = state.read_models.product(&product_id).await.context("reading a product")?;
    Ok(Json(product.ok_or(ApiError::NotFound(NotFound::Product))?))
}
