//! The products view: each product with its live stock, and its reservations.
//! A step's stock and hold changes are folded in [`Pending`] and written once.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use cartcast_domain::product::{ProductEvent, Stock};
use cartcast_infra::store::StoredEvent;

use super::orders::History;
use crate::bulk;
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

/// Insert a newly created product's row (its stock comes with the page).
pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: &ProductEvent,
) -> Result<(), ReadError> {
    let ProductEvent::ProductCreated { seller, sku, title, price_minor, currency, .. } = event else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO rm_products (product_id, seller, sku, title, price_minor, currency, total, available, reserved, sold, position) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0) ON CONFLICT (product_id) DO NOTHING",
    )
    .bind(&stored.aggregate_id)
    .bind(seller)
    .bind(sku)
    .bind(title)
    .bind(*price_minor)
    .bind(currency.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A step's writes to products and reservations, folded: each product's
/// stock after its last event, the holds taken (in the status they end the
/// step in) and the new status of older holds.
#[derive(Default)]
pub(super) struct Pending {
    stock: BTreeMap<String, (Stock, u64)>,
    holds: Vec<Hold>,
    /// Index in `holds` by reservation id.
    taken: HashMap<String, usize>,
    statuses: BTreeMap<String, &'static str>,
}

/// A hold taken in this step.
struct Hold {
    reservation_id: String,
    product_id: String,
    buyer: String,
    quantity: i64,
    status: &'static str,
    expires_at: String,
}

impl Pending {
    /// Add one of a product's events: its stock, its hold's status, and the hold's history.
    pub(super) fn record(&mut self, history: &mut History, position: u64, stored: &StoredEvent, event: ProductEvent) {
        let product_id = stored.aggregate_id.as_str();
        self.stock.insert(product_id.to_owned(), (event.stock(), position));
        let (reservation_id, status) = match event {
            ProductEvent::ProductCreated { .. } | ProductEvent::StockAdded { .. } => return,
            ProductEvent::UnitsReserved { reservation_id, buyer, quantity, expires_at, .. } => {
                let reservation_id = reservation_id.to_string();
                self.taken.insert(reservation_id.clone(), self.holds.len());
                self.holds.push(Hold {
                    reservation_id: reservation_id.clone(),
                    product_id: product_id.to_owned(),
                    buyer,
                    quantity: quantity as i64,
                    status: "held",
                    expires_at: expires_at.to_rfc3339(),
                });
                (reservation_id, None)
            }
            ProductEvent::ReservationReleased { reservation_id, .. } => (reservation_id.to_string(), Some("released")),
            ProductEvent::ReservationExpired { reservation_id, .. } => (reservation_id.to_string(), Some("expired")),
            ProductEvent::UnitsSold { reservation_id, .. } => (reservation_id.to_string(), Some("sold")),
        };
        if let Some(status) = status {
            match self.taken.get(&reservation_id) {
                Some(&at) => self.holds[at].status = status,
                None => {
                    self.statuses.insert(reservation_id.clone(), status);
                }
            }
        }
        history.record(format!("reservation:{reservation_id}"), position, stored);
    }

    /// Write what the step gathered, and start again empty.
    pub(super) async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let Pending { stock, holds, statuses, .. } = std::mem::take(self);
        bulk::insert(
            tx,
            "rm_reservations (reservation_id, product_id, buyer, quantity, status, expires_at)",
            6,
            "ON CONFLICT (reservation_id) DO NOTHING",
            &holds,
            |query, hold| {
                query
                    .bind(&hold.reservation_id)
                    .bind(&hold.product_id)
                    .bind(&hold.buyer)
                    .bind(hold.quantity)
                    .bind(hold.status)
                    .bind(&hold.expires_at)
            },
        )
        .await?;
        let statuses: Vec<_> = statuses.into_iter().collect();
        bulk::update(
            tx,
            "UPDATE rm_reservations SET status = v.column2",
            "WHERE rm_reservations.reservation_id = v.column1",
            2,
            &statuses,
            |query, (reservation_id, status)| query.bind(reservation_id).bind(*status),
        )
        .await?;
        let stock: Vec<_> = stock.into_iter().collect();
        bulk::update(
            tx,
            "UPDATE rm_products SET total = v.column2, available = v.column3, reserved = v.column4, \
             sold = v.column5, position = v.column6",
            "WHERE rm_products.product_id = v.column1",
            6,
            &stock,
            |query, (product_id, (stock, position))| {
                query
                    .bind(product_id)
                    .bind(stock.total as i64)
                    .bind(stock.available as i64)
                    .bind(stock.reserved as i64)
                    .bind(stock.sold as i64)
                    .bind(*position as i64)
            },
        )
        .await
    }
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
