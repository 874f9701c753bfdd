//! Helpers shared by the infra integration tests: a fresh PostgreSQL
//! database per test on `CARTCAST_TEST_POSTGRES_URL`'s server.

use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of this test's own, dropped when the test passes.
pub struct TestDb {
    server: String,
    name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let server = std::env::var("CARTCAST_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("cartcast_test_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.expect("the test Postgres server is reachable");
        admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.expect("create the test database");
        let url = with_database(&server, &name);
        Self { server, name, url }
    }

    pub async fn drop_database(self) {
        let mut admin = PgConnection::connect(&self.server).await.expect("the test Postgres server is reachable");
        let drop = format!(r#"DROP DATABASE "{}" WITH (FORCE)"#, self.name);
        admin.execute(drop.as_str()).await.expect("drop the test database");
    }
}

/// `server` with its database path replaced by `name`, query kept.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(base, query)| (base, Some(query)));
    let authority = base.find("://").map_or(0, |at| at + 3);
    let root = base[authority..].find('/').map_or(base, |slash| &base[..authority + slash]);
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}
