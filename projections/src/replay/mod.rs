//! Analyst export: the stored events in global order, narrowed by a
//! [`Filter`], written to a [`Sink`] — JSON lines ([`Ndjson`]) or a Parquet
//! file ([`Parquet`]) — with the position it stopped at, so a later export
//! resumes exactly there (no gap, no duplicate).

mod filter;
mod ndjson;
mod parquet;

pub use filter::{Filter, ShowScope};
pub use ndjson::{Line, Ndjson};
pub use parquet::Parquet;

use cartcast_infra::store::{EventStore, StoreError, StoredEvent};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
    #[error("encoding an event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] ::parquet::errors::ParquetError),
    #[error("building an Arrow batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Where exported events go.
pub trait Sink {
    fn write(&mut self, position: u64, event: &StoredEvent) -> Result<(), ReplayError>;
    /// Flush what is buffered and close the format (a Parquet footer).
    fn finish(&mut self) -> Result<(), ReplayError>;
}

/// How an export ended: how many events it wrote and the last global
/// position it read — `--after` this resumes with the next event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    pub written: u64,
    pub position: u64,
}

/// Events read per store query.
const PAGE: u32 = 5000;

/// Write every event `filter` keeps, in global order, to `sink`; `progress`
/// hears the position reached after each page. A show filter learns the
/// show's scope from the start of the store, so with `after` it reads (but
/// does not write) what came before.
pub async fn export(
    store: &dyn EventStore,
    filter: &Filter,
    sink: &mut (dyn Sink + Send),
    progress: &mut (dyn FnMut(Stopped) + Send),
) -> Result<Stopped, ReplayError> {
    let mut scope = filter.show.as_deref().map(ShowScope::new);
    let mut position = if scope.is_some() { 0 } else { filter.after };
    let mut written = 0;
    'pages: loop {
        let page = store.read_all(position, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for (at, event) in &page {
            if filter.to.is_some_and(|to| *at > to) {
                break 'pages;
            }
            position = *at;
            let in_scope = scope.as_mut().is_none_or(|scope| scope.admits(event));
            if in_scope && *at > filter.after && filter.keeps(event) {
                sink.write(*at, event)?;
                written += 1;
                if filter.limit.is_some_and(|limit| written >= limit) {
                    break 'pages;
                }
            }
        }
        progress(Stopped { written, position: position.max(filter.after) });
    }
    sink.finish()?;
    Ok(Stopped { written, position: position.max(filter.after) })
}
