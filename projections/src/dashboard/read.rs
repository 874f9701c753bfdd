//! Reading a show's dashboard: its rows, in one snapshot, turned into the
//! [`Dashboard`] the API and the creator's socket carry.

use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

use cartcast_infra::dashboard::{Audience, Dashboard, Minute, ProductSales};

use super::minute;
use crate::read_models::{Dialect, ReadError, ReadModels};

/// A show's dashboard, and whose it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowDashboard {
    /// The show's creator: the one user who may read it.
    pub creator: String,
    pub dashboard: Dashboard,
}

impl ReadModels {
    /// The dashboard of `show_id`, `None` for a show the projection has not seen.
    pub async fn dashboard(&self, show_id: &str) -> Result<Option<ShowDashboard>, ReadError> {
        let mut tx = self.pool().begin().await?;
        if self.dialect() == Dialect::Postgres {
            // One snapshot for every query below (SQLite's read transaction is one already).
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
        }
        let Some(show) = sqlx::query(
            "SELECT creator, status, live_at_ms, ended_at_ms, connected, watching, peak, unique_viewers, currency \
             FROM rm_dash_shows WHERE show_id = $1",
        )
        .bind(show_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let (live_at, ended_at) = (time(show.get(2)), time(show.get(3)));
        let viewers = Audience {
            connected: count(show.get(4)),
            watching: count(show.get(5)),
            peak: count(show.get(6)),
            unique: count(show.get(7)),
        };
        let minutes = minutes(&mut tx, show_id).await?;
        let buyers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rm_dash_buyers WHERE show_id = $1")
            .bind(show_id)
            .fetch_one(&mut *tx)
            .await?;
        let products = products(&mut tx, show_id, live_at).await?;
        tx.commit().await?;

        let sum = |field: fn(&Minute) -> u64| minutes.iter().map(field).sum::<u64>();
        let buyers = count(buyers);
        let dashboard = Dashboard {
            show_id: show_id.to_owned(),
            status: show.get(1),
            live_at,
            ended_at,
            viewers,
            orders: sum(|m| m.orders),
            revenue_minor: minutes.iter().map(|m| m.revenue_minor).sum(),
            currency: show.get(8),
            buyers,
            conversion: if viewers.unique == 0 { 0.0 } else { buyers as f64 / viewers.unique as f64 },
            reservations: sum(|m| m.reservations),
            expiries: sum(|m| m.expiries),
            declines: sum(|m| m.declines),
            chat: sum(|m| m.chat),
            reactions: sum(|m| m.reactions),
            per_minute: every_minute(minutes, live_at, ended_at),
            products,
        };
        Ok(Some(ShowDashboard { creator: show.get(0), dashboard }))
    }
}

/// The show's minutes with activity, oldest first.
async fn minutes(tx: &mut Transaction<'static, Any>, show_id: &str) -> Result<Vec<Minute>, ReadError> {
    let rows = sqlx::query(
        "SELECT minute, watching, chat, reactions, reservations, orders, revenue_minor, expiries, declines \
         FROM rm_dash_minutes WHERE show_id = $1 ORDER BY minute",
    )
    .bind(show_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|row| Minute {
            t: DateTime::from_timestamp(row.get(0), 0).unwrap_or_default(),
            watching: count(row.get(1)),
            chat: count(row.get(2)),
            reactions: count(row.get(3)),
            reservations: count(row.get(4)),
            orders: count(row.get(5)),
            revenue_minor: row.get(6),
            expiries: count(row.get(7)),
            declines: count(row.get(8)),
        })
        .collect())
}

/// The show's products in the order they were attached.
async fn products(
    tx: &mut Transaction<'static, Any>,
    show_id: &str,
    live_at: Option<DateTime<Utc>>,
) -> Result<Vec<ProductSales>, ReadError> {
    let rows = sqlx::query(
        "SELECT p.product_id, p.sold, s.available, s.sold_out_at_ms FROM rm_dash_products p \
         LEFT JOIN rm_dash_stock s ON s.product_id = p.product_id WHERE p.show_id = $1 ORDER BY p.attached",
    )
    .bind(show_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let sold_out_at = time(row.get(3));
            let sold_out_after_s = sold_out_at
                .zip(live_at)
                .map(|(sold_out, live)| count(sold_out.signed_duration_since(live).num_seconds()));
            ProductSales {
                product_id: row.get(0),
                sold: count(row.get(1)),
                available: row.get::<Option<i64>, _>(2).map_or(0, count),
                sold_out_after_s,
            }
        })
        .collect())
}

/// `minutes` with the quiet minutes between the first and the last put in
/// as zeros; the span reaches back to the show's start and on to its end.
fn every_minute(minutes: Vec<Minute>, live_at: Option<DateTime<Utc>>, ended_at: Option<DateTime<Utc>>) -> Vec<Minute> {
    let known = minutes.iter().map(|m| m.t.timestamp());
    let bounds = known.chain(live_at.map(minute)).chain(ended_at.map(minute));
    let (Some(first), Some(last)) = (bounds.clone().min(), bounds.max()) else {
        return minutes;
    };
    let mut minutes = minutes.into_iter().peekable();
    (first..=last)
        .step_by(60)
        .map(|second| match minutes.next_if(|m| m.t.timestamp() == second) {
            Some(minute) => minute,
            None => Minute { t: DateTime::from_timestamp(second, 0).unwrap_or_default(), ..Minute::default() },
        })
        .collect()
}

fn time(millis: Option<i64>) -> Option<DateTime<Utc>> {
    millis.and_then(DateTime::from_timestamp_millis)
}

/// A stored count as it is read: never below zero.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(second, 0).unwrap()
    }

    #[test]
    fn quiet_minutes_between_the_start_and_the_end_are_zeros() {
        let busy = Minute { t: at(120), orders: 2, revenue_minor: 500, ..Minute::default() };
        let filled = every_minute(vec![busy], Some(at(65)), Some(at(250)));
        let starts: Vec<i64> = filled.iter().map(|m| m.t.timestamp()).collect();
        assert_eq!(starts, [60, 120, 180, 240]);
        assert_eq!(filled[1], busy);
        assert_eq!(filled[0], Minute { t: at(60), ..Minute::default() });
        assert!(every_minute(vec![], None, None).is_empty());
    }
}
