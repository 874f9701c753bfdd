//! Reactions: cheap to send, counted exactly. A socket may send a burst of
//! [`BURST`] at once, then [`PER_SECOND`]; past that a reaction is refused
//! with an `error` frame and not counted. A room tallies what its gateway
//! accepted: each window's tally goes to the other gateways (they add it to
//! the totals their viewers see), and every few seconds it is recorded as
//! the show's `ReactionsCounted` event, so the events sum to the exact total.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use cartcast_infra::rate::TokenBucket;

/// The reactions a viewer may send.
pub const EMOJI: [&str; 6] = ["❤", "🔥", "😂", "😮", "👏", "🛒"];

/// Reactions one socket may send at once, and per second after that.
pub const BURST: u32 = 50;
pub const PER_SECOND: f64 = 10.0;

/// Why a reaction was not counted; each is an `error` frame's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReactionRefusal {
    #[error("not a reaction this show takes: one of ❤ 🔥 😂 😮 👏 🛒")]
    UnknownEmoji,
    #[error("too many reactions at once: this one was not counted")]
    RateLimited(Duration),
}

impl ReactionRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ReactionRefusal::UnknownEmoji => "unknown_emoji",
            ReactionRefusal::RateLimited(_) => "rate_limited",
        }
    }
}

/// `emoji` as one of [`EMOJI`], or why not.
pub fn known(emoji: &str) -> Result<&'static str, ReactionRefusal> {
    EMOJI.iter().find(|known| **known == emoji).copied().ok_or(ReactionRefusal::UnknownEmoji)
}

/// A socket's reaction budget.
pub fn budget(now: Instant) -> TokenBucket {
    TokenBucket::new(BURST, PER_SECOND, now)
}

/// One room's reactions on this gateway.
#[derive(Debug, Default)]
pub struct Tally {
    /// Accepted here, not yet told to the other gateways.
    unsent: BTreeMap<String, u64>,
    /// Accepted here, not yet recorded as an event.
    unrecorded: BTreeMap<String, u64>,
    /// The show's totals as this gateway knows them.
    totals: BTreeMap<String, u64>,
    /// Whether the totals moved since the sockets were last told.
    changed: bool,
}

impl Tally {
    /// Counts one reaction accepted on this gateway.
    pub fn accept(&mut self, emoji: &'static str) {
        for counts in [&mut self.unsent, &mut self.unrecorded, &mut self.totals] {
            *counts.entry(emoji.to_owned()).or_default() += 1;
        }
        self.changed = true;
    }

    /// Another gateway's window.
    pub fn heard(&mut self, counts: &BTreeMap<String, u64>) {
        add(&mut self.totals, counts);
        self.changed |= !counts.is_empty();
    }

    /// The totals recorded before this room opened, under what it counted since.
    pub fn seed(&mut self, recorded: &BTreeMap<String, u64>) {
        add(&mut self.totals, recorded);
        self.changed |= !recorded.is_empty();
    }

    /// This window's reactions, to tell the other gateways.
    pub fn take_unsent(&mut self) -> Option<BTreeMap<String, u64>> {
        (!self.unsent.is_empty()).then(|| std::mem::take(&mut self.unsent))
    }

    /// What was accepted since the last record, to record now.
    pub fn take_unrecorded(&mut self) -> Option<BTreeMap<String, u64>> {
        (!self.unrecorded.is_empty()).then(|| std::mem::take(&mut self.unrecorded))
    }

    /// Puts back what could not be recorded, for the next try.
    pub fn restore_unrecorded(&mut self, counts: &BTreeMap<String, u64>) {
        add(&mut self.unrecorded, counts);
    }

    /// The totals, once after each change.
    pub fn take_changed_totals(&mut self) -> Option<BTreeMap<String, u64>> {
        std::mem::take(&mut self.changed).then(|| self.totals.clone())
    }

    pub fn totals(&self) -> &BTreeMap<String, u64> {
        &self.totals
    }
}

fn add(into: &mut BTreeMap<String, u64>, counts: &BTreeMap<String, u64>) {
    for (emoji, count) in counts {
        *into.entry(emoji.clone()).or_default() += count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_reaction_is_sent_recorded_and_totalled_once() {
        let mut tally = Tally::default();
        tally.seed(&BTreeMap::from([("❤".to_owned(), 10)]));
        tally.accept(known("🔥").unwrap());
        tally.accept(known("❤").unwrap());
        assert_eq!(known("<b>"), Err(ReactionRefusal::UnknownEmoji));
        let window = tally.take_unsent().unwrap();
        assert_eq!(window, BTreeMap::from([("❤".to_owned(), 1), ("🔥".to_owned(), 1)]));
        assert_eq!(tally.take_unsent(), None);
        tally.heard(&BTreeMap::from([("❤".to_owned(), 5)]));
        assert_eq!(tally.take_changed_totals().unwrap(), BTreeMap::from([("❤".to_owned(), 16), ("🔥".to_owned(), 1)]));
        assert_eq!(tally.take_changed_totals(), None);

        let unrecorded = tally.take_unrecorded().unwrap();
        tally.restore_unrecorded(&unrecorded);
        tally.accept("❤");
        assert_eq!(tally.take_unrecorded().unwrap(), BTreeMap::from([("❤".to_owned(), 2), ("🔥".to_owned(), 1)]));
    }
}
