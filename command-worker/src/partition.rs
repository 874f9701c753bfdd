//! The partition worker: the single writer of one partition. It pulls
//! commands from the command log in batches, decides them against aggregates
//! kept hot in memory, commits each batch's events together with a
//! `command_log` row per command in one transaction, publishes the events to
//! the feed, then answers and acknowledges. A redelivered command finds its
//! row, its recorded events are republished (the feed de-duplicates) and it
//! gets the same answer: exactly once.
//!
//! Before it decides anything, the worker puts on the feed every batch its
//! partition committed that is not there yet (`outbox`): a new owner first
//! publishes what a dead owner committed, so the feed keeps each aggregate's
//! order.
//!
//! Reservation holds expire, and polls close at their end, on timers kept
//! here and rebuilt from the store when the partition is (re)acquired. Checkouts pay outside the loop: phase 1
//! places the order, the payment runs as a task, phase 2 records its result.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, warn};
use uuid::Uuid;

use cartcast_domain::order::PaymentResult;
use cartcast_infra::bus::{BusError, CommandSource, Delivery, DeliveryHandle, EventFeed};
use cartcast_infra::config::Settings;
use cartcast_infra::envelope::CommandEnvelope;
use cartcast_infra::outcome::Outcome;
use cartcast_infra::payment::{Charge, PaymentGateway};
use cartcast_infra::store::{CommandRecord, CommitBatch, EventKey, EventStore, OutboxEntry, StoreError, StoredEvent};

use crate::decide::{Aggregates, Decision, Paying, PaymentRequest, metadata};
use crate::outbox::FeedOutbox;
use crate::timers::Timers;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    #[error("command log: {0}")]
    Bus(#[from] cartcast_infra::bus::BusError),
}

/// Everything a partition worker talks to.
#[derive(Clone)]
pub struct WorkerDeps {
    pub store: Arc<dyn EventStore>,
    pub feed: Arc<dyn EventFeed>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub settings: Settings,
}

/// Deliveries that will get the answer of one command record.
struct Answer {
    handles: Vec<Box<dyn DeliveryHandle>>,
    record: CommandRecord,
}

/// One batch on its way through decide → commit → publish → answer.
#[derive(Default)]
struct Batch {
    /// Events decided, in the order they were decided.
    staged: Vec<StoredEvent>,
    /// New outcomes, each with every delivery of its command.
    answers: Vec<Answer>,
    /// Commands decided before (redeliveries), answered from their record.
    replays: Vec<Answer>,
    /// Checkouts whose order this batch places; they pay after the commit.
    to_pay: Vec<Uuid>,
    /// Payment results this batch records, kept until it is committed.
    settled: Vec<(Uuid, PaymentResult, CommandEnvelope, PaymentRequest)>,
}

pub struct PartitionWorker {
    partition: u32,
    deps: WorkerDeps,
    aggregates: Aggregates,
    timers: Timers,
    /// Checkouts whose payment is in flight, by command id.
    paying: HashMap<Uuid, Paying>,
    payments: JoinSet<(Uuid, PaymentResult)>,
    /// Payment results whose phase-2 commit failed, to be tried again.
    unsettled: Vec<(Uuid, PaymentResult)>,
    /// Committed batches not yet on the feed.
    outbox: FeedOutbox,
}

impl PartitionWorker {
    pub fn new(partition: u32, deps: WorkerDeps) -> Self {
        Self {
            partition,
            aggregates: Aggregates::new(deps.store.clone()),
            deps,
            timers: Timers::default(),
            paying: HashMap::new(),
            payments: JoinSet::new(),
            unsettled: Vec::new(),
            outbox: FeedOutbox::new(partition),
        }
    }

    /// Run until `stop` is cancelled (shutdown or lost lease), then let
    /// in-flight payments settle for a bounded time.
    pub async fn run(mut self, mut source: Box<dyn CommandSource>, stop: CancellationToken) -> Result<(), WorkerError> {
        self.rebuild_timers().await?;
        info!(
            partition = self.partition,
            holds = self.timers.holds.len(),
            polls = self.timers.polls.len(),
            "partition owned"
        );
        while !stop.is_cancelled() {
            let wait = if self.paying.is_empty() {
                self.timers.until_next(Utc::now()).min(Duration::from_millis(200))
            } else {
                Duration::from_millis(5)
            };
            let deliveries = match source.next_batch(self.deps.settings.batch_max, wait).await {
                Ok(deliveries) => deliveries,
                // Every caller is gone (the process is stopping).
                Err(BusError::Closed) => break,
                Err(e) => return Err(e.into()),
            };
            self.step(deliveries).await;
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while !self.paying.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
            self.step(Vec::new()).await;
        }
        info!(partition = self.partition, "partition released");
        Ok(())
    }

