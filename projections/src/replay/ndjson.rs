//! One JSON object per event per line: the export's plain-text format, and
//! the body of `GET /api/v1/events`.

use std::io::Write;

use serde::Serialize;

use cartcast_infra::store::{EventMetadata, StoredEvent};

use super::{ReplayError, Sink};

/// One exported event, borrowed from the stored one.
#[derive(Serialize)]
pub struct Line<'a> {
    pub position: u64,
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: u64,
    #[serde(rename = "type")]
    pub event_type: &'a str,
    pub version: &'a str,
    pub metadata: &'a EventMetadata,
    pub payload: &'a serde_json::Value,
}

impl<'a> Line<'a> {
    pub fn of(position: u64, event: &'a StoredEvent) -> Self {
        Self {
            position,
            aggregate_type: &event.aggregate_type,
            aggregate_id: &event.aggregate_id,
            sequence: event.sequence,
            event_type: &event.event_type,
            version: &event.event_version,
            metadata: &event.metadata,
            payload: &event.payload,
        }
    }
}

/// Writes each event as a [`Line`] and a newline.
pub struct Ndjson<W: Write> {
    out: W,
}

impl<W: Write> Ndjson<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// The writer, to add what follows the events (a page's last line).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for Ndjson<W> {
    fn write(&mut self, position: u64, event: &StoredEvent) -> Result<(), ReplayError> {
        serde_json::to_writer(&mut self.out, &Line::of(position, event))?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ReplayError> {
        Ok(self.out.flush()?)
    }
}
