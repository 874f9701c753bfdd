//! Judges one run of the sale by the same rules for Cartcast and every peer:
//! any error, any unit left unsold while buyers outnumbered units, and any
//! unit sold twice each fail the run.

use std::fmt::Write as _;

use crate::drive::{Sale, Tally};

/// What one run got wrong; all zero when it passed.
pub struct Verdict {
    pub errors: u64,
    /// Units not sold although a buyer was still asking: `min(units, buyers) - sold`.
    pub undersold: u64,
    /// Units sold beyond the stock.
    pub oversold: u64,
}

impl Verdict {
    pub fn of(tally: &Tally, sale: &Sale) -> Self {
        let buyers = u64::try_from(sale.buyers).unwrap_or(u64::MAX);
        Self {
            errors: tally.error_count(),
            undersold: sale.units.min(buyers).saturating_sub(tally.sold),
            oversold: tally.sold.saturating_sub(sale.units),
        }
    }

    pub fn passed(&self) -> bool {
        self.errors == 0 && self.undersold == 0 && self.oversold == 0
    }

    /// Says on stderr why the run failed, with its errors counted by kind.
    pub fn explain(&self, tally: &Tally) {
        if self.errors > 0 {
            let kinds: Vec<String> = tally.errors.iter().map(|(kind, count)| format!("{count} × {kind}")).collect();
            eprintln!("{}: FAILED: {} errors: {}", tally.label, self.errors, kinds.join(", "));
        }
        if self.undersold > 0 {
            eprintln!("{}: FAILED: {} units left unsold although buyers asked for them", tally.label, self.undersold);
        }
        if self.oversold > 0 {
            eprintln!("{}: FAILED: {} units sold beyond the stock", tally.label, self.oversold);
        }
    }

    /// The run's ` key=value` fields for its line.
    pub fn fields(&self, tally: &Tally) -> String {
        let mut fields = String::new();
        let mut field = |key: &str, value: String| {
            // Writing to a String cannot fail.
            let _ = write!(fields, " {key}={value}");
        };
        field("answers_per_s", format!("{:.0}", tally.answers_per_s()));
        field("p50_ms", format!("{:.1}", tally.p50_ms()));
        field("p99_ms", format!("{:.1}", tally.p99_ms()));
        field("sold", tally.sold.to_string());
        field("sold_out", tally.sold_out.to_string());
        field("errors", self.errors.to_string());
        field("undersold", self.undersold.to_string());
        field("oversold", self.oversold.to_string());
        field("retries", tally.retries.to_string());
        if let Some(server) = tally.server_cpu_us() {
            field("server_cpu_us", format!("{server:.1}"));
        }
        if let Some(client) = tally.client_cpu_us() {
            field("client_cpu_us", format!("{client:.1}"));
        }
        fields
    }
}
