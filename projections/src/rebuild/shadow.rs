//! Where a rebuild writes: a copy of the read-model schema beside the live
//! one, made by the same migrations — a second SQLite file (attached to the
//! live database for the swap) or a PostgreSQL schema of its own in the
//! same database.

use std::path::PathBuf;

use sqlx::AnyConnection;

use cartcast_infra::store::postgres::PostgresStore;

use super::RebuildError;
use crate::read_models::{Dialect, ReadError, ReadModels};
use crate::runner::Projection;

/// The shadow copy of one projection's read models.
pub struct Shadow {
    /// Its read models, which a runner fills like the live ones.
    pub models: ReadModels,
    place: Place,
}

enum Place {
    /// A SQLite file, attached to the live database as `shadow` for the swap.
    File(PathBuf),
    /// A PostgreSQL schema in the live database.
    Schema(String),
}

/// The name the shadow file is attached under.
const ATTACHED: &str = "shadow";

impl Shadow {
    /// A fresh, empty shadow of `live` (whose URL is `live_url`) for `projection`;
    /// one left by an interrupted rebuild is dropped first.
    pub async fn create(live: &ReadModels, live_url: &str, projection: Projection) -> Result<Self, RebuildError> {
        match live.dialect() {
            Dialect::Sqlite => {
                let path = sqlite_path(live_url);
                let file = path.with_file_name(format!(
                    "{}.rebuild-{}.sqlite",
                    path.file_stem().and_then(|s| s.to_str()).unwrap_or("read-models"),
                    projection.name()
                ));
                remove_file(&file)?;
                let models = ReadModels::connect(&format!("sqlite://{}", file.display())).await?;
                Ok(Self { models, place: Place::File(file) })
            }
            Dialect::Postgres => {
                let schema = format!("rebuild_{}", projection.name());
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(live.pool())
                    .await
                    .map_err(ReadError::from)?;
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(live.pool()).await.map_err(ReadError::from)?;
                let separator = if live_url.contains('?') { '&' } else { '?' };
                let url = format!("{live_url}{separator}options[search_path]={schema}");
                // The read models' tables come with the event store's migrations.
                PostgresStore::connect(&url).await?;
                let models = ReadModels::connect(&url).await?;
                Ok(Self { models, place: Place::Schema(schema) })
            }
        }
    }

    /// `table` of the shadow, as a connection [`attach`](Self::attach)ed to the live database names it.
    pub fn table(&self, table: &str) -> String {
        match &self.place {
            Place::File(_) => format!("{ATTACHED}.{table}"),
            Place::Schema(schema) => format!("{schema}.{table}"),
        }
    }

    /// Make the shadow's tables visible on a connection to the live database.
    pub async fn attach(&self, connection: &mut AnyConnection) -> Result<(), RebuildError> {
        if let Place::File(file) = &self.place {
            let path = file.display().to_string().replace('\'', "''");
            sqlx::query(&format!("ATTACH DATABASE '{path}' AS {ATTACHED}"))
                .execute(&mut *connection)
                .await
                .map_err(ReadError::from)?;
        }
        Ok(())
    }

    pub async fn detach(&self, connection: &mut AnyConnection) -> Result<(), RebuildError> {
        if let Place::File(_) = &self.place {
            sqlx::query(&format!("DETACH DATABASE {ATTACHED}"))
                .execute(&mut *connection)
                .await
                .map_err(ReadError::from)?;
        }
        Ok(())
    }

    /// Drop the shadow once it has been swapped in.
    pub async fn remove(self, live: &ReadModels) -> Result<(), RebuildError> {
        self.models.pool().close().await;
        match self.place {
            Place::File(file) => remove_file(&file),
            Place::Schema(schema) => {
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(live.pool())
                    .await
                    .map_err(ReadError::from)?;
                Ok(())
            }
        }
    }
}

/// The file of a `sqlite://PATH[?…]` URL.
fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// Remove a SQLite file and its journal files, if there.
fn remove_file(file: &std::path::Path) -> Result<(), RebuildError> {
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", file.display()));
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(RebuildError::Shadow(e)),
            _ => {}
        }
    }
    Ok(())
}
