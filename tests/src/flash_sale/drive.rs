//! Runs one reservation attempt per buyer with bounded concurrency and tallies
//! what came back: definitive answers (sold, sold out) with their latency, and
//! errors counted by kind apart from them.

use std::collections::{BTreeMap, HashSet};
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

/// What one buyer was finally told.
pub enum Answer {
    /// A hold was taken; `position` is the store position the answer reported, if any.
    Sold {
        position: Option<u64>,
    },
    SoldOut,
    /// No definitive answer: `kind` groups it in the error counts (a status
    /// line, a transport failure), `detail` is printed for the first few.
    Failed {
        kind: String,
        detail: String,
    },
}

/// One buyer's final answer and the conflicts retried on the way to it.
pub struct Reply {
    pub answer: Answer,
    pub retries: u64,
}

/// Everything measured during one run.
pub struct Tally {
    /// Microseconds from sending a buyer's first attempt to its definitive answer.
    latency: Histogram<u64>,
    /// Distinct error texts already shown, so a storm of one error prints once.
    shown: HashSet<String>,
    /// Whether error texts are printed as they come; a part of a run (one
    /// connection's tally) keeps them for the whole run's tally to print on
    /// merging, so a storm on every connection still prints once.
    echo: bool,
    pub label: &'static str,
    /// Definitive answers only: sold plus sold out.
    pub answers: u64,
    pub sold: u64,
    pub sold_out: u64,
    /// Errors by kind; none of them is an answer.
    pub errors: BTreeMap<String, u64>,
    pub retries: u64,
    /// Sold answers that carried no position.
    pub unpositioned: u64,
    pub last_position: Option<u64>,
    pub wall: Duration,
    /// CPU time the load generator and the server spent while the buyers
    /// were answered, where the run measured it.
    pub cpu: Option<Cpu>,
}

/// CPU time spent during the buyers' phase: the load generator's, and the
/// server's where its processes were named.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    pub client: Duration,
    pub server: Option<Duration>,
}

impl Tally {
    pub fn new(label: &'static str) -> anyhow::Result<Self> {
        Ok(Self {
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).context("creating the latency histogram")?,
            shown: HashSet::new(),
            echo: true,
            label,
            answers: 0,
            sold: 0,
            sold_out: 0,
            errors: BTreeMap::new(),
            retries: 0,
            unpositioned: 0,
            last_position: None,
            wall: Duration::ZERO,
            cpu: None,
        })
    }

    /// A tally for a part of a run, merged into the run's with [`Tally::merge`]:
    /// it prints nothing itself.
    pub fn part(label: &'static str) -> anyhow::Result<Self> {
        Ok(Self { echo: false, ..Self::new(label)? })
    }

    pub fn record(&mut self, reply: Reply, latency: Duration) {
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
            Answer::Failed { kind, detail } => return self.fail(kind, detail),
        }
        self.answers += 1;
        self.latency.saturating_record(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Counts an error under `kind` and prints `detail` to stderr unless it
    /// was already shown or enough were.
    pub fn fail(&mut self, kind: impl Into<String>, detail: String) {
        *self.errors.entry(kind.into()).or_default() += 1;
        self.show(detail);
    }

    fn show(&mut self, detail: String) {
        if self.shown.len() < ERRORS_SHOWN && !self.shown.contains(&detail) {
            if self.echo {
                eprintln!("{}: error: {detail}", self.label);
            }
            self.shown.insert(detail);
        }
    }

    /// Adds what another part of the same run tallied (its wall time aside).
    pub fn merge(&mut self, other: Tally) {
        // Both histograms share their bounds, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.answers += other.answers;
        self.sold += other.sold;
        self.sold_out += other.sold_out;
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
        for detail in other.shown {
            self.show(detail);
        }
        self.retries += other.retries;
        self.unpositioned += other.unpositioned;
        self.last_position = self.last_position.max(other.last_position);
    }

    /// CPU microseconds per request (answered or not) of the load generator.
    pub fn client_cpu_us(&self) -> Option<f64> {
        self.cpu.map(|cpu| self.per_request_us(cpu.client))
    }

    /// CPU microseconds per request (answered or not) of the server, where measured.
    pub fn server_cpu_us(&self) -> Option<f64> {
        self.cpu.and_then(|cpu| cpu.server).map(|server| self.per_request_us(server))
    }

    fn per_request_us(&self, spent: Duration) -> f64 {
        spent.as_secs_f64() * 1e6 / (self.answers + self.error_count()).max(1) as f64
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Definitive answers per wall-clock second; errors do not count.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_run_add_up_and_keep_each_error_text_once() {
        let mut run = Tally::new("cartcast").unwrap();
        for _ in 0..3 {
            let mut part = Tally::part("cartcast").unwrap();
            part.fail("transport failed", "connection refused".to_owned());
            part.record(Reply { answer: Answer::SoldOut, retries: 0 }, Duration::from_millis(2));
            run.merge(part);
        }
        assert_eq!((run.answers, run.sold_out, run.error_count()), (3, 3, 3));
        assert_eq!(run.shown.len(), 1, "one text for the whole storm");
    }
}
