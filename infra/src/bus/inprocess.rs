//! The embedded shape's bus: bounded tokio channels as the command log (one
//! per partition, answered through oneshot channels), the event store's own
//! global order as the event feed, and leases that are always this process's.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::{
    BusError, CommandBus, CommandSource, Delivery, DeliveryHandle, EventFeed, FeedEvent, Lease, LiveEvents,
    PartitionLeases,
};
use crate::envelope::CommandEnvelope;
use crate::outcome::Outcome;
use crate::store::{EventStore, StoreError, StoredEvent};

/// Commands waiting per partition before callers wait to enqueue (back-pressure).
const QUEUE_DEPTH: usize = 65_536;

type Reply = oneshot::Sender<Result<Outcome, BusError>>;

/// The callers' side: routes each envelope to its partition's queue.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    partitions: Arc<Vec<mpsc::Sender<(CommandEnvelope, Reply)>>>,
}

/// One partition's queue, consumed by its worker.
#[derive(Debug)]
pub struct InProcessSource {
    receiver: mpsc::Receiver<(CommandEnvelope, Reply)>,
}

impl InProcessBus {
    /// A bus with `partitions` queues and the sources that drain them, in partition order.
    pub fn new(partitions: u32) -> (Self, Vec<InProcessSource>) {
        let (senders, sources) = (0..partitions.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
                (tx, InProcessSource { receiver: rx })
            })
            .unzip();
        (Self { partitions: Arc::new(senders) }, sources)
    }
}

#[async_trait]
impl CommandBus for InProcessBus {
    async fn dispatch(&self, envelope: CommandEnvelope, timeout: Duration) -> Result<Outcome, BusError> {
        let partition = envelope.command.partition(&envelope.actor, self.partitions.len() as u32) as usize;
        let (reply, answer) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + timeout;
        tokio::time::timeout_at(deadline, self.partitions[partition].send((envelope, reply)))
            .await
            .map_err(|_| BusError::Timeout(timeout))?
            .map_err(|_| BusError::Closed)?;
        match tokio::time::timeout_at(deadline, answer).await {
            Err(_) => Err(BusError::Timeout(timeout)),
            Ok(Err(_)) => Err(BusError::Closed),
            Ok(Ok(result)) => result,
        }
    }

    fn is_ready(&self) -> bool {
        // A partition whose worker stopped has a closed queue.
        self.partitions.iter().all(|p| !p.is_closed())
    }
}

struct InProcessHandle {
    reply: Reply,
}

#[async_trait]
impl DeliveryHandle for InProcessHandle {
    async fn settle(self: Box<Self>, outcome: &Outcome) {
        // The caller may have timed out and gone; its retry finds the record.
        let _ = self.reply.send(Ok(outcome.clone()));
    }

    async fn retry(self: Box<Self>) {
        // An in-process queue cannot redeliver: the caller is told to retry.
        let _ = self.reply.send(Err(BusError::Unavailable("the command was not committed; retry".into())));
    }
}

#[async_trait]
impl CommandSource for InProcessSource {
    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError> {
        let mut batch: Vec<(CommandEnvelope, Reply)> = Vec::new();
        match tokio::time::timeout(wait, self.receiver.recv()).await {
            Err(_) => return Ok(Vec::new()),
            Ok(None) => return Err(BusError::Closed),
            Ok(Some(first)) => batch.push(first),
        }
        while batch.len() < max {
            match self.receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        Ok(batch
            .into_iter()
            .map(|(envelope, reply)| Delivery { envelope, handle: Box::new(InProcessHandle { reply }) })
            .collect())
    }
}

/// The event feed of the embedded shape: the store's global order, with a
/// watch channel to wake subscribers when new events are committed, and a
/// broadcast of each published batch for live followers.
#[derive(Clone)]
pub struct StoreFeed {
    store: Arc<dyn EventStore>,
    head: watch::Sender<u64>,
    live: broadcast::Sender<Arc<[StoredEvent]>>,
    blocks: Arc<Blocks>,
}

/// Published batches a live follower may fall behind by before it misses some.
const LIVE_BACKLOG: usize = 1024;

impl StoreFeed {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, head: watch::Sender::new(0), live: broadcast::channel(LIVE_BACKLOG).0, blocks: Arc::default() }
    }
}

#[async_trait]
impl EventFeed for StoreFeed {
    async fn publish(&self, events: &[StoredEvent], store_positions: &[u64]) -> Result<Vec<u64>, BusError> {
        // Copied only while someone follows.
        if self.live.receiver_count() > 0 && !events.is_empty() {
            let _ = self.live.send(events.into());
        }
        if let Some(&last) = store_positions.iter().max() {
            self.head.send_if_modified(|head| {
                let newer = last > *head;
                if newer {
                    *head = last;
                }
                newer
            });
        }
        Ok(store_positions.to_vec())
    }

    async fn subscribe(&self, after: u64) -> Result<BoxStream<'static, Result<FeedEvent, BusError>>, BusError> {
        // A reader task keeps the next page ready while the subscriber handles this one.
        let (pages, ready) = mpsc::channel(READ_AHEAD);
        let reader = Reader { store: self.store.clone(), blocks: self.blocks.clone() };
        tokio::spawn(read_pages(reader, self.head.subscribe(), after, pages));
        let pages = stream::unfold(ready, |mut ready| async move { ready.recv().await.map(|page| (page, ready)) });
        Ok(pages.flat_map(stream::iter).boxed())
    }
}

