//! The distributed shape's event store: PostgreSQL with the postgres-es
//! schema (`migrations/postgres/0001_event_store.sql`), a global `position`
//! per event, and the `command_log`.
//!
//! The tables are postgres-es' own, so its `PostgresEventRepository` (and
//! any cqrs-es tooling on top of it) reads what this store writes; the
//! `postgres_store` tests prove it. The SQL here is our own, for three reasons:
//! - a worker batch spans many aggregates and must write their events *and*
//!   the batch's `command_log` rows in one transaction; postgres-es commits
//!   one aggregate per transaction and knows nothing of `command_log`;
//! - its snapshot update commits before it checks the row count, so an
//!   `OptimisticLock` from it can follow a write that already happened —
//!   here a conflict rolls back all;
//! - its reads are typed by `A::TYPE`, a constant of a cqrs-es `Aggregate`,
//!   while [`EventStore`] names the aggregate type at run time.
//!
//! Every write is one multi-row `INSERT … SELECT FROM UNNEST(…)` per table,
//! so a batch of a thousand events costs the same round trips as one.
//!
//! `read_all` is gap-safe. Positions come from a sequence when a row is
//! inserted, so while two batches commit concurrently a lower position can
//! become visible after a higher one; a reader that paged past the higher
//! one would never see the lower. Every committing transaction therefore
//! holds [`APPEND_LOCK`] shared from before it takes a position until it
//! commits, and a reader that needs a new high-water mark takes it
//! exclusively for an instant: that waits out the transactions in flight,
//! after which every position the sequence has handed out is committed or
//! gone for good (a rolled-back batch leaves a gap that never fills). A
//! reader reads only up to that mark.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{
    CommandRecord, CommitBatch, EventKey, EventStore, OutboxEntry, OutboxUpdate, RawEvent, StoreError, StoredEvent,
    outbox_entry,
};
use crate::outcome::Outcome;

/// Every migration of the distributed shape: the event store and the read models.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Appends a batch of events and returns each one's `position` in batch
/// order; the CTE joins the inserted rows back to their input ordinal.
const INSERT_EVENTS: &str = "
WITH input AS (
    SELECT *
      FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
           WITH ORDINALITY
           AS t(aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, ord)
), inserted AS (
    INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload::json, metadata::json
      FROM input
     ORDER BY ord
    RETURNING aggregate_type, aggregate_id, sequence, position
)
SELECT inserted.position
  FROM input
  JOIN inserted USING (aggregate_type, aggregate_id, sequence)
 ORDER BY input.ord";

const INSERT_COMMANDS: &str = "
INSERT INTO command_log (command_id, outcome, events)
SELECT command_id, outcome::jsonb, events::jsonb
  FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS t(command_id, outcome, events)";

/// Lists the batch's positions as an outbox entry (none for a batch without
/// events) and forgets the entries its writer has published since.
const UPDATE_OUTBOX: &str = "
WITH forgotten AS (
    DELETE FROM feed_outbox WHERE partition_id = $1 AND entry = ANY($2::bigint[])
)
INSERT INTO feed_outbox (partition_id, entry, positions)
SELECT $1, min(p), array_agg(p ORDER BY p)
  FROM UNNEST($3::bigint[]) AS t(p)
HAVING count(*) > 0";

/// The advisory lock (one per database) that committers hold shared and a
/// reader fixing its high-water mark takes exclusively: "cartcast" in ASCII.
const APPEND_LOCK: i64 = 0x6361_7274_6361_7374;

/// The highest position the sequence has handed out (0 before the first);
/// read while holding [`APPEND_LOCK`] exclusively, every position up to it is settled.
const SEQUENCE_HIGH: &str = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_position_seq";

/// The payload and metadata come as JSON text: an export passes them through.
const EVENT_COLUMNS: &str = "e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version, \
     e.payload::text AS payload, e.metadata::text AS metadata, e.position";

