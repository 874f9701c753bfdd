//! The partition's side of the feed outbox: what this writer committed but
//! has not yet put on the event feed. Nothing new is decided while anything
//! is left here, so the feed carries each aggregate's events in sequence
//! order even when an owner dies between commit and publish (a successor
//! finds the dead owner's last batch in the store) or a publish fails.

use cartcast_infra::bus::{BusError, EventFeed};
use cartcast_infra::store::{EventStore, OutboxEntry, OutboxUpdate, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error("outbox not read: {0}")]
    Store(#[from] StoreError),
    #[error("outbox not published: {0}")]
    Feed(#[from] BusError),
}

pub struct FeedOutbox {
    partition: u32,
    /// Committed entries not known to be on the feed, oldest first.
    unpublished: Vec<OutboxEntry>,
    /// Entries now on the feed that the store still lists; forgotten with the next commit.
    published: Vec<u64>,
    /// Read the store's list before publishing: on acquiring the partition, and
    /// after a failed batch (a writer that lost the partition may have committed).
    stale: bool,
}

impl FeedOutbox {
    pub fn new(partition: u32) -> Self {
        Self { partition, unpublished: Vec::new(), published: Vec::new(), stale: true }
    }

    /// Read the store's list again before the next catch-up.
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// Put every unpublished entry on the feed, oldest first. Until this
    /// succeeds the writer must decide nothing.
    pub async fn catch_up(&mut self, store: &dyn EventStore, feed: &dyn EventFeed) -> Result<(), CatchUpError> {
        if self.stale {
            let mut listed = store.unpublished(self.partition).await?;
            listed.retain(|entry| !self.published.contains(&entry.id));
            self.unpublished = listed;
            self.stale = false;
        }
        while let Some(entry) = self.unpublished.first() {
            feed.publish(&entry.events, &entry.positions).await?;
            self.published.push(entry.id);
            self.unpublished.remove(0);
        }
        Ok(())
    }

    /// The outbox side of the next commit; hand it back with [`Self::restore`]
    /// if that commit fails.
    pub fn take_update(&mut self) -> OutboxUpdate {
        OutboxUpdate { partition: self.partition, published: std::mem::take(&mut self.published) }
    }

    pub fn restore(&mut self, update: OutboxUpdate) {
        self.published.extend(update.published);
    }

    /// Published entries the store still lists (an idle writer forgets them on its own).
    pub fn has_published(&self) -> bool {
        !self.published.is_empty()
    }

    /// A commit listed `entry`; it is on the feed only once [`Self::published_last`] says so.
    pub fn committed(&mut self, entry: OutboxEntry) {
        self.unpublished.push(entry);
    }

    /// The entry committed last is on the feed.
    pub fn published_last(&mut self) {
        if let Some(entry) = self.unpublished.pop() {
            self.published.push(entry.id);
        }
    }

    /// The entry committed last, to publish.
    pub fn last(&self) -> Option<&OutboxEntry> {
        self.unpublished.last()
    }
}
