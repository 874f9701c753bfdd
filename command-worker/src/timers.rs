//! The timers of one partition: each product's next hold deadline and each
//! show's open poll's end, ordered so the worker finds what is due without
//! scanning; rebuilt from the store when the partition is (re)acquired, and
//! re-armed from each batch's events.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use uuid::Uuid;

use cartcast_domain::poll::{Polls, PollsCommand};
use cartcast_domain::product::{Product, ProductCommand};
use cartcast_infra::envelope::{RouteKind, partition_of};
use cartcast_infra::store::{EventMetadata, EventStore, StoreError, StoredEvent};

use crate::decide::Aggregates;

/// Deadlines by key, in time order.
#[derive(Debug, Default)]
pub struct Deadlines {
    by_deadline: BTreeSet<(DateTime<Utc>, String)>,
    by_key: HashMap<String, DateTime<Utc>>,
}

impl Deadlines {
    /// Arm (or with `None`, disarm) the key's timer.
    pub fn set(&mut self, key: &str, deadline: Option<DateTime<Utc>>) {
        if let Some(old) = self.by_key.remove(key) {
            self.by_deadline.remove(&(old, key.to_owned()));
        }
        if let Some(deadline) = deadline {
            self.by_key.insert(key.to_owned(), deadline);
            self.by_deadline.insert((deadline, key.to_owned()));
        }
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn any_due(&self, now: DateTime<Utc>) -> bool {
        self.by_deadline.first().is_some_and(|(deadline, _)| *deadline <= now)
    }

    /// Keys with a deadline at or before `now`; their timers are disarmed.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((deadline, _)) = self.by_deadline.first() {
            if *deadline > now {
                break;
            }
            let (_, key) = self.by_deadline.pop_first().expect("checked above");
            self.by_key.remove(&key);
            due.push(key);
        }
        due
    }

    /// Time until the earliest deadline (a long wait when none is armed).
    pub fn until_next(&self, now: DateTime<Utc>) -> Duration {
        self.by_deadline
            .first()
            .map_or(Duration::from_secs(3600), |(deadline, _)| (*deadline - now).to_std().unwrap_or(Duration::ZERO))
    }
}

/// Both kinds of timer of one partition.
#[derive(Debug, Default)]
pub struct Timers {
    /// By product id: its earliest hold's deadline.
    pub holds: Deadlines,
    /// By show id: when its open poll's time is up.
    pub polls: Deadlines,
}

impl Timers {
    pub fn any_due(&self, now: DateTime<Utc>) -> bool {
        self.holds.any_due(now) || self.polls.any_due(now)
    }

    pub fn until_next(&self, now: DateTime<Utc>) -> Duration {
        self.holds.until_next(now).min(self.polls.until_next(now))
    }

    /// Arms a timer for every product with holds and every open poll with
    /// an end in `partition`, loading them from the store.
    pub async fn rebuild(
        &mut self,
        store: &dyn EventStore,
        aggregates: &mut Aggregates,
        partition: u32,
        partitions: u32,
    ) -> Result<(), StoreError> {
        for product_id in store.aggregate_ids(Product::TYPE).await? {
            if partition_of(RouteKind::Product, &product_id, partitions) == partition {
                self.holds.set(&product_id, aggregates.products.get(&product_id).await?.next_deadline());
            }
        }
        for show_id in store.aggregate_ids(Polls::TYPE).await? {
            if partition_of(RouteKind::Show, &show_id, partitions) == partition {
                self.polls.set(&show_id, aggregates.polls.get(&show_id).await?.next_deadline());
            }
        }
        Ok(())
    }

    /// After a commit, points each touched product's and show's timer at its next deadline.
    pub async fn rearm(&mut self, aggregates: &mut Aggregates, events: &[StoredEvent]) -> Result<(), StoreError> {
        let touched = |kind: &str| -> HashSet<&str> {
            events.iter().filter(|e| e.aggregate_type == kind).map(|e| e.aggregate_id.as_str()).collect()
        };
        for product_id in touched(Product::TYPE) {
            self.holds.set(product_id, aggregates.products.get(product_id).await?.next_deadline());
        }
        for show_id in touched(Polls::TYPE) {
            self.polls.set(show_id, aggregates.polls.get(show_id).await?.next_deadline());
        }
        Ok(())
    }

    /// Releases the units of holds past their deadline and closes polls
    /// whose time is up, staging the events. A product in `busy` (a checkout
    /// in flight) waits until its payments settle.
    pub async fn fire_due(
        &mut self,
        now: DateTime<Utc>,
        aggregates: &mut Aggregates,
        busy: &HashSet<&str>,
        staged: &mut Vec<StoredEvent>,
    ) -> Result<(), StoreError> {
        for product_id in self.holds.due(now) {
            if busy.contains(product_id.as_str()) {
                self.holds.set(&product_id, Some(now + chrono::Duration::milliseconds(100)));
                continue;
            }
            let meta = timer_metadata("hold-timer", &format!("expire/{product_id}"), now);
            let expire = ProductCommand::ExpireHolds { now };
            if let Err(e) = aggregates.products.execute(&product_id, expire, &meta, staged).await? {
                tracing::warn!(product_id, error = %e, "holds not expired");
            }
        }
        for show_id in self.polls.due(now) {
            let meta = timer_metadata("poll-timer", &format!("poll-end/{show_id}"), now);
            if let Err(e) = aggregates.polls.execute(&show_id, PollsCommand::Expire { now }, &meta, staged).await? {
                tracing::warn!(show_id, error = %e, "poll not closed at its end");
            }
        }
        Ok(())
    }
}

/// The metadata of what timer `timer` decides about `what` at `now`: a
/// command of its own, named after the two.
fn timer_metadata(timer: &str, what: &str, now: DateTime<Utc>) -> EventMetadata {
    let command_id = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{what}/{}", now.timestamp_micros()).as_bytes());
    EventMetadata {
        event_id: Uuid::now_v7(),
        command_id,
        correlation_id: command_id,
        causation_id: command_id,
        actor: format!("system:{timer}"),
        occurred_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_returns_only_passed_deadlines_and_disarms_them() {
        let now = Utc::now();
        let mut timers = Deadlines::default();
        timers.set("a", Some(now - chrono::Duration::seconds(1)));
        timers.set("b", Some(now + chrono::Duration::seconds(60)));
        assert_eq!(timers.due(now), vec!["a".to_owned()]);
        assert!(!timers.any_due(now));
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn rearming_replaces_the_previous_deadline() {
        let now = Utc::now();
        let mut timers = Deadlines::default();
        timers.set("a", Some(now - chrono::Duration::seconds(1)));
        timers.set("a", Some(now + chrono::Duration::seconds(5)));
        assert!(timers.due(now).is_empty());
        timers.set("a", None);
        assert_eq!(timers.len(), 0);
    }
}
