//! A database of a peer's own on the bench's PostgreSQL server: created
//! before the peer's run, reached through a pool of the peer's size, and
//! dropped after it, whatever the outcome.

use std::future::Future;
use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

/// Runs `peer` with a pool of `connections` to a fresh database named after
/// `prefix` on the server `url` names; the database is dropped once `peer` is done.
pub async fn with_database<T, F, Fut>(url: &str, prefix: &str, connections: u32, peer: F) -> anyhow::Result<T>
where
    F: FnOnce(PgPool) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let server = PgConnectOptions::from_str(url).context("parsing --postgres-url")?;
    let mut admin = PgConnection::connect_with(&server).await.context("connecting to --postgres-url")?;
    let database = format!("{prefix}_{}", Uuid::new_v4().simple());
    sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating database {database}"))?;
    let outcome = match PgPoolOptions::new().max_connections(connections).connect_with(server.database(&database)).await
    {
        Ok(pool) => {
            let outcome = peer(pool.clone()).await;
            pool.close().await;
            outcome
        }
        Err(error) => Err(anyhow::Error::new(error).context("connecting to the peer's database")),
    };
    let dropped = sqlx::raw_sql(&format!("DROP DATABASE {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("dropping database {database}"));
    let outcome = outcome?;
    dropped?;
    Ok(outcome)
}