/// The [`EventStore`] on PostgreSQL; cheap to clone (it wraps a pool).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The last high-water mark fixed: every position up to it is settled.
    settled: Arc<AtomicU64>,
}

impl PostgresStore {
    /// Opens a pool on `url` and runs the Postgres migrations (idempotent;
    /// sqlx serialises concurrent runs with an advisory lock).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new().connect_with(options).await?;
        MIGRATOR.run(&pool).await.map_err(sqlx::Error::from)?;
        Ok(Self::from_pool(pool))
    }

    /// Wraps a pool whose database is already migrated.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool, settled: Arc::new(AtomicU64::new(0)) }
    }

    /// Waits out the appends in flight and returns the highest position
    /// handed out so far: from now on no event at or below it can appear.
    async fn settle(&self) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(APPEND_LOCK).execute(&mut *tx).await?;
        let high: i64 = sqlx::query_scalar(SEQUENCE_HIGH).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        let high = unsigned_from_db(high)?;
        self.settled.fetch_max(high, Ordering::Relaxed);
        Ok(high)
    }

    /// At most `limit` events with `after < position <= up_to`, in position order.
    async fn read_settled(&self, after: u64, up_to: u64, limit: u32) -> Result<Vec<RawEvent>, StoreError> {
        if up_to <= after {
            return Ok(Vec::new());
        }
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e
              WHERE e.position > $1 AND e.position <= $2
              ORDER BY e.position LIMIT $3"
        ))
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::try_from(up_to).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EventRow::into_raw).collect()
    }

    /// Up to `limit` events after `after` in global order, as stored.
    /// Gap-safe (see the module): reads up to the last high-water mark and
    /// fixes a new one only when that page comes back short.
    async fn page(&self, after: u64, limit: u32) -> Result<Vec<RawEvent>, StoreError> {
        let known = self.settled.load(Ordering::Relaxed);
        let page = self.read_settled(after, known, limit).await?;
        if page.len() == limit as usize {
            return Ok(page);
        }
        let settled = self.settle().await?;
        if settled == known {
            return Ok(page);
        }
        self.read_settled(after, settled, limit).await
    }
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn load(&self, aggregate_type: &str, aggregate_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e
              WHERE e.aggregate_type = $1 AND e.aggregate_id = $2
              ORDER BY e.sequence"
        ))
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| row.into_event().map(|(_, event)| event)).collect()
    }

    async fn commit(&self, batch: &CommitBatch) -> Result<Vec<u64>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let events = EventColumns::of(&batch.events)?;
        let commands = CommandColumns::of(&batch.commands)?;
        let mut tx = self.pool.begin().await?;
        if !batch.events.is_empty() {
            // Held until commit, so a reader's high-water mark waits this append out.
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1)").bind(APPEND_LOCK).execute(&mut *tx).await?;
        }
        let positions = insert_events(&mut tx, events).await?;
        insert_commands(&mut tx, commands).await?;
        update_outbox(&mut tx, &batch.outbox, &positions).await?;
        tx.commit().await.map_err(conflict_or_unavailable)?;
        positions.into_iter().map(unsigned_from_db).collect()
    }

    async fn unpublished(&self, partition: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let entries: Vec<(i64, Vec<i64>)> =
            sqlx::query_as("SELECT entry, positions FROM feed_outbox WHERE partition_id = $1 ORDER BY entry")
                .bind(partition_to_db(partition)?)
                .fetch_all(&self.pool)
                .await?;
        let positions: Vec<i64> = entries.iter().flat_map(|(_, positions)| positions.iter().copied()).collect();
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e WHERE e.position = ANY($1::bigint[]) ORDER BY e.position"
        ))
        .bind(&positions)
        .fetch_all(&self.pool)
        .await?;
        let mut events: HashMap<u64, StoredEvent> =
            rows.into_iter().map(EventRow::into_event).collect::<Result<_, _>>()?;
        entries
            .into_iter()
            .map(|(entry, positions)| {
                let positions = positions.into_iter().map(unsigned_from_db).collect::<Result<Vec<_>, _>>()?;
                outbox_entry(unsigned_from_db(entry)?, positions, &mut events)
            })
            .collect()
    }

    async fn recorded(&self, command_ids: &[Uuid]) -> Result<Vec<CommandRecord>, StoreError> {
        let rows: Vec<(Uuid, serde_json::Value, serde_json::Value)> = sqlx::query_as(
            "SELECT c.command_id, c.outcome, c.events
               FROM UNNEST($1::uuid[]) WITH ORDINALITY AS q(command_id, ord)
               JOIN command_log c ON c.command_id = q.command_id
              ORDER BY q.ord",
        )
        .bind(command_ids)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(command_id, outcome, events)| {
                Ok(CommandRecord {
                    command_id,
                    outcome: serde_json::from_value(outcome)?,
                    events: serde_json::from_value(events)?,
                })
            })
            .collect()
    }

    async fn events(&self, keys: &[EventKey]) -> Result<Vec<(u64, StoredEvent)>, StoreError> {
        let mut types = Vec::with_capacity(keys.len());
        let mut ids = Vec::with_capacity(keys.len());
        let mut sequences = Vec::with_capacity(keys.len());
        for key in keys {
            types.push(key.aggregate_type.as_str());
            ids.push(key.aggregate_id.as_str());
            sequences.push(sequence_to_db(key.sequence)?);
        }
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS}
               FROM UNNEST($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY
                    AS q(aggregate_type, aggregate_id, sequence, ord)
               JOIN events e USING (aggregate_type, aggregate_id, sequence)
              ORDER BY q.ord"
        ))
        .bind(types)
        .bind(ids)
        .bind(sequences)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn aggregate_ids(&self, aggregate_type: &str) -> Result<Vec<String>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT DISTINCT aggregate_id FROM events WHERE aggregate_type = $1 ORDER BY aggregate_id",
        )
        .bind(aggregate_type)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    async fn read_all(&self, after: u64, limit: u32) -> Result<Vec<(u64, StoredEvent)>, StoreError> {
        self.page(after, limit).await?.into_iter().map(RawEvent::into_event).collect()
    }

    async fn read_all_raw(&self, after: u64, limit: u32) -> Result<Vec<RawEvent>, StoreError> {
        self.page(after, limit).await?.into_iter().map(RawEvent::current).collect()
    }

    async fn head(&self) -> Result<u64, StoreError> {
        self.settle().await
    }
}

