//! Which events an export keeps: by event type, aggregate, show, time and
//! position. A show's scope is learned from the feed itself in global
//! order: its own streams, the products it lists, and the orders placed for
//! them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;

use cartcast_domain::live_stats::LiveStats;
use cartcast_domain::order::Order;
use cartcast_domain::poll::Polls;
use cartcast_domain::product::Product;
use cartcast_domain::show::Show;
use cartcast_infra::store::RawEvent;

/// Every field narrows; an empty filter keeps everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Keep these event types (any of them); empty: every type.
    pub event_types: Vec<String>,
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    /// Keep what belongs to this show (see [`ShowScope`]).
    pub show: Option<String>,
    /// Occurred at or after.
    pub since: Option<DateTime<Utc>>,
    /// Occurred before.
    pub until: Option<DateTime<Utc>>,
    /// Start after this global position.
    pub after: u64,
    /// Stop at this global position (inclusive).
    pub to: Option<u64>,
    /// Stop after writing this many events.
    pub limit: Option<u64>,
}

impl Filter {
    /// Whether `event` passes every field but the show and the position
    /// range; its metadata is read only for a time range.
    pub(crate) fn keeps(&self, event: &RawEvent) -> Result<bool, serde_json::Error> {
        let named = (self.event_types.is_empty() || self.event_types.contains(&event.event_type))
            && self.aggregate_type.as_ref().is_none_or(|t| *t == event.aggregate_type)
            && self.aggregate_id.as_ref().is_none_or(|id| *id == event.aggregate_id);
        if !named || (self.since.is_none() && self.until.is_none()) {
            return Ok(named);
        }
        let occurred_at = serde_json::from_str::<When>(&event.metadata)?.occurred_at;
        Ok(self.since.is_none_or(|since| occurred_at >= since) && self.until.is_none_or(|until| occurred_at < until))
    }
}

/// Of an event's metadata, when it occurred.
#[derive(serde::Deserialize)]
struct When {
    occurred_at: DateTime<Utc>,
}

/// What belongs to one show: the events of its own streams (`Show`,
/// `LiveStats`, `Polls`, all keyed by the show id), events that name it
/// (`show_id` in their payload: moderation in its chat, raids' targets), the
/// events of the products it lists, and of the orders placed for those.
#[derive(Debug, Clone)]
pub struct ShowScope {
    show_id: String,
    products: HashSet<String>,
    orders: HashSet<String>,
}

impl ShowScope {
    pub fn new(show_id: &str) -> Self {
        Self { show_id: show_id.to_owned(), products: HashSet::new(), orders: HashSet::new() }
    }

    /// Learn from `event` (every event, in global order) and say whether it
    /// belongs to the show. Its payload is read only where it may name the
    /// show or its products.
    pub fn admits(&mut self, event: &RawEvent) -> Result<bool, serde_json::Error> {
        let kind = event.aggregate_type.as_str();
        let own = event.aggregate_id == self.show_id && [Show::TYPE, LiveStats::TYPE, Polls::TYPE].contains(&kind);
        let names = |field: &str| event.payload.contains(&format!("\"{field}\""));
        let payload: serde_json::Value = if (own && kind == Show::TYPE) || names("show_id") || names("product_id") {
            serde_json::from_str(&event.payload)?
        } else {
            serde_json::Value::Null
        };
        Ok(self.learn(event, kind, own, &payload))
    }

    fn learn(&mut self, event: &RawEvent, kind: &str, own: bool, payload: &serde_json::Value) -> bool {
        if own && kind == Show::TYPE {
            for key in ["product_ids", "product_id"] {
                match &payload[key] {
                    serde_json::Value::Array(ids) => {
                        self.products.extend(ids.iter().filter_map(|id| id.as_str().map(str::to_owned)));
                    }
                    serde_json::Value::String(id) => {
                        self.products.insert(id.clone());
                    }
                    _ => {}
                }
            }
        }
        if own || payload["show_id"].as_str() == Some(&self.show_id) {
            return true;
        }
        match kind {
            Product::TYPE => self.products.contains(&event.aggregate_id),
            Order::TYPE => {
                let placed_here = payload["product_id"].as_str().is_some_and(|p| self.products.contains(p));
                if placed_here {
                    self.orders.insert(event.aggregate_id.clone());
                }
                placed_here || self.orders.contains(&event.aggregate_id)
            }
            _ => false,
        }
    }
}
