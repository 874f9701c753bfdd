//! The classic peer without event sourcing, as Saleor-style shops sell: one
//! PostgreSQL transaction per buyer that takes a unit with
//! `UPDATE … SET available = available - 1 WHERE available >= 1` and writes an
//! order row, or finds none left. The row lock is the queue.

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;

use crate::drive::{Answer, Reply, Sale, Tally, drive};
use crate::scratch::with_database;

/// A product with its stock counter, and the orders that took units of it.
const SCHEMA: &str = r"
CREATE TABLE products
(
    id          uuid PRIMARY KEY,
    sku         text   NOT NULL UNIQUE,
    title       text   NOT NULL,
    price_minor bigint NOT NULL,
    currency    text   NOT NULL,
    total       bigint NOT NULL,
    available   bigint NOT NULL CHECK (available >= 0)
);

CREATE TABLE orders
(
    id         uuid PRIMARY KEY,
    product_id uuid        NOT NULL REFERENCES products (id),
    buyer      text        NOT NULL,
    quantity   bigint      NOT NULL CHECK (quantity > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
";

const LABEL: &str = "sql";

/// Runs the sale with a pool of `connections` in a database of its own on
/// the server `url` names.
pub async fn run(url: &str, sale: &Sale, connections: u32) -> anyhow::Result<Tally> {
    with_database(url, "cartcast_sql_peer", connections, |pool| sell(pool, sale)).await
}

async fn sell(pool: PgPool, sale: &Sale) -> anyhow::Result<Tally> {
    sqlx::raw_sql(SCHEMA).execute(&pool).await.context("creating the peer's tables")?;
    let product_id = Uuid::now_v7();
    let units = i64::try_from(sale.units).context("--units does not fit a bigint")?;
    sqlx::query(
        "INSERT INTO products (id, sku, title, price_minor, currency, total, available) \
         VALUES ($1, $2, 'Flash sale', 1999, 'EUR', $3, $3)",
    )
    .bind(product_id)
    .bind(format!("{LABEL}-{}", Uuid::new_v4().simple()))
    .bind(units)
    .execute(&pool)
    .await
    .context("creating the peer's product")?;
    let attempts = (0..sale.buyers).map(|buyer| reserve(pool.clone(), product_id, format!("peer-buyer-{buyer}")));
    let mut tally = drive(LABEL, sale.concurrency, attempts).await?;
    check_store(&pool, product_id, units, &mut tally).await?;
    Ok(tally)
}

/// One buyer's transaction: a unit and an order row, or sold out.
async fn reserve(pool: PgPool, product_id: Uuid, buyer: String) -> Reply {
    let answer = match take_unit(&pool, product_id, &buyer).await {
        Ok(true) => Answer::Sold { position: None },
        Ok(false) => Answer::SoldOut,
        Err(error) => Answer::Failed { kind: "database".to_owned(), detail: error.to_string() },
    };
    Reply { answer, retries: 0 }
}

/// Whether a unit was taken (and its order written, in the same transaction).
async fn take_unit(pool: &PgPool, product_id: Uuid, buyer: &str) -> Result<bool, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let taken = sqlx::query("UPDATE products SET available = available - 1 WHERE id = $1 AND available >= 1")
        .bind(product_id)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    if taken == 0 {
        transaction.rollback().await?;
        return Ok(false);
    }
    sqlx::query("INSERT INTO orders (id, product_id, buyer, quantity) VALUES ($1, $2, $3, 1)")
        .bind(Uuid::now_v7())
        .bind(product_id)
        .bind(buyer)
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(true)
}

/// Counts the orders and the stock left; any difference from the answers is an error.
async fn check_store(pool: &PgPool, product_id: Uuid, units: i64, tally: &mut Tally) -> anyhow::Result<()> {
    let (orders, available): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM orders WHERE product_id = $1), available FROM products WHERE id = $1",
    )
    .bind(product_id)
    .fetch_one(pool)
    .await
    .context("counting the peer's orders")?;
    let sold = i64::try_from(tally.sold).unwrap_or(i64::MAX);
    if orders != sold || available != units - sold {
        let detail =
            format!("the store holds {orders} orders and {available} units left but {sold} were answered sold");
        tally.fail("store disagrees with the answers", detail);
    }
    Ok(())
}