/// Pages a subscriber may have read ahead of it.
const READ_AHEAD: usize = 2;

/// Read the store's global order after `after` into `pages`, page by page,
/// until the subscriber goes away.
async fn read_pages(
    reader: Reader,
    mut head: watch::Receiver<u64>,
    mut after: u64,
    pages: mpsc::Sender<Vec<Result<FeedEvent, BusError>>>,
) {
    while !pages.is_closed() {
        let page = match reader.read(after).await {
            Err(e) => vec![Err(BusError::Unavailable(e.to_string()))],
            Ok(page) if !page.is_empty() => {
                after = page.last().map_or(after, |e| e.position);
                page.into_iter().map(Ok).collect()
            }
            // Caught up: wait for the next commit (or re-check now and
            // then, in case events were committed by another handle).
            Ok(_) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), head.changed()).await;
                continue;
            }
        };
        if pages.send(page).await.is_err() {
            return;
        }
    }
}

/// Positions per block of the global order: block `k` holds positions
/// `k * BLOCK + 1 ..= (k + 1) * BLOCK`. A subscriber reads at most to the
/// end of its block per store query.
const BLOCK: u64 = 512;

/// Whole blocks kept: how far apart subscribers catching up side by side
/// may be and still read each block once (at most 8,192 events held).
const KEPT: usize = 16;

/// The whole blocks read last, shared by the subscribers of one feed. The
/// projections of a process catch up side by side (a fresh start, a
/// backlog, `projections rebuild all`): each block is read from the store
/// and parsed once, not once per projection.
#[derive(Default)]
struct Blocks {
    recent: Mutex<VecDeque<(u64, Arc<[FeedEvent]>)>>,
}

impl Blocks {
    fn get(&self, block: u64) -> Option<Arc<[FeedEvent]>> {
        let recent = self.recent.lock().expect("no reader panics holding the blocks");
        recent.iter().find(|(k, _)| *k == block).map(|(_, events)| events.clone())
    }

    fn keep(&self, block: u64, events: Arc<[FeedEvent]>) {
        let mut recent = self.recent.lock().expect("no reader panics holding the blocks");
        if recent.iter().all(|(k, _)| *k != block) {
            if recent.len() == KEPT {
                recent.pop_front();
            }
            recent.push_back((block, events));
        }
    }
}

/// One subscriber's way into the store, through the shared blocks.
struct Reader {
    store: Arc<dyn EventStore>,
    blocks: Arc<Blocks>,
}

impl Reader {
    /// The committed events after `after`, up to the end of its block.
    async fn read(&self, after: u64) -> Result<Vec<FeedEvent>, StoreError> {
        let block = after / BLOCK;
        if let Some(events) = self.blocks.get(block) {
            return Ok(events.iter().filter(|e| e.position > after).cloned().collect());
        }
        let end = (block + 1) * BLOCK;
        let read = self.store.read_all(after, (end - after) as u32).await?;
        let events: Vec<FeedEvent> = read
            .into_iter()
            .take_while(|(position, _)| *position <= end)
            .map(|(position, event)| FeedEvent { position, event: Arc::new(event) })
            .collect();
        // The store commits in position order: once the block's last
        // position is there, no event of it can still appear.
        let whole = after == block * BLOCK && events.last().is_some_and(|e| e.position == end);
        if whole {
            self.blocks.keep(block, events.as_slice().into());
        }
        Ok(events)
    }
}

#[async_trait]
impl LiveEvents for StoreFeed {
    async fn follow(&self, aggregates: &[(&str, &str)]) -> Result<BoxStream<'static, StoredEvent>, BusError> {
        // By aggregate type, then id: looked up without allocating per event.
        let mut wanted: HashMap<String, HashSet<String>> = HashMap::new();
        for (kind, id) in aggregates {
            wanted.entry((*kind).to_owned()).or_default().insert((*id).to_owned());
        }
        let batches = stream::unfold(self.live.subscribe(), move |mut live| {
            let wanted = wanted.clone();
            async move {
                loop {
                    match live.recv().await {
                        Ok(batch) => {
                            let mine: Vec<StoredEvent> = batch
                                .iter()
                                .filter(|e| {
                                    wanted.get(&e.aggregate_type).is_some_and(|ids| ids.contains(&e.aggregate_id))
                                })
                                .cloned()
                                .collect();
                            if !mine.is_empty() {
                                return Some((mine, live));
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a live follower fell behind the feed; it misses some events");
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        });
        Ok(batches.flat_map(stream::iter).boxed())
    }
}

/// In one process every partition is ours.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalLeases;

struct LocalLease;

#[async_trait]
impl PartitionLeases for LocalLeases {
    async fn acquire(&self, _partition: u32) -> Result<Box<dyn Lease>, BusError> {
        Ok(Box::new(LocalLease))
    }
}

#[async_trait]
impl Lease for LocalLease {
    async fn lost(&mut self) {
        std::future::pending::<()>().await
    }
}
