//! The dashboard's writes for one step. Holds, orders, stock and the
//! gateways' samples are gathered — counts summed per show and minute, each
//! product's stock folded to its last — and written once per step; a show's
//! own events (going live, products attached) first write what is gathered,
//! then their rows, so every row ends as if each event had been applied
//! alone, in order. What the step reads back (a product's live show, a
//! hold's show, an order) it reads from what it gathered first, then from
//! the database, remembered until it next writes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use sqlx::{Any, Transaction};

use cartcast_domain::live_stats::{LiveStats, LiveStatsEvent, stream_of};
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent, Stock};
use cartcast_domain::show::Show;
use cartcast_infra::store::StoredEvent;

use super::{Tally, apply_show, minute};
use crate::bulk;
use crate::read_models::ReadError;

/// What one step of the dashboard projection writes.
#[derive(Default)]
pub struct Page {
    /// Each product's stock writes, folded to at most two (see [`StockWrites::push`]).
    stock: BTreeMap<String, StockWrites>,
    /// Holds taken while a show was live: reservation → (show, product).
    holds: BTreeMap<String, (String, String)>,
    /// Orders placed on those holds.
    orders: BTreeMap<String, ShowOrder>,
    buyers: BTreeSet<(String, String)>,
    /// Each show's first currency confirmed in the step.
    currencies: BTreeMap<String, String>,
    /// Units sold per show and product.
    sold: BTreeMap<(String, String), i64>,
    minutes: BTreeMap<(String, i64), MinuteCounts>,
    audience: BTreeMap<String, AudienceSample>,
    /// What the step read from the database, valid until it next writes.
    live_shows: HashMap<String, Option<String>>,
    hold_shows: HashMap<String, Option<String>>,
    known_orders: HashMap<String, Option<ShowOrder>>,
}

/// An order of a show's hold.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ShowOrder {
    show_id: String,
    buyer: String,
    amount_minor: i64,
    currency: String,
}

/// What a step adds to one minute of a show: the most watching sampled, and each tally.
#[derive(Default)]
struct MinuteCounts {
    watching: i64,
    tallies: [i64; Tally::ALL.len()],
}

/// A show's last viewer counts in the step, and the most it sampled.
#[derive(Default)]
struct AudienceSample {
    connected: i64,
    watching: i64,
    peak: i64,
    unique: i64,
}

/// A product's writes to `rm_dash_stock`, each `(available, sold out at)`.
#[derive(Default)]
struct StockWrites(Vec<(i64, Option<i64>)>);

impl StockWrites {
    /// Add one write. A write that is not sold out clears the time, so it
    /// leaves only itself; sold-out writes in a row keep the first time
    /// (the database keeps the earliest), so at most two writes remain.
    fn push(&mut self, available: i64, sold_out_at: Option<i64>) {
        match (sold_out_at, self.0.last_mut()) {
            (None, _) => self.0 = vec![(available, None)],
            (Some(_), Some((last, Some(_)))) => *last = available,
            (Some(at), _) => self.0.push((available, Some(at))),
        }
    }
}

impl Page {
    /// Apply one event inside the projection's transaction.
    pub async fn apply(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        position: u64,
        event: &StoredEvent,
    ) -> Result<(), ReadError> {
        match stream_of(&event.aggregate_type, &event.event_type) {
            t if t == Show::TYPE => {
                self.flush(tx).await?;
                apply_show(tx, position, event, event.payload_as()?).await
            }
            t if t == LiveStats::TYPE => {
                self.live_stats(event, event.payload_as()?);
                Ok(())
            }
            t if t == Product::TYPE => self.product(tx, event, event.payload_as()?).await,
            t if t == Order::TYPE => self.order(tx, event, event.payload_as()?).await,
            _ => Ok(()),
        }
    }

