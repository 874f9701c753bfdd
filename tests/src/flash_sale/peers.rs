//! The peers the sale is raced against, each run's figures as one line
//! (`peer=NAME buyers=… units=… concurrency=… passed=… answers_per_s=… …`,
//! readable back with `--compare`), and the summary line that sets them
//! beside Cartcast's.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use clap::ValueEnum;

use crate::drive::{Sale, Tally};
use crate::verdict::{Verdict, cpu_fields, pace_fields};

/// The snapshot peer takes a snapshot every this many events.
pub const SNAPSHOT_EVERY: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Peer {
    /// The same requests to a trivial axum route that checks the token and decides nothing.
    Bare,
    /// cqrs-es 0.5 on postgres-es, every event loaded per command, retrying optimistic-lock conflicts.
    NaiveCqrs,
    /// The same with postgres-es' snapshot store (a snapshot every 100 events).
    SnapshotCqrs,
    /// One PostgreSQL transaction per buyer: a guarded `UPDATE` of the stock and an order row.
    Sql,
}

impl Peer {
    pub fn name(self) -> &'static str {
        match self {
            Peer::Bare => "bare",
            Peer::NaiveCqrs => "naive-cqrs",
            Peer::SnapshotCqrs => "snapshot-cqrs",
            Peer::Sql => "sql",
        }
    }
}

/// What one peer's run measured.
#[derive(Clone, Debug)]
pub struct PeerFigures {
    pub peer: Peer,
    pub answers_per_s: f64,
    /// The peer server's CPU microseconds per request, where it is a process of its own.
    pub server_cpu_us: Option<f64>,
    pub passed: bool,
    pub line: String,
}

impl PeerFigures {
    /// Judges the run: the bare server decides nothing, so only its errors
    /// count; every other peer is judged as Cartcast is.
    pub fn of(peer: Peer, tally: &Tally, sale: &Sale) -> Self {
        let (passed, fields) = if peer == Peer::Bare {
            (tally.error_count() == 0, baseline_fields(tally))
        } else {
            let verdict = Verdict::of(tally, sale);
            verdict.explain(tally);
            (verdict.passed(), verdict.fields(tally))
        };
        if peer == Peer::Bare && !passed {
            eprintln!("bare: FAILED: {} requests were not answered 201", tally.error_count());
        }
        let line = format!(
            "peer={} buyers={} units={} concurrency={} passed={passed}{fields}",
            peer.name(),
            sale.buyers,
            sale.units,
            sale.concurrency
        );
        Self { peer, answers_per_s: tally.answers_per_s(), server_cpu_us: tally.server_cpu_us(), passed, line }
    }

    /// Reads a peer line back; `None` for any other line.
    fn parse(line: &str, sale: &Sale) -> anyhow::Result<Option<Self>> {
        if !line.starts_with("peer=") {
            return Ok(None);
        }
        let fields: HashMap<&str, &str> = line.split_whitespace().filter_map(|field| field.split_once('=')).collect();
        let field = |key: &str| fields.get(key).copied().with_context(|| format!("no {key}= in {line}"));
        let number = |key: &str| -> anyhow::Result<f64> {
            field(key)?.parse().with_context(|| format!("{key}= is not a number in {line}"))
        };
        let peer = Peer::from_str(field("peer")?, false).map_err(anyhow::Error::msg)?;
        let ran = (number("buyers")?, number("units")?, number("concurrency")?);
        if ran != (sale.buyers as f64, sale.units as f64, sale.concurrency as f64) {
            bail!(
                "{line} ran another sale than this one ({} buyers, {} units, concurrency {})",
                sale.buyers,
                sale.units,
                sale.concurrency
            );
        }
        Ok(Some(Self {
            peer,
            answers_per_s: number("answers_per_s")?,
            server_cpu_us: fields.contains_key("server_cpu_us").then(|| number("server_cpu_us")).transpose()?,
            passed: field("passed")? == "true",
            line: line.to_owned(),
        }))
    }
}

/// The bare run's fields: it sells nothing, so only its pace, errors and CPU.
fn baseline_fields(tally: &Tally) -> String {
    format!("{} errors={}{}", pace_fields(tally), tally.error_count(), cpu_fields(tally))
}

/// The peer lines of an earlier run's output at `path`, which must have run the same sale.
pub fn read_lines(path: &Path, sale: &Sale) -> anyhow::Result<Vec<PeerFigures>> {
    let output = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    output
        .lines()
        .filter_map(|line| PeerFigures::parse(line, sale).transpose())
        .collect::<anyhow::Result<_>>()
        .with_context(|| format!("reading the peer lines of {}", path.display()))
}

