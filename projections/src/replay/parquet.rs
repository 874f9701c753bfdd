//! The export as a Parquet file: one row per event, typed columns for what
//! analysts group and filter by (position, aggregate, type, version, time,
//! actor, the command's ids) and the payload as JSON text.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use cartcast_infra::store::RawEvent;

use super::{ReplayError, Sink};

/// Rows buffered before they become one Arrow batch.
const BATCH_ROWS: usize = 16_384;

/// The file's columns, in order.
pub fn schema() -> SchemaRef {
    let text = |name| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        Field::new("position", DataType::UInt64, false),
        text("aggregate_type"),
        text("aggregate_id"),
        Field::new("sequence", DataType::UInt64, false),
        text("event_type"),
        Field::new("event_version", DataType::UInt32, false),
        Field::new("occurred_at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        text("actor"),
        text("event_id"),
        text("command_id"),
        text("correlation_id"),
        text("causation_id"),
        text("payload"),
    ]))
}

/// Column builders for the rows not yet written.
#[derive(Default)]
struct Columns {
    position: UInt64Builder,
    aggregate_type: StringBuilder,
    aggregate_id: StringBuilder,
    sequence: UInt64Builder,
    event_type: StringBuilder,
    event_version: UInt32Builder,
    occurred_at: TimestampMicrosecondBuilder,
    actor: StringBuilder,
    event_id: StringBuilder,
    command_id: StringBuilder,
    correlation_id: StringBuilder,
    causation_id: StringBuilder,
    payload: StringBuilder,
    rows: usize,
}

/// An event's metadata, borrowed from its JSON text where it can be.
#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow)]
    event_id: Cow<'a, str>,
    #[serde(borrow)]
    command_id: Cow<'a, str>,
    #[serde(borrow)]
    correlation_id: Cow<'a, str>,
    #[serde(borrow)]
    causation_id: Cow<'a, str>,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    occurred_at: DateTime<Utc>,
}

impl Columns {
    fn push(&mut self, event: &RawEvent) -> Result<(), ReplayError> {
        let version = event.event_version.parse().map_err(|_| {
            ReplayError::Encode(serde::de::Error::custom(format!(
                "event {}:{}:{} has version {:?}, not a number",
                event.aggregate_type, event.aggregate_id, event.sequence, event.event_version
            )))
        })?;
        let meta: Metadata = serde_json::from_str(&event.metadata)?;
        self.position.append_value(event.position);
        self.aggregate_type.append_value(&event.aggregate_type);
        self.aggregate_id.append_value(&event.aggregate_id);
        self.sequence.append_value(event.sequence);
        self.event_type.append_value(&event.event_type);
        self.event_version.append_value(version);
        self.occurred_at.append_value(meta.occurred_at.timestamp_micros());
        self.actor.append_value(&meta.actor);
        self.event_id.append_value(&meta.event_id);
        self.command_id.append_value(&meta.command_id);
        self.correlation_id.append_value(&meta.correlation_id);
        self.causation_id.append_value(&meta.causation_id);
        self.payload.append_value(&event.payload);
        self.rows += 1;
        Ok(())
    }

    /// The buffered rows as one batch; the builders start over.
    fn take(&mut self, schema: &SchemaRef) -> Result<RecordBatch, ReplayError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.position.finish()),
            Arc::new(self.aggregate_type.finish()),
            Arc::new(self.aggregate_id.finish()),
            Arc::new(self.sequence.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.event_version.finish()),
            Arc::new(self.occurred_at.finish().with_timezone("UTC")),
            Arc::new(self.actor.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.command_id.finish()),
            Arc::new(self.correlation_id.finish()),
            Arc::new(self.causation_id.finish()),
            Arc::new(self.payload.finish()),
        ];
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// Writes events as Parquet rows (Snappy-compressed) to `W`.
pub struct Parquet<W: Write + Send> {
    schema: SchemaRef,
    columns: Columns,
    writer: Option<ArrowWriter<W>>,
}

impl<W: Write + Send> Parquet<W> {
    pub fn new(out: W) -> Result<Self, ReplayError> {
        let schema = schema();
        let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(properties))?;
        Ok(Self { schema, columns: Columns::default(), writer: Some(writer) })
    }

    fn flush_rows(&mut self) -> Result<(), ReplayError> {
        if self.columns.rows == 0 {
            return Ok(());
        }
        let batch = self.columns.take(&self.schema)?;
        match self.writer.as_mut() {
            Some(writer) => Ok(writer.write(&batch)?),
            None => Err(ReplayError::Write(std::io::Error::other("the Parquet file is already closed"))),
        }
    }
}

impl<W: Write + Send> Sink for Parquet<W> {
    fn write(&mut self, event: &RawEvent) -> Result<(), ReplayError> {
        self.columns.push(event)?;
        if self.columns.rows >= BATCH_ROWS {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ReplayError> {
        self.flush_rows()?;
        if let Some(writer) = self.writer.take() {
            writer.close()?;
        }
        Ok(())
    }
}