    fn live_stats(&mut self, stored: &StoredEvent, event: LiveStatsEvent) {
        let (show_id, at) = (&stored.aggregate_id, stored.metadata.occurred_at);
        match event {
            LiveStatsEvent::ViewersCounted { connected, watching } => {
                let audience = self.audience.entry(show_id.clone()).or_default();
                (audience.connected, audience.watching) = (connected as i64, watching as i64);
            }
            LiveStatsEvent::AudienceSampled { connected, watching, peak, unique } => {
                let audience = self.audience.entry(show_id.clone()).or_default();
                (audience.connected, audience.watching) = (connected as i64, watching as i64);
                audience.peak = audience.peak.max(peak as i64);
                audience.unique = audience.unique.max(unique as i64);
                let minute = self.minute(show_id, at);
                minute.watching = minute.watching.max(watching as i64);
            }
            LiveStatsEvent::ReactionsCounted { counts } => {
                self.bump(show_id, at, Tally::Reactions, counts.values().sum::<u64>() as i64);
            }
            LiveStatsEvent::ChatCounted { messages } => self.bump(show_id, at, Tally::Chat, messages as i64),
            LiveStatsEvent::StreamHealthReported { .. } => {}
        }
    }

    async fn product(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        stored: &StoredEvent,
        event: ProductEvent,
    ) -> Result<(), ReadError> {
        let (product_id, at) = (stored.aggregate_id.as_str(), stored.metadata.occurred_at);
        self.set_stock(product_id, event.stock(), at);
        match event {
            ProductEvent::UnitsReserved { reservation_id, .. } => {
                let Some(show_id) = self.live_show(tx, product_id).await? else {
                    return Ok(());
                };
                let hold = (show_id.clone(), product_id.to_owned());
                self.holds.entry(reservation_id.to_string()).or_insert(hold);
                self.bump(&show_id, at, Tally::Reservations, 1);
            }
            ProductEvent::ReservationExpired { reservation_id, .. } => {
                if let Some(show_id) = self.show_of_hold(tx, &reservation_id.to_string()).await? {
                    self.bump(&show_id, at, Tally::Expiries, 1);
                }
            }
            ProductEvent::UnitsSold { reservation_id, quantity, .. } => {
                if let Some(show_id) = self.show_of_hold(tx, &reservation_id.to_string()).await? {
                    *self.sold.entry((show_id, product_id.to_owned())).or_default() += quantity as i64;
                }
            }
            ProductEvent::ProductCreated { .. }
            | ProductEvent::StockAdded { .. }
            | ProductEvent::ReservationReleased { .. } => {}
        }
        Ok(())
    }

    async fn order(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        stored: &StoredEvent,
        event: OrderEvent,
    ) -> Result<(), ReadError> {
        let (order_id, at) = (stored.aggregate_id.as_str(), stored.metadata.occurred_at);
        match event {
            OrderEvent::OrderPlaced { reservation_id, buyer, amount_minor, currency, .. } => {
                if let Some(show_id) = self.show_of_hold(tx, &reservation_id.to_string()).await? {
                    let order = ShowOrder { show_id, buyer, amount_minor, currency: currency.as_str().to_owned() };
                    self.orders.entry(order_id.to_owned()).or_insert(order);
                }
            }
            OrderEvent::OrderConfirmed => {
                if let Some(order) = self.show_order(tx, order_id).await? {
                    self.bump(&order.show_id, at, Tally::Orders, 1);
                    self.bump(&order.show_id, at, Tally::Revenue, order.amount_minor);
                    self.buyers.insert((order.show_id.clone(), order.buyer));
                    self.currencies.entry(order.show_id).or_insert(order.currency);
                }
            }
            OrderEvent::PaymentDeclined { .. } => {
                if let Some(order) = self.show_order(tx, order_id).await? {
                    self.bump(&order.show_id, at, Tally::Declines, 1);
                }
            }
            OrderEvent::PaymentCaptured { .. } | OrderEvent::OrderExpired { .. } => {}
        }
        Ok(())
    }

    /// Keeps the product's units on sale, and when its last unit sold (while every unit is sold).
    fn set_stock(&mut self, product_id: &str, stock: Stock, at: DateTime<Utc>) {
        let sold_out = stock.total > 0 && stock.sold == stock.total;
        let writes = self.stock.entry(product_id.to_owned()).or_default();
        writes.push(stock.available as i64, sold_out.then(|| at.timestamp_millis()));
    }

