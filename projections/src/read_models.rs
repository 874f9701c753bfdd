//! The read-model database: its connection, dialect and projection checkpoints.
//! Reads are eventually consistent; [`ReadModels::wait_for`] gives
//! read-your-writes for `?after=<position>`. Each view's queries live beside
//! its update in [`views`](crate::views).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

/// Which SQL dialect the pool speaks; only migrations and full-text search differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("read-model migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored read model is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// Reading the events a read model points to (an order's timeline).
    #[error(transparent)]
    Store(#[from] cartcast_infra::store::StoreError),
}

impl ReadError {
    /// Whether applying the same event again would fail the same way: its
    /// stored form does not parse, or it breaks one of the read model's
    /// constraints. A deadlock, a lost connection or a timeout is not: it
    /// passes on a retry.
    pub fn is_poison(&self) -> bool {
        match self {
            ReadError::Corrupt(_) => true,
            ReadError::Database(sqlx::Error::Database(error)) => error.kind() != sqlx::error::ErrorKind::Other,
            _ => false,
        }
    }
}

/// Handle on the read-model database; cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadModels {
    pool: AnyPool,
    dialect: Dialect,
    /// Whose turn it is to write, among this process's writers of a SQLite
    /// file (see [`ReadModels::write_turn`]).
    writes: Arc<Mutex<()>>,
}

impl ReadModels {
    /// Connect (creating a SQLite file if needed) and run the read-model migrations.
    pub async fn connect(url: &str) -> Result<Self, ReadError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres };
        let options = AnyPoolOptions::new().max_connections(if dialect == Dialect::Sqlite { 4 } else { 8 });
        let pool = match dialect {
            Dialect::Sqlite => {
                // WAL lets readers proceed while the projection writes.
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                let pool = options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA journal_mode=WAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA synchronous=NORMAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA busy_timeout=5000").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                sqlx::migrate!("../migrations/sqlite/read_models").run(&pool).await?;
                pool
            }
            // In the distributed shape the read models live beside the event
            // store; the event-store migrations create them.
            Dialect::Postgres => {
                options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // A statement's plan is made for its values each time. A
                            // generic plan cached while a table was small (a fresh
                            // deployment, a rebuild's new shadow) would scan it whole
                            // long after it has grown: 14 ms, not 0.05, per lookup
                            // of a page's sequences at 50,000 rows.
                            sqlx::query("SET plan_cache_mode = force_custom_plan").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
        };
        Ok(Self { pool, dialect, writes: Arc::default() })
    }

    /// Wait for this process's turn to write, held until the guard drops.
    /// SQLite takes one writer at a time, and a writer that finds the file
    /// locked sleeps in steps of up to 100 ms before it looks again: the
    /// projection runners of one process queue here instead, and each
    /// starts the moment the one before commits. PostgreSQL writers need
    /// no turn (`None`).
    pub async fn write_turn(&self) -> Option<MutexGuard<'_, ()>> {
        match self.dialect {
            Dialect::Sqlite => Some(self.writes.lock().await),
            Dialect::Postgres => None,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// One round trip to the database: is it answering?
    pub async fn ping(&self) -> Result<(), ReadError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Refresh the planner's statistics of `tables` after they grew or were
    /// replaced in bulk, as after any bulk load: PostgreSQL plans from what
    /// it last sampled, and a table sampled nearly empty is read whole (its
    /// key's prefix looks selective) until autovacuum samples it again, a
    /// minute or more later. SQLite plans from its indexes alone: nothing to do.
    pub async fn analyze(&self, tables: &[&str]) -> Result<(), ReadError> {
        if self.dialect == Dialect::Postgres && !tables.is_empty() {
            sqlx::query(&format!("ANALYZE {}", tables.join(", "))).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// The position a projection has applied up to (0 before any event).
    pub async fn checkpoint(&self, projection: &str) -> Result<u64, ReadError> {
        let row = sqlx::query("SELECT position FROM projection_checkpoints WHERE projection = $1")
            .bind(projection)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map_or(0, |r| r.get::<i64, _>(0) as u64))
    }

    /// Wait until `projection` has applied `position`, up to `timeout`.
    /// Returns whether it caught up.
    pub async fn wait_for(&self, projection: &str, position: u64, timeout: Duration) -> Result<bool, ReadError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            if self.checkpoint(projection).await? >= position {
                return Ok(true);
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

/// `$1, $2, … $n`, for an `IN (…)` of `n` values (`NULL` when there are none,
/// which matches nothing).
pub(crate) fn placeholders(n: usize) -> String {
    if n == 0 {
        return "NULL".to_owned();
    }
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `query` with each of `values` bound in order.
pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in values {
        query = query.bind(value.as_str());
    }
    query
}
