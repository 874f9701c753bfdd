//! Stored events as text: the store's columns with the payload and the
//! metadata still JSON, for readers that pass events through (an export)
//! rather than look inside them. Whatever looks inside parses on demand.

use cartcast_domain::versions;

use super::{EventMetadata, StoreError, StoredEvent};

/// One stored event at its global position, its payload and metadata as
/// JSON text (compact, as written).
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    pub position: u64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    pub event_type: String,
    pub event_version: String,
    /// The payload, at `event_version`.
    pub payload: String,
    /// The [`EventMetadata`].
    pub metadata: String,
}

impl RawEvent {
    /// `event`, stored at `position`, as text.
    pub fn of(position: u64, event: &StoredEvent) -> Result<Self, StoreError> {
        Ok(Self {
            position,
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            payload: serde_json::to_string(&event.payload)?,
            metadata: serde_json::to_string(&event.metadata)?,
        })
    }

    /// The event parsed, at its current version, with its position.
    pub fn into_event(self) -> Result<(u64, StoredEvent), StoreError> {
        let event = StoredEvent {
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: self.sequence,
            event_type: self.event_type,
            event_version: self.event_version,
            payload: serde_json::from_str(&self.payload)?,
            metadata: serde_json::from_str::<EventMetadata>(&self.metadata)?,
        };
        Ok((self.position, event.upcast()?))
    }

    /// This event at its current version: itself when it is stored at it;
    /// otherwise parsed, upcast and written again.
    pub fn current(self) -> Result<Self, StoreError> {
        if self.event_version.parse().ok() == Some(versions::current(&self.event_type)) {
            return Ok(self);
        }
        let (position, event) = self.into_event()?;
        Self::of(position, &event)
    }
}
