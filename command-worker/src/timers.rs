//! Hold timers of one partition: the next reservation deadline of each
//! product, ordered so the worker finds what is due without scanning.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub struct HoldTimers {
    by_deadline: BTreeSet<(DateTime<Utc>, String)>,
    by_product: HashMap<String, DateTime<Utc>>,
}

impl HoldTimers {
    /// Arm (or with `None`, disarm) the product's timer.
    pub fn set(&mut self, product_id: &str, deadline: Option<DateTime<Utc>>) {
        if let Some(old) = self.by_product.remove(product_id) {
            self.by_deadline.remove(&(old, product_id.to_owned()));
        }
        if let Some(deadline) = deadline {
            self.by_product.insert(product_id.to_owned(), deadline);
            self.by_deadline.insert((deadline, product_id.to_owned()));
        }
    }

    pub fn len(&self) -> usize {
        self.by_product.len()
    }

    pub fn any_due(&self, now: DateTime<Utc>) -> bool {
        self.by_deadline.first().is_some_and(|(deadline, _)| *deadline <= now)
    }

    /// Products with a deadline at or before `now`; their timers are disarmed.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut due = Vec::new();
        while let Some((deadline, _)) = self.by_deadline.first() {
            if *deadline > now {
                break;
            }
            let (_, product_id) = self.by_deadline.pop_first().expect("checked above");
            self.by_product.remove(&product_id);
            due.push(product_id);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_returns_only_passed_deadlines_and_disarms_them() {
        let now = Utc::now();
        let mut timers = HoldTimers::default();
        timers.set("a", Some(now - chrono::Duration::seconds(1)));
        timers.set("b", Some(now + chrono::Duration::seconds(60)));
        assert_eq!(timers.due(now), vec!["a".to_owned()]);
        assert!(!timers.any_due(now));
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn rearming_replaces_the_previous_deadline() {
        let now = Utc::now();
        let mut timers = HoldTimers::default();
        timers.set("a", Some(now - chrono::Duration::seconds(1)));
        timers.set("a", Some(now + chrono::Duration::seconds(5)));
        assert!(timers.due(now).is_empty());
        timers.set("a", None);
        assert_eq!(timers.len(), 0);
    }
}
