//! The peer: the same flash sale against plain cqrs-es on postgres-es, the way
//! a user of those crates writes it — load the aggregate, decide, append with
//! an optimistic lock, and retry the whole command on a conflict.

use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context;
use cartcast_domain::money::Currency;
use cartcast_domain::product::{Product, ProductCommand, ProductError};
use chrono::Utc;
use cqrs_es::AggregateError;
use postgres_es::{PostgresCqrs, postgres_cqrs};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::drive::{Answer, Reply, Sale, Tally, drive};

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

/// Runs the sale with a pool of `connections` in a database of its own,
/// created on the server `url` names and dropped afterwards, whatever the outcome.
pub async fn run(url: &str, sale: &Sale, connections: u32) -> anyhow::Result<Tally> {
    let server = PgConnectOptions::from_str(url).context("parsing --postgres-url")?;
    let mut admin = PgConnection::connect_with(&server).await.context("connecting to --postgres-url")?;
    let database = format!("cartcast_naive_{}", Uuid::new_v4().simple());
    sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating database {database}"))?;
    let tally = sell(server.database(&database), sale, connections).await;
    let dropped = sqlx::raw_sql(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("dropping database {database}"));
    let tally = tally?;
    dropped?;
    Ok(tally)
}

async fn sell(options: PgConnectOptions, sale: &Sale, connections: u32) -> anyhow::Result<Tally> {
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
        .context("connecting to the peer's database")?;
    sqlx::raw_sql(SCHEMA).execute(&pool).await.context("creating the postgres-es tables")?;
    let cqrs = Arc::new(postgres_cqrs::<Product>(pool.clone(), vec![], ()));
    let product_id: Arc<str> = Uuid::now_v7().to_string().into();
    cqrs.execute(
        &product_id,
        ProductCommand::Create {
            product_id: product_id.to_string(),
            seller: "flash-sale-creator".to_owned(),
            sku: format!("naive-{}", Uuid::new_v4().simple()),
            title: "Flash sale".to_owned(),
            price_minor: 1999,
            currency: Currency::parse("EUR").context("parsing EUR")?,
            stock: sale.units,
        },
    )
    .await
    .context("creating the peer's product")?;
    let attempts =
        (0..sale.buyers).map(|buyer| reserve(cqrs.clone(), product_id.clone(), format!("naive-buyer-{buyer}")));
    let mut tally = drive("peer", sale.concurrency, attempts).await?;
    check_store(&pool, &product_id, &mut tally).await?;
    pool.close().await;
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