    /// Arm the timers of this partition's holds and polls from the store.
    async fn rebuild_timers(&mut self) -> Result<(), StoreError> {
        let partitions = self.deps.settings.partitions;
        let store = self.deps.store.as_ref();
        self.timers.rebuild(store, &mut self.aggregates, self.partition, partitions).await
    }

    /// One batch: decide, commit, publish, answer. Failures are logged and the
    /// affected commands handed back for redelivery; the worker carries on.
    async fn step(&mut self, deliveries: Vec<Delivery>) {
        let started = Instant::now();
        let count = deliveries.len();
        if let Err(e) = self.outbox.catch_up(self.deps.store.as_ref(), self.deps.feed.as_ref()).await {
            warn!(partition = self.partition, error = %e, "committed events are not on the feed yet; deciding nothing");
            retry_all(deliveries.into_iter().map(|d| d.handle).collect()).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            return;
        }
        while let Some(done) = self.payments.try_join_next() {
            match done {
                Ok(result) => self.unsettled.push(result),
                Err(e) => warn!(error = %e, "payment task failed"),
            }
        }
        let payments = std::mem::take(&mut self.unsettled);
        if deliveries.is_empty() && payments.is_empty() && !self.timers.any_due(Utc::now()) {
            if self.outbox.has_published() {
                self.forget_published().await;
            }
            return;
        }
        if let Err(e) = self.try_step(deliveries, payments).await {
            warn!(partition = self.partition, error = %e, "batch not committed; commands will be retried");
            self.aggregates.clear();
            self.outbox.mark_stale();
            if let Err(e) = self.rebuild_timers().await {
                warn!(partition = self.partition, error = %e, "timers not rebuilt");
            }
        }
        metrics::histogram!("worker_batch_commands").record(count as f64);
        metrics::histogram!("worker_batch_seconds").record(started.elapsed().as_secs_f64());
    }

    /// One batch through its four phases; a failed phase hands back what it
    /// cannot answer (redelivery answers it the same) and says why.
    async fn try_step(
        &mut self,
        deliveries: Vec<Delivery>,
        payments: Vec<(Uuid, PaymentResult)>,
    ) -> Result<(), WorkerError> {
        let batch = self.decide(deliveries, payments, Utc::now()).await?;
        let (batch, store_positions) = self.commit(batch).await?;
        self.timers.rearm(&mut self.aggregates, &batch.staged).await?;
        self.publish_and_answer(batch, store_positions).await
    }

