//! Analyst export: the stored events in global order, narrowed by a
//! [`Filter`], written to a [`Sink`] — JSON lines ([`Ndjson`]) or a Parquet
//! file ([`Parquet`]) — with the position it stopped at, so a later export
//! resumes exactly there (no gap, no duplicate). Events travel as the JSON
//! text the store holds ([`RawEvent`]); only what a filter or a sink must
//! look inside is parsed.

mod filter;
mod ndjson;
mod parquet;

pub use filter::{Filter, ShowScope};
pub use ndjson::Ndjson;
pub use parquet::Parquet;

use futures::future::maybe_done;

use cartcast_infra::store::{EventStore, RawEvent, StoreError};

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
    fn write(&mut self, event: &RawEvent) -> Result<(), ReplayError>;
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
    let mut next = Box::pin(maybe_done(store.read_all_raw(position, PAGE)));
    'pages: loop {
        next.as_mut().await;
        let page = next.as_mut().take_output().expect("a page read to completion")?;
        let Some(last) = page.last() else {
            break;
        };
        next.set(maybe_done(store.read_all_raw(last.position, PAGE)));
        // Unless this page is the last or an export of a few, the store
        // reads the next while this one is written (kept if it is done at once).
        if page.len() == PAGE as usize && filter.limit.is_none_or(|limit| limit > u64::from(PAGE)) {
            let _ = futures::poll!(next.as_mut());
        }
        for event in &page {
            let at = event.position;
            if filter.to.is_some_and(|to| at > to) {
                break 'pages;
            }
            position = at;
            let in_scope = match scope.as_mut() {
                Some(scope) => scope.admits(event)?,
                None => true,
            };
            if in_scope && at > filter.after && filter.keeps(event)? {
                sink.write(event)?;
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
