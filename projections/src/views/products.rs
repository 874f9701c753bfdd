//! The products view: each product with its live stock, and its reservations.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use cartcast_domain::product::{ProductEvent, Stock};
use cartcast_infra::store::StoredEvent;

use super::orders::record_history;
use crate::read_models::{ReadError, ReadModels, bind_all, placeholders};

/// A product's stock as the catalog last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Stock)]
pub struct StockView {
    /// Always `available + reserved + sold`.
    pub total: i64,
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
}

/// A product with its live stock (`GET /api/v1/products/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Product)]
pub struct ProductView {
    pub product_id: String,
    /// The creator who sells it.
    pub seller: String,
    pub sku: String,
    pub title: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: StockView,
}

/// Apply one of a product's events: its row, its reservations and their history.
pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    stored: &StoredEvent,
    event: ProductEvent,
) -> Result<(), ReadError> {
    let product_id = stored.aggregate_id.as_str();
    let stock = event.stock();
    match event {
        ProductEvent::ProductCreated { seller, sku, title, price_minor, currency, .. } => {
            sqlx::query(
                "INSERT INTO rm_products (product_id, seller, sku, title, price_minor, currency, total, available, reserved, sold, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0) ON CONFLICT (product_id) DO NOTHING",
            )
            .bind(product_id)
            .bind(seller)
            .bind(sku)
            .bind(title)
            .bind(price_minor)
            .bind(currency.as_str().to_owned())
            .execute(&mut **tx)
            .await?;
        }
        ProductEvent::StockAdded { .. } => {}
        ProductEvent::UnitsReserved { reservation_id, buyer, quantity, expires_at, .. } => {
            sqlx::query(
                "INSERT INTO rm_reservations (reservation_id, product_id, buyer, quantity, status, expires_at) \
                 VALUES ($1, $2, $3, $4, 'held', $5) ON CONFLICT (reservation_id) DO NOTHING",
            )
            .bind(reservation_id.to_string())
            .bind(product_id)
            .bind(buyer)
            .bind(quantity as i64)
            .bind(expires_at.to_rfc3339())
            .execute(&mut **tx)
            .await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
        ProductEvent::ReservationReleased { reservation_id, .. } => {
            set_reservation_status(tx, &reservation_id.to_string(), "released").await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
        ProductEvent::ReservationExpired { reservation_id, .. } => {
            set_reservation_status(tx, &reservation_id.to_string(), "expired").await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
        ProductEvent::UnitsSold { reservation_id, .. } => {
            set_reservation_status(tx, &reservation_id.to_string(), "sold").await?;
            record_history(tx, format!("reservation:{reservation_id}"), position, stored).await?;
        }
    }
    set_stock(tx, product_id, stock, position).await
}

async fn set_stock(
    tx: &mut Transaction<'static, Any>,
    product_id: &str,
    stock: Stock,
    position: u64,
) -> Result<(), ReadError> {
    sqlx::query("UPDATE rm_products SET total = $1, available = $2, reserved = $3, sold = $4, position = $5 WHERE product_id = $6")
        .bind(stock.total as i64)
        .bind(stock.available as i64)
        .bind(stock.reserved as i64)
        .bind(stock.sold as i64)
        .bind(position as i64)
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn set_reservation_status(
    tx: &mut Transaction<'static, Any>,
    reservation_id: &str,
    status: &str,
) -> Result<(), ReadError> {
    sqlx::query("UPDATE rm_reservations SET status = $1 WHERE reservation_id = $2")
        .bind(status)
        .bind(reservation_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl ReadModels {
    pub async fn product(&self, product_id: &str) -> Result<Option<ProductView>, ReadError> {
        Ok(self.products(&[product_id.to_owned()]).await?.pop())
    }

    /// The products of `product_ids` that exist, in the order given.
    pub async fn products(&self, product_ids: &[String]) -> Result<Vec<ProductView>, ReadError> {
        let sql = format!(
            "SELECT product_id, seller, sku, title, price_minor, currency, total, available, reserved, sold \
             FROM rm_products WHERE product_id IN ({})",
            placeholders(product_ids.len())
        );
        let mut found: Vec<ProductView> = bind_all(sqlx::query(&sql), product_ids)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| ProductView {
                product_id: r.get(0),
                seller: r.get(1),
                sku: r.get(2),
                title: r.get(3),
                price_minor: r.get(4),
                currency: r.get(5),
                stock: StockView { total: r.get(6), available: r.get(7), reserved: r.get(8), sold: r.get(9) },
            })
            .collect();
        found.sort_by_key(|p| product_ids.iter().position(|id| *id == p.product_id));
        Ok(found)
    }
}
