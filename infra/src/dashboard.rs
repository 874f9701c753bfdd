//! The creator dashboard of one show, as the read side computes it
//! (`GET /api/v1/shows/{id}/dashboard`) and the creator's live socket
//! carries it (the `dashboard` frame): the audience, each minute's activity
//! and sales, conversion and each product's sell-through. After the show it
//! stays as the show's summary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One show's dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Dashboard {
    pub show_id: String,
    /// `scheduled`, `live`, `ended` or `cancelled`.
    pub status: String,
    pub live_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub viewers: Audience,
    /// Every minute from the first with activity to the last, oldest first
    /// (a quiet minute between them is there with zeros).
    pub per_minute: Vec<Minute>,
    /// Confirmed orders, and what they were paid, in the currency's minor unit.
    pub orders: u64,
    pub revenue_minor: i64,
    /// ISO 4217 code of the orders' currency, once there is an order.
    pub currency: Option<String>,
    /// Distinct buyers of confirmed orders.
    pub buyers: u64,
    /// Buyers ÷ unique viewers (0 before the first viewer is counted).
    pub conversion: f64,
    /// Holds taken on the show's products while it was live.
    pub reservations: u64,
    /// Of those, holds that ran out before checkout.
    pub expiries: u64,
    /// Checkouts whose payment was declined.
    pub declines: u64,
    /// Chat messages posted, and reactions sent.
    pub chat: u64,
    pub reactions: u64,
    /// The show's products, in the order they were attached.
    pub products: Vec<ProductSales>,
}

/// The show's audience: now (zero once it ended), at its peak, and unique.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schema(as = DashboardAudience))]
#[cfg_attr(feature = "schema", schemars(rename = "DashboardAudience"))]
pub struct Audience {
    pub connected: u64,
    pub watching: u64,
    /// The most watching at once.
    pub peak: u64,
    /// Distinct sessions that joined (a HyperLogLog estimate).
    pub unique: u64,
}

/// One minute of the show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", schema(as = DashboardMinute))]
#[cfg_attr(feature = "schema", schemars(rename = "DashboardMinute"))]
pub struct Minute {
    /// The minute's start.
    pub t: DateTime<Utc>,
    /// The most watching in the minute's audience samples (0 without one).
    pub watching: u64,
    pub chat: u64,
    pub reactions: u64,
    pub reservations: u64,
    pub orders: u64,
    pub revenue_minor: i64,
    pub expiries: u64,
    pub declines: u64,
}

/// How one of the show's products sold in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProductSales {
    pub product_id: String,
    /// Units sold to holds taken in this show.
    pub sold: u64,
    /// Units on sale now.
    pub available: u64,
    /// From the show going live to its last unit sold, once every unit is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sold_out_after_s: Option<u64>,
}
