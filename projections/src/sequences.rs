//! Keeps every view moving forwards: per projection, the last sequence of
//! each aggregate it has applied, advanced in the same transaction as the
//! view's rows. An event at or below it — redelivered after the feed's
//! de-duplication window, or arriving after a later event of its aggregate —
//! changes nothing. A page of events reads the sequences of its aggregates
//! once, advances them in memory and writes the ones it moved once.

use std::collections::HashMap;

use sqlx::{Any, Row, Transaction};

use cartcast_infra::bus::FeedEvent;
use cartcast_infra::store::StoredEvent;

use crate::bulk;
use crate::read_models::ReadError;

/// The sequences of one page's aggregates, for one projection.
pub struct Sequences {
    projection: &'static str,
    /// By aggregate type and id: the last applied sequence, and whether this page moved it.
    last: HashMap<(String, String), (u64, bool)>,
}

impl Sequences {
    /// Read what `projection` applied of each aggregate `page` holds events of.
    pub async fn load(
        tx: &mut Transaction<'static, Any>,
        projection: &'static str,
        page: &[FeedEvent],
    ) -> Result<Self, ReadError> {
        let mut keys: Vec<(&str, &str)> =
            page.iter().map(|e| (e.event.aggregate_type.as_str(), e.event.aggregate_id.as_str())).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut last = HashMap::new();
        for of_type in keys.chunk_by(|a, b| a.0 == b.0) {
            let aggregate_type = of_type[0].0;
            let ids: Vec<&str> = of_type.iter().map(|(_, id)| *id).collect();
            let rows = bulk::fetch_in(
                tx,
                "SELECT aggregate_id, sequence FROM projection_sequences \
                 WHERE projection = $1 AND aggregate_type = $2 AND aggregate_id",
                2,
                |query| query.bind(projection).bind(aggregate_type.to_owned()),
                &ids,
            )
            .await?;
            last.extend(
                rows.iter().map(|row| ((aggregate_type.to_owned(), row.get(0)), (row.get::<i64, _>(1) as u64, false))),
            );
        }
        Ok(Self { projection, last })
    }

    /// Record that the projection applies `event`; false when it already
    /// applied this or a later event of the same aggregate (then it must not
    /// apply it).
    pub fn advance(&mut self, event: &StoredEvent) -> bool {
        let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
        let (last, moved) = self.last.entry(key).or_insert((0, false));
        if event.sequence <= *last {
            return false;
        }
        (*last, *moved) = (event.sequence, true);
        true
    }

    /// Write the sequences this page moved.
    pub async fn store(self, tx: &mut Transaction<'static, Any>) -> Result<(), ReadError> {
        let projection = self.projection;
        let moved: Vec<((String, String), u64)> =
            self.last.into_iter().filter(|(_, (_, moved))| *moved).map(|(key, (last, _))| (key, last)).collect();
        bulk::insert(
            tx,
            "projection_sequences (projection, aggregate_type, aggregate_id, sequence)",
            4,
            "ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE SET sequence = excluded.sequence \
             WHERE projection_sequences.sequence < excluded.sequence",
            &moved,
            |query, ((aggregate_type, aggregate_id), last)| {
                query.bind(projection).bind(aggregate_type).bind(aggregate_id).bind(*last as i64)
            },
        )
        .await
    }
}
