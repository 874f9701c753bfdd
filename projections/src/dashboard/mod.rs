//! The creator dashboard projection (its own checkpoint, `dashboard`): per
//! show, the audience from the gateways' samples; each minute's watching,
//! chat, reactions, holds, orders, revenue, expiries and declines; and each
//! product's sell-through. A hold counts for the show that was live with
//! its product when the hold was taken (the latest to go live, if two
//! were); the order placed on it, its expiry and its declined payments
//! count for that show too, whenever they happen. A minute is the minute an
//! event occurred in. Read with [`ReadModels::dashboard`](crate::ReadModels::dashboard).

use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

use cartcast_domain::show::ShowEvent;
use cartcast_infra::store::StoredEvent;

use crate::read_models::ReadError;

mod page;
mod read;

pub use page::Page;
pub use read::ShowDashboard;

/// The projection's name in `projection_checkpoints`.
pub const DASHBOARD: &str = "dashboard";

async fn apply_show(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    stored: &StoredEvent,
    event: ShowEvent,
) -> Result<(), ReadError> {
    let show_id = stored.aggregate_id.as_str();
    match event {
        ShowEvent::ShowScheduled { creator, product_ids, .. } => {
            sqlx::query(
                "INSERT INTO rm_dash_shows (show_id, creator, status) VALUES ($1, $2, 'scheduled') \
                 ON CONFLICT (show_id) DO NOTHING",
            )
            .bind(show_id)
            .bind(creator)
            .execute(&mut **tx)
            .await?;
            attach(tx, position, show_id, &product_ids).await
        }
        ShowEvent::ProductsAttached { product_ids } => attach(tx, position, show_id, &product_ids).await,
        ShowEvent::ShowWentLive { at } => {
            sqlx::query("UPDATE rm_dash_shows SET status = 'live', live_at_ms = $1 WHERE show_id = $2")
                .bind(at.timestamp_millis())
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        ShowEvent::ShowEnded { at } => {
            sqlx::query(
                "UPDATE rm_dash_shows SET status = 'ended', ended_at_ms = $1, connected = 0, watching = 0 \
                 WHERE show_id = $2",
            )
            .bind(at.timestamp_millis())
            .bind(show_id)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
        ShowEvent::ShowCancelled => {
            sqlx::query("UPDATE rm_dash_shows SET status = 'cancelled' WHERE show_id = $1")
                .bind(show_id)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Adds `product_ids` to the show's products, after those it has.
async fn attach(
    tx: &mut Transaction<'static, Any>,
    position: u64,
    show_id: &str,
    product_ids: &[String],
) -> Result<(), ReadError> {
    for (index, product_id) in product_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO rm_dash_products (show_id, product_id, attached) VALUES ($1, $2, $3) \
             ON CONFLICT (show_id, product_id) DO NOTHING",
        )
        .bind(show_id)
        .bind(product_id)
        .bind((position * 1000 + index as u64) as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What a minute counts, each a column of `rm_dash_minutes`.
#[derive(Debug, Clone, Copy)]
enum Tally {
    Chat,
    Reactions,
    Reservations,
    Orders,
    Revenue,
    Expiries,
    Declines,
}

impl Tally {
    /// In the order of their indexes.
    const ALL: [Tally; 7] = [
        Tally::Chat,
        Tally::Reactions,
        Tally::Reservations,
        Tally::Orders,
        Tally::Revenue,
        Tally::Expiries,
        Tally::Declines,
    ];

    fn column(self) -> &'static str {
        match self {
            Tally::Chat => "chat",
            Tally::Reactions => "reactions",
            Tally::Reservations => "reservations",
            Tally::Orders => "orders",
            Tally::Revenue => "revenue_minor",
            Tally::Expiries => "expiries",
            Tally::Declines => "declines",
        }
    }
}

/// The Unix second the minute of `at` starts at.
fn minute(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60) * 60
}