/// A batch's events as one array per column, ready for `UNNEST`.
struct EventColumns {
    types: Vec<String>,
    ids: Vec<String>,
    sequences: Vec<i64>,
    event_types: Vec<String>,
    versions: Vec<String>,
    payloads: Vec<String>,
    metadata: Vec<String>,
}

impl EventColumns {
    fn of(events: &[StoredEvent]) -> Result<Self, StoreError> {
        let mut columns = Self {
            types: Vec::with_capacity(events.len()),
            ids: Vec::with_capacity(events.len()),
            sequences: Vec::with_capacity(events.len()),
            event_types: Vec::with_capacity(events.len()),
            versions: Vec::with_capacity(events.len()),
            payloads: Vec::with_capacity(events.len()),
            metadata: Vec::with_capacity(events.len()),
        };
        for event in events {
            columns.types.push(event.aggregate_type.clone());
            columns.ids.push(event.aggregate_id.clone());
            columns.sequences.push(sequence_to_db(event.sequence)?);
            columns.event_types.push(event.event_type.clone());
            columns.versions.push(event.event_version.clone());
            // Sent as text and cast to `json` by the server, so the stored
            // bytes are exactly serde's (jsonb would re-order keys).
            columns.payloads.push(serde_json::to_string(&event.payload)?);
            columns.metadata.push(serde_json::to_string(&event.metadata)?);
        }
        Ok(columns)
    }
}

/// A batch's command records as one array per column.
struct CommandColumns {
    ids: Vec<Uuid>,
    outcomes: Vec<String>,
    events: Vec<String>,
}