/// Cartcast's figures beside its peers', for the last line.
pub struct Summary {
    answers_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    server_cpu_us: Option<f64>,
    client_cpu_us: Option<f64>,
    oversold: u64,
    bare_cpu_us: Option<f64>,
    /// Cartcast's answers per second over each database peer's: naive, snapshot, sql.
    ratios: [Option<f64>; 3],
    /// Whether Cartcast's own run passed; if not, it compares with nothing.
    cartcast_passed: bool,
    /// Whether Cartcast's run and every peer run here passed.
    pub passed: bool,
}

impl Summary {
    pub fn of(tally: &Tally, verdict: &Verdict) -> Self {
        Self {
            answers_per_s: tally.answers_per_s(),
            p50_ms: tally.p50_ms(),
            p99_ms: tally.p99_ms(),
            server_cpu_us: tally.server_cpu_us(),
            client_cpu_us: tally.client_cpu_us(),
            oversold: verdict.oversold,
            bare_cpu_us: None,
            ratios: [None; 3],
            cartcast_passed: verdict.passed(),
            passed: verdict.passed(),
        }
    }

    /// Sets a peer's figures beside Cartcast's; a failed run compares with nothing.
    pub fn add(&mut self, figures: &PeerFigures) {
        if !figures.passed {
            return;
        }
        let ratio = Some(self.answers_per_s / figures.answers_per_s);
        match figures.peer {
            Peer::Bare => self.bare_cpu_us = figures.server_cpu_us,
            Peer::NaiveCqrs => self.ratios[0] = ratio,
            Peer::SnapshotCqrs => self.ratios[1] = ratio,
            Peer::Sql => self.ratios[2] = ratio,
        }
    }

    /// `flash-sale answers_per_s=… … oversold=…`; what was not measured, or
    /// compares with a failed run, is `n/a`.
    pub fn line(&self) -> String {
        let shown = |value: Option<f64>, decimals: usize| match value {
            Some(value) if value.is_finite() => format!("{value:.decimals$}"),
            _ => "n/a".to_owned(),
        };
        let judged = |value: Option<f64>| value.filter(|_| self.cartcast_passed);
        let edge_ratio = self.server_cpu_us.zip(self.bare_cpu_us).map(|(server, bare)| server / bare);
        let [naive, snapshot, sql] = self.ratios.map(|ratio| shown(judged(ratio), 2));
        format!(
            "flash-sale answers_per_s={:.0} p50_ms={:.1} p99_ms={:.1} server_cpu_us={} client_cpu_us={} bare_cpu_us={} \
             edge_ratio={} naive_ratio={naive} snapshot_ratio={snapshot} sql_ratio={sql} oversold={}",
            self.answers_per_s,
            self.p50_ms,
            self.p99_ms,
            shown(self.server_cpu_us, 1),
            shown(self.client_cpu_us, 1),
            shown(self.bare_cpu_us, 1),
            shown(judged(edge_ratio), 2),
            self.oversold,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::drive::{Answer, Reply};

    fn sale(buyers: usize) -> Sale {
        Sale { units: 2, buyers, concurrency: 4 }
    }

    /// A run that sold two units and refused the third.
    fn sold_out_run() -> Tally {
        let mut tally = Tally::new("sql").unwrap();
        for answer in [Answer::Sold { position: None }, Answer::Sold { position: None }, Answer::SoldOut] {
            tally.record(Reply { answer, retries: 0 }, Duration::from_millis(3));
        }
        tally.wall = Duration::from_millis(500);
        tally
    }

    #[test]
    fn a_peer_line_reads_back_as_it_was_measured() {
        let figures = PeerFigures::of(Peer::Sql, &sold_out_run(), &sale(3));
        assert!(figures.passed, "{}", figures.line);
        let read = PeerFigures::parse(&figures.line, &sale(3)).unwrap().expect("a peer line");
        assert_eq!((read.peer, read.answers_per_s, read.passed), (Peer::Sql, 6.0, true));
        assert!(PeerFigures::parse("cartcast answers_per_s=1", &sale(3)).unwrap().is_none());
    }

    #[test]
    fn a_peer_line_of_another_sale_is_refused() {
        let figures = PeerFigures::of(Peer::Sql, &sold_out_run(), &sale(3));
        let error = PeerFigures::parse(&figures.line, &sale(4)).unwrap_err();
        assert!(error.to_string().contains("another sale"), "{error}");
    }

    #[test]
    fn a_failed_peer_compares_with_nothing() {
        let cartcast = sold_out_run();
        let mut summary = Summary::of(&cartcast, &Verdict::of(&cartcast, &sale(3)));
        let mut failed = sold_out_run();
        failed.fail("database", "connection refused".to_owned());
        summary.add(&PeerFigures::of(Peer::Sql, &failed, &sale(3)));
        summary.add(&PeerFigures::of(Peer::NaiveCqrs, &sold_out_run(), &sale(3)));
        let line = summary.line();
        assert!(line.contains(" naive_ratio=1.00 ") && line.contains(" sql_ratio=n/a "), "{line}");
        assert!(line.ends_with(" oversold=0"), "{line}");
    }
}
