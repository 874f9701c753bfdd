//! The embedded shape's event store: one SQLite file in WAL mode with the
//! same schema idea as PostgreSQL (`migrations/sqlite/events`). Its
//! `position` column is the store's own global order, which the in-process
//! feed serves as the `$all` stream.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

use crate::outcome::Outcome;

use super::{
    CommandRecord, CommitBatch, EventKey, EventStore, OutboxEntry, OutboxUpdate, RawEvent, StoreError, StoredEvent,
    outbox_entry,
};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Up to `limit` events after `after` in global order, as stored (see [`PAGE_AS_TEXT`]).
    async fn page(&self, after: u64, limit: u32) -> Result<Vec<RawEvent>, StoreError> {
        let page: Option<String> =
            sqlx::query_scalar(PAGE_AS_TEXT).bind(after as i64).bind(i64::from(limit)).fetch_one(&self.pool).await?;
        let mut events = page.as_deref().map_or(Ok(Vec::new()), events_of_page)?;
        if !events.is_sorted_by_key(|event| event.position) {
            events.sort_unstable_by_key(|event| event.position);
        }
        Ok(events)
    }

    /// Open (creating if needed) the event store file and run its migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before the worker answers the caller.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("../migrations/sqlite/events")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(e.into()))?;
        Ok(Self { pool })
    }
}

fn to_event(row: &sqlx::sqlite::SqliteRow) -> Result<(u64, StoredEvent), StoreError> {
    let raw = RawEvent {
        position: row.get::<i64, _>("position") as u64,
        aggregate_type: row.get("aggregate_type"),
        aggregate_id: row.get("aggregate_id"),
        sequence: row.get::<i64, _>("sequence") as u64,
        event_type: row.get("event_type"),
        event_version: row.get("event_version"),
        payload: row.get("payload"),
        metadata: row.get("metadata"),
    };
    raw.into_event()
}

/// A page of the global order as ONE row of text: each event's columns
/// joined by U+001F, events joined by U+001E (SQLite concatenates them in
/// the subquery's order, position order; the reader sorts if ever not). Neither
/// character can stand unescaped in JSON text (the payload and metadata)
/// nor in the quoted aggregate id, and the other columns are names and
/// numbers, so the split is exact. sqlx hands every row from its SQLite
/// thread to the reader one at a time, which costs more than everything
/// else about reading an event; one row a page does away with that.
const PAGE_AS_TEXT: &str = "SELECT group_concat(\
     position || char(31) || aggregate_type || char(31) || json_quote(aggregate_id) || char(31) || sequence \
     || char(31) || event_type || char(31) || event_version || char(31) || payload || char(31) || metadata, \
     char(30)) \
     FROM (SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?)";

/// The events of a page read with [`PAGE_AS_TEXT`], as stored.
fn events_of_page(page: &str) -> Result<Vec<RawEvent>, StoreError> {
    let malformed = |what: &str| StoreError::Corrupt(serde::de::Error::custom(format!("a page of events: {what}")));
    page.split('\u{1e}')
        .map(|record| {
            let mut columns = record.split('\u{1f}');
            let mut next = |name: &str| columns.next().ok_or_else(|| malformed(&format!("no {name}")));
            let number =
                |text: &str, name: &str| text.parse::<u64>().map_err(|_| malformed(&format!("{name} {text:?}")));
            Ok(RawEvent {
                position: number(next("position")?, "position")?,
                aggregate_type: next("aggregate type")?.to_owned(),
                aggregate_id: serde_json::from_str(next("aggregate id")?)?,
                sequence: number(next("sequence")?, "sequence")?,
                event_type: next("event type")?.to_owned(),
                event_version: next("event version")?.to_owned(),
                payload: next("payload")?.to_owned(),
                metadata: next("metadata")?.to_owned(),
            })
        })
        .collect()
}

/// Rows per multi-row INSERT; 7 parameters each stays far below SQLite's limit.
const ROWS_PER_STATEMENT: usize = 500;

/// A unique violation means another writer got there first.
fn conflict_or(error: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match error {
        sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(what()),
        e => e.into(),
    }
}