impl CommandColumns {
    fn of(records: &[CommandRecord]) -> Result<Self, StoreError> {
        let mut columns = Self {
            ids: Vec::with_capacity(records.len()),
            outcomes: Vec::with_capacity(records.len()),
            events: Vec::with_capacity(records.len()),
        };
        for record in records {
            // The feed position is not part of the recorded answer (see `Outcome`).
            let outcome = Outcome { position: None, ..record.outcome.clone() };
            columns.ids.push(record.command_id);
            columns.outcomes.push(serde_json::to_string(&outcome)?);
            columns.events.push(serde_json::to_string(&record.events)?);
        }
        Ok(columns)
    }
}

async fn insert_events(tx: &mut Transaction<'_, Postgres>, columns: EventColumns) -> Result<Vec<i64>, StoreError> {
    if columns.types.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(INSERT_EVENTS)
        .bind(columns.types)
        .bind(columns.ids)
        .bind(columns.sequences)
        .bind(columns.event_types)
        .bind(columns.versions)
        .bind(columns.payloads)
        .bind(columns.metadata)
        .fetch_all(&mut **tx)
        .await
        .map_err(conflict_or_unavailable)
}

async fn insert_commands(tx: &mut Transaction<'_, Postgres>, columns: CommandColumns) -> Result<(), StoreError> {
    if columns.ids.is_empty() {
        return Ok(());
    }
    sqlx::query(INSERT_COMMANDS)
        .bind(columns.ids)
        .bind(columns.outcomes)
        .bind(columns.events)
        .execute(&mut **tx)
        .await
        .map_err(conflict_or_unavailable)?;
    Ok(())
}

async fn update_outbox(
    tx: &mut Transaction<'_, Postgres>,
    outbox: &OutboxUpdate,
    positions: &[i64],
) -> Result<(), StoreError> {
    if positions.is_empty() && outbox.published.is_empty() {
        return Ok(());
    }
    let published = outbox.published.iter().map(|&id| i64::try_from(id)).collect::<Result<Vec<_>, _>>();
    sqlx::query(UPDATE_OUTBOX)
        .bind(partition_to_db(outbox.partition)?)
        .bind(published.map_err(|_| corrupt("outbox entry exceeds bigint".to_owned()))?)
        .bind(positions)
        .execute(&mut **tx)
        .await
        .map_err(conflict_or_unavailable)?;
    Ok(())
}

/// A unique violation means another writer got there first: an event
/// sequence already taken, or a command already recorded.
fn conflict_or_unavailable(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
            let detail = pg.and_then(|pg| pg.detail()).unwrap_or_else(|| db.message());
            StoreError::Conflict(format!("{}: {detail}", db.constraint().unwrap_or("unique key")))
        }
        _ => StoreError::Unavailable(error),
    }
}

fn sequence_to_db(sequence: u64) -> Result<i64, StoreError> {
    i64::try_from(sequence).map_err(|_| corrupt(format!("sequence {sequence} exceeds bigint")))
}

fn partition_to_db(partition: u32) -> Result<i32, StoreError> {
    i32::try_from(partition).map_err(|_| corrupt(format!("partition {partition} exceeds integer")))
}

fn unsigned_from_db(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("negative position or sequence {value} in the store")))
}

fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt(<serde_json::Error as serde::de::Error>::custom(message))
}

/// One `events` row as selected by [`EVENT_COLUMNS`].
#[derive(sqlx::FromRow)]
struct EventRow {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
    position: i64,
}

impl EventRow {
    fn into_raw(self) -> Result<RawEvent, StoreError> {
        Ok(RawEvent {
            position: unsigned_from_db(self.position)?,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: unsigned_from_db(self.sequence)?,
            event_type: self.event_type,
            event_version: self.event_version,
            payload: self.payload,
            metadata: self.metadata,
        })
    }

    fn into_event(self) -> Result<(u64, StoredEvent), StoreError> {
        self.into_raw()?.into_event()
    }
}