    fn minute(&mut self, show_id: &str, at: DateTime<Utc>) -> &mut MinuteCounts {
        self.minutes.entry((show_id.to_owned(), minute(at))).or_default()
    }

    /// Adds `by` to what the show's minute at `at` counts of `tally`.
    fn bump(&mut self, show_id: &str, at: DateTime<Utc>, tally: Tally, by: i64) {
        self.minute(show_id, at).tallies[tally as usize] += by;
    }

    /// The live show of the product's shows (the latest to go live, if two are).
    async fn live_show(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        product_id: &str,
    ) -> Result<Option<String>, ReadError> {
        if let Some(show_id) = self.live_shows.get(product_id) {
            return Ok(show_id.clone());
        }
        let show_id: Option<String> = sqlx::query_scalar(
            "SELECT p.show_id FROM rm_dash_products p JOIN rm_dash_shows s ON s.show_id = p.show_id \
             WHERE p.product_id = $1 AND s.status = 'live' ORDER BY s.live_at_ms DESC LIMIT 1",
        )
        .bind(product_id)
        .fetch_optional(&mut **tx)
        .await?;
        self.live_shows.insert(product_id.to_owned(), show_id.clone());
        Ok(show_id)
    }

    /// The show a hold counts for, if it was taken while one was live.
    async fn show_of_hold(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        reservation_id: &str,
    ) -> Result<Option<String>, ReadError> {
        if let Some((show_id, _)) = self.holds.get(reservation_id) {
            return Ok(Some(show_id.clone()));
        }
        if let Some(show_id) = self.hold_shows.get(reservation_id) {
            return Ok(show_id.clone());
        }
        let show_id: Option<String> = sqlx::query_scalar("SELECT show_id FROM rm_dash_holds WHERE reservation_id = $1")
            .bind(reservation_id)
            .fetch_optional(&mut **tx)
            .await?;
        self.hold_shows.insert(reservation_id.to_owned(), show_id.clone());
        Ok(show_id)
    }

    /// The order, if it was placed on a show's hold.
    async fn show_order(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        order_id: &str,
    ) -> Result<Option<ShowOrder>, ReadError> {
        if let Some(order) = self.orders.get(order_id) {
            return Ok(Some(order.clone()));
        }
        if let Some(order) = self.known_orders.get(order_id) {
            return Ok(order.clone());
        }
        let order: Option<ShowOrder> =
            sqlx::query_as("SELECT show_id, buyer, amount_minor, currency FROM rm_dash_orders WHERE order_id = $1")
                .bind(order_id)
                .fetch_optional(&mut **tx)
                .await?;
        self.known_orders.insert(order_id.to_owned(), order.clone());
        Ok(order)
    }