    /// Decide phase: every new command against the hot aggregates, the
    /// payments that came back, and the holds now due; repeats join their
    /// first delivery, and commands decided before are answered from their record.
    async fn decide(
        &mut self,
        deliveries: Vec<Delivery>,
        payments: Vec<(Uuid, PaymentResult)>,
        now: DateTime<Utc>,
    ) -> Result<Batch, WorkerError> {
        let hold_for = chrono::Duration::from_std(self.deps.settings.hold_for).unwrap_or(chrono::Duration::minutes(5));
        let ids: Vec<Uuid> = deliveries.iter().map(|d| d.envelope.command_id).collect();
        let mut recorded: HashMap<Uuid, CommandRecord> = if ids.is_empty() {
            HashMap::new()
        } else {
            self.deps.store.recorded(&ids).await?.into_iter().map(|r| (r.command_id, r)).collect()
        };
        let mut batch = Batch::default();
        self.aggregates.begin_batch();
        let mut by_id: HashMap<Uuid, usize> = HashMap::new();
        for delivery in deliveries {
            let id = delivery.envelope.command_id;
            if let Some(record) = recorded.remove(&id) {
                batch.replays.push(Answer { handles: vec![delivery.handle], record });
            } else if let Some(&i) = by_id.get(&id) {
                batch.answers[i].handles.push(delivery.handle);
            } else if let Some(paying) = self.paying.get_mut(&id) {
                paying.handles.push(delivery.handle);
            } else {
                let envelope = &delivery.envelope;
                // Debug-level: at the default `info` filter a flash sale's
                // thousands of commands a second pay for no span formatting.
                let span = tracing::debug_span!(
                    "command",
                    name = envelope.command.name(),
                    command_id = %envelope.command_id,
                    correlation_id = %envelope.correlation_id,
                    actor = %envelope.actor.sub,
                    partition = self.partition,
                );
                let decided = self.aggregates.decide(envelope, now, hold_for, &mut batch.staged).instrument(span).await;
                match decided {
                    Err(e) => {
                        retry_all(vec![delivery.handle]).await;
                        retry_answers(batch.answers).await;
                        return Err(e.into());
                    }
                    Ok(Decision::Done { outcome, events }) => {
                        by_id.insert(id, batch.answers.len());
                        let record = CommandRecord { command_id: id, outcome, events };
                        batch.answers.push(Answer { handles: vec![delivery.handle], record });
                    }
                    Ok(Decision::Pay(request)) => {
                        batch.to_pay.push(id);
                        let paying = Paying { envelope: delivery.envelope, request, handles: vec![delivery.handle] };
                        self.paying.insert(id, paying);
                    }
                }
            }
        }
        for (id, result) in payments {
            let Some(paying) = self.paying.remove(&id) else { continue };
            let meta = metadata(&paying.envelope, now);
            let (outcome, events) =
                self.aggregates.settle_payment(&paying.request, result.clone(), &meta, &mut batch.staged).await?;
            let record = CommandRecord { command_id: id, outcome, events };
            batch.answers.push(Answer { handles: paying.handles, record });
            batch.settled.push((id, result, paying.envelope, paying.request));
        }
        let busy: HashSet<&str> = self.paying.values().map(|p| p.request.reservation_id.product_id()).collect();
        self.timers.fire_due(now, &mut self.aggregates, &busy, &mut batch.staged).await?;
        Ok(batch)
    }

    /// Commit phase: the batch's events, its command records and the outbox
    /// update in one transaction. Returns the events' store positions; on
    /// failure, nothing of the batch is answered and paid results are kept.
    async fn commit(&mut self, batch: Batch) -> Result<(Batch, Vec<u64>), WorkerError> {
        let mut commit = CommitBatch {
            events: batch.staged,
            commands: batch.answers.iter().map(|a| a.record.clone()).collect(),
            outbox: self.outbox.take_update(),
        };
        let started = Instant::now();
        match self.deps.store.commit(&commit).await {
            Ok(positions) => {
                metrics::histogram!("worker_commit_seconds").record(started.elapsed().as_secs_f64());
                Ok((Batch { staged: commit.events, ..batch }, positions))
            }
            Err(e) => {
                self.outbox.restore(std::mem::take(&mut commit.outbox));
                retry_answers(batch.answers).await;
                for id in batch.to_pay {
                    if let Some(paying) = self.paying.remove(&id) {
                        retry_all(paying.handles).await;
                    }
                }
                // Results already paid for must not be lost: settle them again next batch.
                for (id, result, envelope, request) in batch.settled {
                    self.paying.insert(id, Paying { envelope, request, handles: Vec::new() });
                    self.unsettled.push((id, result));
                }
                Err(e.into())
            }
        }
    }

    /// Publish and answer phases: refusals are final once committed and are
    /// answered at once; the rest wait until their events are on the feed,
    /// so each answer carries the feed position a `?after=` read waits for.
    async fn publish_and_answer(&mut self, batch: Batch, store_positions: Vec<u64>) -> Result<(), WorkerError> {
        let (answers, eventless): (Vec<Answer>, Vec<Answer>) =
            batch.answers.into_iter().partition(|a| !a.record.events.is_empty());
        let (replays, eventless_replays): (Vec<Answer>, Vec<Answer>) =
            batch.replays.into_iter().partition(|a| !a.record.events.is_empty());
        for answer in eventless.into_iter().chain(eventless_replays) {
            settle(answer, &HashMap::new()).await;
        }

        if let Some(entry) = OutboxEntry::of_commit(store_positions, batch.staged) {
            crash_point(&self.deps.settings, entry.events.len());
            self.outbox.committed(entry);
        }
        let position_of = match self.publish_committed(&replays).await {
            Ok(position_of) => position_of,
            Err(e) => {
                // Committed but not yet on the feed: the next step publishes it
                // before anything else, and redelivery answers the same.
                retry_answers(answers).await;
                retry_answers(replays).await;
                return Err(e);
            }
        };
        for answer in answers.into_iter().chain(replays) {
            settle(answer, &position_of).await;
        }
        for id in batch.to_pay {
            self.start_payment(id);
        }
        Ok(())
    }

