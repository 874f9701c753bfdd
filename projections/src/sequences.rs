//! Keeps every view moving forwards: per projection, the last sequence of
//! each aggregate it has applied, advanced in the same transaction as the
//! view's rows. An event at or below it — redelivered after the feed's
//! de-duplication window, or arriving after a later event of its aggregate —
//! changes nothing.

use sqlx::{Any, Transaction};

use cartcast_infra::store::StoredEvent;

use crate::read_models::ReadError;

/// Record that `projection` applies `event`; false when it already applied
/// this or a later event of the same aggregate (then it must not apply it).
pub async fn advance(
    tx: &mut Transaction<'static, Any>,
    projection: &str,
    event: &StoredEvent,
) -> Result<bool, ReadError> {
    let advanced = sqlx::query(
        "INSERT INTO projection_sequences (projection, aggregate_type, aggregate_id, sequence) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE SET sequence = excluded.sequence \
         WHERE projection_sequences.sequence < excluded.sequence",
    )
    .bind(projection)
    .bind(&event.aggregate_type)
    .bind(&event.aggregate_id)
    .bind(event.sequence as i64)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(advanced == 1)
}
