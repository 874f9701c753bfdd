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
        let mut fields = pace_fields(tally);
        let mut field = |key: &str, value: String| {
            // Writing to a String cannot fail.
            let _ = write!(fields, " {key}={value}");
        };
        field("sold", tally.sold.to_string());
        field("sold_out", tally.sold_out.to_string());
        field("errors", self.errors.to_string());
        field("undersold", self.undersold.to_string());
        field("oversold", self.oversold.to_string());
        field("retries", tally.retries.to_string());
        fields.push_str(&cpu_fields(tally));
        fields
    }
}

/// ` answers_per_s=… p50_ms=… p99_ms=…` of any run.
pub fn pace_fields(tally: &Tally) -> String {
    format!(" answers_per_s={:.0} p50_ms={:.1} p99_ms={:.1}", tally.answers_per_s(), tally.p50_ms(), tally.p99_ms())
}

/// ` server_cpu_us=… client_cpu_us=…`, each where the run measured it.
pub fn cpu_fields(tally: &Tally) -> String {
    let mut fields = String::new();
    for (key, value) in [("server_cpu_us", tally.server_cpu_us()), ("client_cpu_us", tally.client_cpu_us())] {
        if let Some(value) = value {
            // Writing to a String cannot fail.
            let _ = write!(fields, " {key}={value:.1}");
        }
    }
    fields
}
