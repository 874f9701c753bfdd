//! The cqrs-es peers: the same flash sale against plain cqrs-es on
//! postgres-es, the way a user of those crates writes it — load the aggregate
//! (from all its events, or from the latest snapshot and the events since),
//! decide, append with an optimistic lock, and retry the whole command on a
//! conflict.

use std::sync::Arc;

use anyhow::Context;
use cartcast_domain::money::Currency;
use cartcast_domain::product::{Product, ProductCommand, ProductError};
use chrono::Utc;
use cqrs_es::AggregateError;
use postgres_es::{PostgresCqrs, postgres_cqrs, postgres_snapshot_cqrs};
use sqlx::PgPool;
use uuid::Uuid;

use crate::drive::{Answer, Reply, Sale, Tally, drive};
use crate::scratch::with_database;

/// The events and snapshots tables of postgres-es 0.5's `db/init.sql`.
const SCHEMA: &str = r"
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);
";

/// Conflicts one buyer retries before its attempt counts as an error.
const MAX_RETRIES: u64 = 10_000;

/// Where the aggregate is loaded from.
#[derive(Clone, Copy)]
pub enum Store {
    /// Every event of the product, each time (`postgres_cqrs`).
    Events,
    /// The latest snapshot, taken every `every` events, and the events since
    /// (`postgres_snapshot_cqrs`).
    Snapshots { every: usize },
}

impl Store {
    fn label(self) -> &'static str {
        match self {
            Store::Events => "naive-cqrs",
            Store::Snapshots { .. } => "snapshot-cqrs",
        }
    }
}

/// Runs the sale with a pool of `connections` in a database of its own on
/// the server `url` names.
pub async fn run(url: &str, sale: &Sale, connections: u32, store: Store) -> anyhow::Result<Tally> {
    with_database(url, "cartcast_cqrs_peer", connections, |pool| sell(pool, sale, store)).await
}

async fn sell(pool: PgPool, sale: &Sale, store: Store) -> anyhow::Result<Tally> {
    sqlx::raw_sql(SCHEMA).execute(&pool).await.context("creating the postgres-es tables")?;
    let cqrs = Arc::new(match store {
        Store::Events => postgres_cqrs::<Product>(pool.clone(), vec![], ()),
        Store::Snapshots { every } => postgres_snapshot_cqrs::<Product>(pool.clone(), vec![], every, ()),
    });
    let product_id: Arc<str> = Uuid::now_v7().to_string().into();
    cqrs.execute(
        &product_id,
        ProductCommand::Create {
            product_id: product_id.to_string(),
            seller: "flash-sale-creator".to_owned(),
            sku: format!("{}-{}", store.label(), Uuid::new_v4().simple()),
            title: "Flash sale".to_owned(),
            price_minor: 1999,
            currency: Currency::parse("EUR").context("parsing EUR")?,
            stock: sale.units,
        },
    )
    .await
    .context("creating the peer's product")?;
    let attempts =
        (0..sale.buyers).map(|buyer| reserve(cqrs.clone(), product_id.clone(), format!("peer-buyer-{buyer}")));
    let mut tally = drive(store.label(), sale.concurrency, attempts).await?;
    check_store(&pool, &product_id, &mut tally).await?;
    Ok(tally)
}

/// One buyer's reservation, retried from scratch on every optimistic-lock conflict.
async fn reserve(cqrs: Arc<PostgresCqrs<Product>>, product_id: Arc<str>, buyer: String) -> Reply {
    let mut retries = 0;
    loop {
        let command = ProductCommand::Reserve {
            buyer: buyer.clone(),
            quantity: 1,
            now: Utc::now(),
            hold_for: chrono::Duration::minutes(5),
        };
        let answer = match cqrs.execute(&product_id, command).await {
            Ok(()) => Answer::Sold { position: None },
            Err(AggregateError::AggregateConflict) if retries < MAX_RETRIES => {
                retries += 1;
                continue;
            }
            Err(AggregateError::UserError(ProductError::SoldOut { .. })) => Answer::SoldOut,
            Err(error) => failure(&error, retries),
        };
        return Reply { answer, retries };
    }
}

/// Anything but a sale or a sold-out refusal, grouped by the cqrs-es error kind.
fn failure(error: &AggregateError<ProductError>, retries: u64) -> Answer {
    let kind = match error {
        AggregateError::AggregateConflict => "optimistic-lock conflicts past the retry limit",
        AggregateError::UserError(_) => "refused other than sold out",
        AggregateError::DatabaseConnectionError(_) => "database connection",
        AggregateError::DeserializationError(_) => "deserialization",
        AggregateError::UnexpectedError(_) => "unexpected",
    };
    Answer::Failed { kind: kind.to_owned(), detail: format!("{error} (after {retries} retries)") }
}

/// Counts the holds the store recorded; any difference from the answers is an error.
async fn check_store(pool: &PgPool, product_id: &str, tally: &mut Tally) -> anyhow::Result<()> {
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'Product' AND aggregate_id = $1 AND event_type = 'UnitsReserved'",
    )
    .bind(product_id)
    .fetch_one(pool)
    .await
    .context("counting the peer's stored holds")?;
    if u64::try_from(stored) != Ok(tally.sold) {
        let detail = format!("the store holds {stored} reservations but {} were answered sold", tally.sold);
        tally.fail("store disagrees with the answers", detail);
    }
    Ok(())
}
