//! Rebuilds without downtime (`cartcast projections rebuild`): a projection
//! is replayed from the start of the feed into a [`Shadow`] copy by the same
//! runner and views as the live one, while the live one keeps serving and
//! moving; once the shadow has caught up with the live checkpoint, one
//! transaction on the live database swaps the shadow's rows, per-aggregate
//! sequences and checkpoint in. Readers see the old rows or the new, never
//! an empty table; the live runner, which locks its checkpoint at the start
//! of each step, finds it moved and resubscribes from there.

mod shadow;

pub use shadow::Shadow;

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Acquire, Any, Transaction};

use cartcast_infra::bus::EventFeed;
use cartcast_infra::store::StoreError;

use crate::read_models::{ReadError, ReadModels};
use crate::runner::{self, Projection, ProjectionError, ProjectionRunner, Step};

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("creating the shadow's schema: {0}")]
    Schema(#[from] StoreError),
    #[error("removing an old shadow file: {0}")]
    Shadow(#[source] std::io::Error),
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Events the shadow applied.
    pub events: u64,
    /// The checkpoint swapped in.
    pub position: u64,
}

/// Rebuild `projection` of `live` (at `live_url`) from `feed`; `progress`
/// hears the shadow's position and the live one it is catching up with.
pub async fn rebuild(
    projection: Projection,
    live: &ReadModels,
    live_url: &str,
    feed: Arc<dyn EventFeed>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Rebuilt, RebuildError> {
    let shadow = Shadow::create(live, live_url, projection).await?;
    let mut runner = ProjectionRunner::new(projection, shadow.models.clone(), feed);
    let mut events = 0;
    loop {
        let target = live.checkpoint(projection.name()).await?;
        while runner.position() < target {
            if let Step::Applied { events: applied, .. } = runner.try_process_next(Duration::from_millis(500)).await? {
                events += applied as u64;
            }
            progress(runner.position(), target);
        }
        if swap(projection, live, &shadow, runner.position()).await? {
            break;
        }
    }
    let position = runner.position();
    shadow.remove(live).await?;
    // The live tables were replaced in bulk: their statistics describe the old rows.
    live.analyze(&projection.written_tables()).await?;
    Ok(Rebuilt { events, position })
}

/// Swap the shadow in at `position` unless the live projection has moved
/// past it meanwhile (then the shadow catches up and tries again).
async fn swap(projection: Projection, live: &ReadModels, shadow: &Shadow, position: u64) -> Result<bool, RebuildError> {
    // On SQLite a swap holds the one write lock for as long as it copies,
    // longer than a writer elsewhere would wait: this process's wait their turn.
    let _turn = live.write_turn().await;
    let mut connection = live.pool().acquire().await.map_err(ReadError::from)?;
    shadow.attach(&mut connection).await?;
    let swapped = async {
        let mut tx = connection.begin().await.map_err(ReadError::from)?;
        if runner::lock_checkpoint(&mut tx, projection.name()).await? > position {
            return Ok(false);
        }
        copy_rows(&mut tx, projection, shadow, position).await?;
        tx.commit().await.map_err(ReadError::from)?;
        Ok::<_, RebuildError>(true)
    }
    .await;
    shadow.detach(&mut connection).await?;
    swapped
}

/// Replace the live rows of every table `projection` keeps with the shadow's,
/// then its sequences and its checkpoint.
async fn copy_rows(
    tx: &mut Transaction<'_, Any>,
    projection: Projection,
    shadow: &Shadow,
    position: u64,
) -> Result<(), ReadError> {
    // Tables kept by triggers on the others come last: filling the others
    // fires their triggers, whose rows the shadow's then replace.
    for table in projection.tables().iter().chain(projection.derived_tables()) {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut **tx).await?;
        sqlx::query(&format!("INSERT INTO {table} SELECT * FROM {}", shadow.table(table))).execute(&mut **tx).await?;
    }
    sqlx::query("DELETE FROM projection_sequences WHERE projection = $1")
        .bind(projection.name())
        .execute(&mut **tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO projection_sequences SELECT * FROM {} WHERE projection = $1",
        shadow.table("projection_sequences")
    ))
    .bind(projection.name())
    .execute(&mut **tx)
    .await?;
    runner::store_checkpoint(tx, projection.name(), position).await
}