    /// Put the batch just committed on the feed, then look up the feed
    /// positions of the replayed commands' events (their earlier publish is
    /// de-duplicated). Returns the feed position of every event answered.
    async fn publish_committed(&mut self, replays: &[Answer]) -> Result<HashMap<EventKey, u64>, WorkerError> {
        let mut position_of = HashMap::new();
        if let Some(entry) = self.outbox.last() {
            let positions = self.deps.feed.publish(&entry.events, &entry.positions).await?;
            position_of.extend(entry.events.iter().map(StoredEvent::key).zip(positions));
            self.outbox.published_last();
        }
        let keys: Vec<EventKey> = replays.iter().flat_map(|r| r.record.events.iter().cloned()).collect();
        if !keys.is_empty() {
            let (positions, events): (Vec<u64>, Vec<StoredEvent>) =
                self.deps.store.events(&keys).await?.into_iter().unzip();
            let feed_positions = self.deps.feed.publish(&events, &positions).await?;
            position_of.extend(keys.into_iter().zip(feed_positions));
        }
        Ok(position_of)
    }

    /// An idle writer tells the store which outbox entries are on the feed.
    async fn forget_published(&mut self) {
        let mut batch = CommitBatch { outbox: self.outbox.take_update(), ..Default::default() };
        if let Err(e) = self.deps.store.commit(&batch).await {
            warn!(partition = self.partition, error = %e, "published outbox entries not forgotten; trying again");
            self.outbox.restore(std::mem::take(&mut batch.outbox));
        }
    }

    fn start_payment(&mut self, id: Uuid) {
        let Some(paying) = self.paying.get(&id) else { return };
        let gateway = self.deps.gateway.clone();
        let request = paying.request.clone();
        // The charge runs beside the loop so a slow gateway never stalls the partition.
        self.payments.spawn(async move {
            let charge = Charge {
                idempotency_key: &request.order_id,
                card: &request.card,
                amount_minor: request.amount_minor,
                currency: &request.currency,
            };
            (id, gateway.charge(charge).await)
        });
    }
}

/// Events this process has committed, for the crash tests' strike point.
static COMMITTED_EVENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Abort the process between commit and publish when the crash tests ask
/// for it (`CARTCAST_CRASH_AFTER_EVENTS`): no answer, no publish, no clean-up.
fn crash_point(settings: &Settings, committed: usize) {
    let Some(after) = settings.crash_after_events else { return };
    let before = COMMITTED_EVENTS.fetch_add(committed as u64, std::sync::atomic::Ordering::SeqCst);
    if before < after && before + committed as u64 >= after {
        warn!(after, "CARTCAST_CRASH_AFTER_EVENTS: aborting between commit and publish");
        std::process::abort();
    }
}

/// Answer and acknowledge every delivery of `answer`, with the feed position
/// of its last event.
async fn settle(answer: Answer, position_of: &HashMap<EventKey, u64>) {
    let mut outcome: Outcome = answer.record.outcome;
    outcome.position = answer.record.events.iter().filter_map(|k| position_of.get(k)).max().copied();
    metrics::counter!("commands_decided_total", "outcome" => outcome.label().to_owned()).increment(1);
    for handle in answer.handles {
        handle.settle(&outcome).await;
    }
}

async fn retry_all(handles: Vec<Box<dyn DeliveryHandle>>) {
    for handle in handles {
        handle.retry().await;
    }
}

async fn retry_answers(answers: Vec<Answer>) {
    for answer in answers {
        retry_all(answer.handles).await;
    }
}
