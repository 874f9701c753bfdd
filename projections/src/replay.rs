//! Analyst export: every stored event in global order as JSON lines, from a
//! position on, optionally only one aggregate type — the raw material for
//! replays and offline analysis.

use std::io::Write;

use serde_json::json;

use cartcast_infra::store::{EventStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Events read per store query.
const PAGE: u32 = 1000;

/// Write every event after `after` (of `aggregate_type`, if given) to `out`,
/// one JSON object per line. Returns how many were written.
pub async fn export(
    store: &dyn EventStore,
    after: u64,
    aggregate_type: Option<&str>,
    out: &mut impl Write,
) -> Result<u64, ReplayError> {
    let mut position = after;
    let mut written = 0;
    loop {
        let page = store.read_all(position, PAGE).await?;
        let Some((last, _)) = page.last() else { break };
        position = *last;
        for (at, event) in page {
            if aggregate_type.is_some_and(|t| t != event.aggregate_type) {
                continue;
            }
            let line = json!({
                "position": at,
                "aggregate_type": event.aggregate_type,
                "aggregate_id": event.aggregate_id,
                "sequence": event.sequence,
                "type": event.event_type,
                "version": event.event_version,
                "metadata": event.metadata,
                "payload": event.payload,
            });
            writeln!(out, "{line}")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