/// Lists the batch's positions as an outbox entry and forgets the entries
/// its writer has published since.
async fn update_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    outbox: &OutboxUpdate,
    positions: &[u64],
) -> Result<(), StoreError> {
    for chunk in outbox.published.chunks(ROWS_PER_STATEMENT) {
        let placeholders = vec!["?"; chunk.len()].join(",");
        let sql = format!("DELETE FROM feed_outbox WHERE partition_id = ? AND entry IN ({placeholders})");
        let mut query = sqlx::query(&sql).bind(i64::from(outbox.partition));
        for &entry in chunk {
            query = query.bind(entry as i64);
        }
        query.execute(&mut **tx).await?;
    }
    let mut sorted = positions.to_vec();
    sorted.sort_unstable();
    if let Some(&entry) = sorted.first() {
        sqlx::query("INSERT INTO feed_outbox (partition_id, entry, positions) VALUES (?, ?, ?)")
            .bind(i64::from(outbox.partition))
            .bind(entry as i64)
            .bind(serde_json::to_string(&sorted)?)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

const EVENT_COLUMNS: &str =
    "position, aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata";

#[async_trait]
impl EventStore for SqliteStore {
    async fn load(&self, aggregate_type: &str, aggregate_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE aggregate_type = ? AND aggregate_id = ? ORDER BY sequence"
        ))
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| to_event(r).map(|(_, e)| e)).collect()
    }

    async fn commit(&self, batch: &CommitBatch) -> Result<Vec<u64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Multi-row statements: each statement is a round trip to sqlx's
        // SQLite thread, which dominated a flash sale's commit cost.
        let mut position_of = HashMap::with_capacity(batch.events.len());
        for chunk in batch.events.chunks(ROWS_PER_STATEMENT) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
                 VALUES {values} RETURNING position, aggregate_type, aggregate_id, sequence"
            );
            let mut query = sqlx::query(&sql);
            for event in chunk {
                query = query
                    .bind(&event.aggregate_type)
                    .bind(&event.aggregate_id)
                    .bind(event.sequence as i64)
                    .bind(&event.event_type)
                    .bind(&event.event_version)
                    .bind(event.payload.to_string())
                    .bind(serde_json::to_string(&event.metadata)?);
            }
            let rows = query.fetch_all(&mut *tx).await.map_err(|e| conflict_or(e, || "an event stream".to_owned()))?;
            for row in rows {
                let key = EventKey {
                    aggregate_type: row.get(1),
                    aggregate_id: row.get(2),
                    sequence: row.get::<i64, _>(3) as u64,
                };
                position_of.insert(key, row.get::<i64, _>(0) as u64);
            }
        }
        let now = chrono::Utc::now().to_rfc3339();
        for chunk in batch.commands.chunks(ROWS_PER_STATEMENT) {
            let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!("INSERT INTO command_log (command_id, outcome, events, recorded_at) VALUES {values}");
            let mut query = sqlx::query(&sql);
            for record in chunk {
                query = query
                    .bind(record.command_id.to_string())
                    // The feed position is not part of the record: a replay gets it again.
                    .bind(serde_json::to_string(&Outcome { position: None, ..record.outcome.clone() })?)
                    .bind(serde_json::to_string(&record.events)?)
                    .bind(&now);
            }
            query.execute(&mut *tx).await.map_err(|e| conflict_or(e, || "a command record".to_owned()))?;
        }
        let positions: Vec<u64> = batch.events.iter().map(|e| position_of[&e.key()]).collect();
        update_outbox(&mut tx, &batch.outbox, &positions).await?;
        tx.commit().await?;
        Ok(positions)
    }

    async fn unpublished(&self, partition: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = sqlx::query("SELECT entry, positions FROM feed_outbox WHERE partition_id = ? ORDER BY entry")
            .bind(i64::from(partition))
            .fetch_all(&self.pool)
            .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let positions: Vec<u64> = serde_json::from_str(&row.get::<String, _>(1))?;
            let mut events = HashMap::with_capacity(positions.len());
            for chunk in positions.chunks(ROWS_PER_STATEMENT) {
                let placeholders = vec!["?"; chunk.len()].join(",");
                let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE position IN ({placeholders})");
                let mut query = sqlx::query(&sql);
                for &position in chunk {
                    query = query.bind(position as i64);
                }
                for row in query.fetch_all(&self.pool).await? {
                    let (position, event) = to_event(&row)?;
                    events.insert(position, event);
                }
            }
            entries.push(outbox_entry(row.get::<i64, _>(0) as u64, positions, &mut events)?);
        }
        Ok(entries)
    }

    async fn recorded(&self, command_ids: &[Uuid]) -> Result<Vec<CommandRecord>, StoreError> {
        let mut records = Vec::new();
        // SQLite caps bound parameters; ask in slices.
        for chunk in command_ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql =
                format!("SELECT command_id, outcome, events FROM command_log WHERE command_id IN ({placeholders})");
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                let id: String = row.get(0);
                records.push(CommandRecord {
                    command_id: Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(serde::de::Error::custom(e)))?,
                    outcome: serde_json::from_str(&row.get::<String, _>(1))?,
                    events: serde_json::from_str(&row.get::<String, _>(2))?,
                });
            }
        }
        // In the order asked, like the PostgreSQL store.
        let asked: HashMap<&Uuid, usize> = command_ids.iter().enumerate().map(|(i, id)| (id, i)).collect();
        records.sort_by_key(|r| asked.get(&r.command_id).copied());
        Ok(records)
    }

    async fn events(&self, keys: &[EventKey]) -> Result<Vec<(u64, StoredEvent)>, StoreError> {
        let mut events = Vec::with_capacity(keys.len());
        for key in keys {
            let row = sqlx::query(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE aggregate_type = ? AND aggregate_id = ? AND sequence = ?"
            ))
            .bind(&key.aggregate_type)
            .bind(&key.aggregate_id)
            .bind(key.sequence as i64)
            .fetch_one(&self.pool)
            .await?;
            events.push(to_event(&row)?);
        }
        Ok(events)
    }

    async fn aggregate_ids(&self, aggregate_type: &str) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT DISTINCT aggregate_id FROM events WHERE aggregate_type = ? ORDER BY aggregate_id")
                .bind(aggregate_type)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn read_all(&self, after: u64, limit: u32) -> Result<Vec<(u64, StoredEvent)>, StoreError> {
        self.page(after, limit).await?.into_iter().map(RawEvent::into_event).collect()
    }

    async fn read_all_raw(&self, after: u64, limit: u32) -> Result<Vec<RawEvent>, StoreError> {
        self.page(after, limit).await?.into_iter().map(RawEvent::current).collect()
    }

    async fn head(&self) -> Result<u64, StoreError> {
        let head: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events").fetch_one(&self.pool).await?;
        Ok(head as u64)
    }
}
