//! Runs one reservation attempt per buyer with bounded concurrency and tallies
//! the answers: counts by outcome, per-answer latency and wall time.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// How many distinct error texts each run prints to stderr.
const ERRORS_SHOWN: usize = 5;

/// The shape of one sale, the same for Cartcast and its peer.
pub struct Sale {
    pub units: u64,
    pub buyers: usize,
    /// Most reservations in flight at once.
    pub concurrency: usize,
}

/// What one buyer was finally answered.
pub enum Answer {
    /// A hold was taken; `position` is the store position the answer reported, if any.
    Sold {
        position: Option<u64>,
    },
    SoldOut,
    /// Anything else, described for stderr.
    Failed(String),
}

/// One buyer's final answer and the conflicts retried on the way to it.
pub struct Reply {
    pub answer: Answer,
    pub retries: u64,
}

/// Everything measured during one run.
pub struct Tally {
    /// Microseconds from sending a buyer's first attempt to its final answer.
    latency: Histogram<u64>,
    /// Distinct error texts already printed, so a storm of one error prints once.
    shown: HashSet<String>,
    label: &'static str,
    pub answers: u64,
    pub sold: u64,
    pub sold_out: u64,
    pub errors: u64,
    pub retries: u64,
    /// Sold answers that carried no position.
    pub unpositioned: u64,
    pub last_position: Option<u64>,
    pub wall: Duration,
}

impl Tally {
    fn new(label: &'static str) -> anyhow::Result<Self> {
        Ok(Self {
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).context("creating the latency histogram")?,
            shown: HashSet::new(),
            label,
            answers: 0,
            sold: 0,
            sold_out: 0,
            errors: 0,
            retries: 0,
            unpositioned: 0,
            last_position: None,
            wall: Duration::ZERO,
        })
    }

    fn record(&mut self, reply: Reply, latency: Duration) {
        self.answers += 1;
        self.latency.saturating_record(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        self.retries += reply.retries;
        match reply.answer {
            Answer::Sold { position } => {
                self.sold += 1;
                match position {
                    Some(position) => self.last_position = self.last_position.max(Some(position)),
                    None => self.unpositioned += 1,
                }
            }
            Answer::SoldOut => self.sold_out += 1,
            Answer::Failed(error) => self.fail(error),
        }
    }

    /// Counts an error and prints it to stderr unless it was already shown or enough were.
    pub fn fail(&mut self, error: String) {
        self.errors += 1;
        if self.shown.len() < ERRORS_SHOWN && !self.shown.contains(&error) {
            eprintln!("{}: {error}", self.label);
            self.shown.insert(error);
        }
    }

    pub fn answers_per_s(&self) -> f64 {
        self.answers as f64 / self.wall.as_secs_f64()
    }

    pub fn p50_ms(&self) -> f64 {
        self.quantile_ms(0.50)
    }

    pub fn p99_ms(&self) -> f64 {
        self.quantile_ms(0.99)
    }

    fn quantile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Spawns each attempt as its own task, at most `concurrency` at once, and
/// waits for all of them; `label` prefixes the errors printed to stderr.
pub async fn drive<F>(
    label: &'static str,
    concurrency: usize,
    attempts: impl Iterator<Item = F>,
) -> anyhow::Result<Tally>
where
    F: Future<Output = Reply> + Send + 'static,
{
    let mut tally = Tally::new(label)?;
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for attempt in attempts {
        let permit = permits.clone().acquire_owned().await.context("waiting for a free slot")?;
        tasks.spawn(async move {
            let sent = Instant::now();
            let reply = attempt.await;
            drop(permit);
            (reply, sent.elapsed())
        });
        while let Some(done) = tasks.try_join_next() {
            let (reply, latency) = done.context("a buyer's task failed")?;
            tally.record(reply, latency);
        }
    }
    while let Some(done) = tasks.join_next().await {
        let (reply, latency) = done.context("a buyer's task failed")?;
        tally.record(reply, latency);
    }
    tally.wall = started.elapsed();
    Ok(tally)
}