    /// Write what the step gathered, and start again empty (forgetting what it read).
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let page = std::mem::take(self);
        page.write_stock(tx).await?;
        page.write_sales(tx).await?;
        page.write_minutes(tx).await?;
        page.write_audience(tx).await
    }

    /// Each product's first write, then the second of those that have two
    /// (one statement may not write a row twice).
    async fn write_stock(&self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        for nth in 0..2 {
            let writes: Vec<_> = self.stock.iter().filter_map(|(id, writes)| Some((id, writes.0.get(nth)?))).collect();
            bulk::insert(
                tx,
                "rm_dash_stock (product_id, available, sold_out_at_ms)",
                3,
                "ON CONFLICT (product_id) DO UPDATE SET available = excluded.available, sold_out_at_ms = CASE \
                 WHEN excluded.sold_out_at_ms IS NULL THEN NULL \
                 ELSE COALESCE(rm_dash_stock.sold_out_at_ms, excluded.sold_out_at_ms) END",
                &writes,
                |query, (product_id, (available, sold_out_at))| {
                    query.bind(product_id.as_str()).bind(*available).bind(*sold_out_at)
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Holds, orders, buyers, currencies and units sold.
    async fn write_sales(&self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let holds: Vec<_> = self.holds.iter().collect();
        bulk::insert(
            tx,
            "rm_dash_holds (reservation_id, show_id, product_id)",
            3,
            "ON CONFLICT (reservation_id) DO NOTHING",
            &holds,
            |query, (reservation_id, (show_id, product_id))| {
                query.bind(reservation_id.as_str()).bind(show_id.as_str()).bind(product_id.as_str())
            },
        )
        .await?;
        let orders: Vec<_> = self.orders.iter().collect();
        bulk::insert(
            tx,
            "rm_dash_orders (order_id, show_id, buyer, amount_minor, currency)",
            5,
            "ON CONFLICT (order_id) DO NOTHING",
            &orders,
            |query, (order_id, order)| {
                query
                    .bind(order_id.as_str())
                    .bind(&order.show_id)
                    .bind(&order.buyer)
                    .bind(order.amount_minor)
                    .bind(&order.currency)
            },
        )
        .await?;
        let buyers: Vec<_> = self.buyers.iter().collect();
        bulk::insert(
            tx,
            "rm_dash_buyers (show_id, buyer)",
            2,
            "ON CONFLICT (show_id, buyer) DO NOTHING",
            &buyers,
            |query, (show_id, buyer)| query.bind(show_id.as_str()).bind(buyer.as_str()),
        )
        .await?;
        for (show_id, currency) in &self.currencies {
            sqlx::query("UPDATE rm_dash_shows SET currency = COALESCE(currency, $1) WHERE show_id = $2")
                .bind(currency)
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
        }
        let sold: Vec<_> = self.sold.iter().collect();
        bulk::update(
            tx,
            "UPDATE rm_dash_products SET sold = sold + v.column3",
            "WHERE rm_dash_products.show_id = v.column1 AND rm_dash_products.product_id = v.column2",
            3,
            &sold,
            |query, ((show_id, product_id), sold)| query.bind(show_id.as_str()).bind(product_id.as_str()).bind(**sold),
        )
        .await
    }

    async fn write_minutes(&self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let columns: Vec<&str> = Tally::ALL.iter().map(|tally| tally.column()).collect();
        let into = format!("rm_dash_minutes (show_id, minute, watching, {})", columns.join(", "));
        let sums: Vec<String> = columns.iter().map(|c| format!("{c} = rm_dash_minutes.{c} + excluded.{c}")).collect();
        let tail = format!(
            "ON CONFLICT (show_id, minute) DO UPDATE SET watching = CASE \
             WHEN excluded.watching > rm_dash_minutes.watching THEN excluded.watching \
             ELSE rm_dash_minutes.watching END, {}",
            sums.join(", ")
        );
        let minutes: Vec<_> = self.minutes.iter().collect();
        bulk::insert(tx, &into, 3 + columns.len(), &tail, &minutes, |query, ((show_id, minute), counts)| {
            let query = query.bind(show_id.as_str()).bind(*minute).bind(counts.watching);
            counts.tallies.iter().fold(query, |query, count| query.bind(*count))
        })
        .await
    }

    async fn write_audience(&self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        for (show_id, audience) in &self.audience {
            sqlx::query(
                "UPDATE rm_dash_shows SET connected = $1, watching = $2, \
                 peak = CASE WHEN $3 > peak THEN $3 ELSE peak END, \
                 unique_viewers = CASE WHEN $4 > unique_viewers THEN $4 ELSE unique_viewers END \
                 WHERE show_id = $5 AND status <> 'ended'",
            )
            .bind(audience.connected)
            .bind(audience.watching)
            .bind(audience.peak)
            .bind(audience.unique)
            .bind(show_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::StockWrites;

    #[test]
    fn stock_writes_fold_to_what_the_database_would_keep() {
        let mut writes = StockWrites::default();
        writes.push(5, None);
        writes.push(4, None);
        assert_eq!(writes.0, [(4, None)]);
        writes.push(0, Some(100));
        writes.push(0, Some(200));
        assert_eq!(writes.0, [(4, None), (0, Some(100))], "sold out since 100, not 200");
        writes.push(1, None);
        assert_eq!(writes.0, [(1, None)], "back on sale clears the time");
        let mut sold_out_all_along = StockWrites::default();
        sold_out_all_along.push(0, Some(300));
        sold_out_all_along.push(0, Some(400));
        assert_eq!(sold_out_all_along.0, [(0, Some(300))], "the database may hold an earlier time still");
    }
}
