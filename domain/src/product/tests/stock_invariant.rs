//! Property-style check of the stock invariant: a long seeded run of random
//! product commands, driven through `Aggregate::handle`, keeps
//! `available + reserved + sold = total` and the holds in step with
//! `reserved` after every single event.

use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};

use crate::refusal::DomainError;

use super::*;

const STEPS: usize = 5_000;
const SEED: u64 = 0x5eed_ca27_ca57;
const BUYERS: [&str; 3] = [BUYER, OTHER_BUYER, "buyer-3"];

/// Knuth's MMIX linear congruential generator: tiny and reproducible.
struct Lcg(u64);

impl Lcg {
    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn buyer(&mut self) -> String {
        BUYERS[self.below(BUYERS.len() as u64) as usize].to_owned()
    }

    /// Usually a live hold and its holder; sometimes any number and buyer, so
    /// released, expired, sold and never-taken reservations are tried too.
    fn target(&mut self, product: &Product) -> (ReservationId, String) {
        if !product.holds.is_empty() && !self.one_in(4) {
            let index = self.below(product.holds.len() as u64) as usize;
            let (id, hold) = product.holds.iter().nth(index).expect("index is in range");
            let buyer = if self.one_in(8) { self.buyer() } else { hold.buyer.clone() };
            return (id.parse().expect("hold keys are reservation ids"), buyer);
        }
        (reservation(1 + self.below(product.holds_taken + 2)), self.buyer())
    }
}

fn random_command(rng: &mut Lcg, product: &Product, now: i64) -> ProductCommand {
    match rng.below(20) {
        0 => ProductCommand::AddStock {
            actor: if rng.one_in(8) { rng.buyer() } else { SELLER.to_owned() },
            add: rng.below(12),
        },
        1..=8 => ProductCommand::Reserve {
            buyer: rng.buyer(),
            quantity: rng.below(6),
            now: at(now),
            hold_for: Duration::seconds(1 + rng.below(600) as i64),
        },
        9..=11 => {
            let (reservation_id, buyer) = rng.target(product);
            ProductCommand::Release { buyer, reservation_id }
        }
        12..=14 => ProductCommand::ExpireHolds { now: at(now) },
        _ => {
            let (reservation_id, _) = rng.target(product);
            ProductCommand::Sell { order_id: format!("o-{reservation_id}"), reservation_id }
        }
    }
}

/// The invariant after one event. `available >= 0` is structural (`u64`), and
/// any subtraction below zero panics under the test profile's overflow checks.
fn assert_consistent(product: &Product, before: Stock, step: usize) {
    let stock = product.stock;
    assert!(stock.is_consistent(), "step {step}: {stock:?}");
    assert!(stock.available <= stock.total, "step {step}: {stock:?}");
    let held: u64 = product.holds.values().map(|hold| hold.quantity).sum();
    assert_eq!(held, stock.reserved, "step {step}: holds {:?} vs {stock:?}", product.holds);
    assert!(stock.total >= before.total && stock.sold >= before.sold, "step {step}: {before:?} → {stock:?}");
}

#[tokio::test]
async fn test_random_commands_keep_stock_consistent() {
    let mut rng = Lcg(SEED);
    let mut product = Product::default();
    let mut replayed = Product::default();
    let mut events_seen = BTreeSet::new();
    let mut refusals_seen = BTreeSet::new();
    let mut now = 0;

    for step in 0..STEPS {
        let command = if step == 0 { create(rng.below(40)) } else { random_command(&mut rng, &product, now) };
        now += rng.below(30) as i64;

        let sink = EventSink::default();
        let outcome = product.handle(command, &(), &sink).await;
        let events = sink.collect().await;
        if let Err(error) = outcome {
            assert!(events.is_empty(), "step {step}: refused with {error:?} yet wrote {events:?}");
            refusals_seen.insert(error.code());
        }
        for event in events {
            events_seen.insert(event.event_type());
            let before = replayed.stock;
            replayed.apply(event);
            assert_consistent(&replayed, before, step);
        }
        assert_eq!(replayed.stock, product.stock, "step {step}: replay disagrees");
        assert_eq!(replayed.holds, product.holds, "step {step}: replay disagrees");
    }

    assert_eq!(events_seen.len(), 6, "every event type should occur: {events_seen:?}");
    for code in ["not_seller", "invalid_input", "sold_out", "reservation_not_found", "not_holder"] {
        assert!(refusals_seen.contains(code), "no `{code}` refusal in the run: {refusals_seen:?}");
    }
}
