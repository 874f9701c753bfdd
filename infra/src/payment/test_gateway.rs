//! The built-in test gateway: a card processor's test mode, not a mock.
//! Cards decide the result deterministically, like a processor's test cards:
//! - `4242424242424242` (and any other Luhn-valid number) is captured;
//! - `4000000000000002` is declined;
//! - `4000000000009995` does not answer: the gateway waits `timeout`, then the
//!   charge counts as timed out and nothing is captured.
//!
//! Repeats of an idempotency key return the first answer and never capture twice.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::{Charge, PaymentGateway};
use cartcast_domain::order::PaymentResult;

/// The test card numbers, for docs and tests.
pub struct TestCards;

impl TestCards {
    pub const SUCCEEDS: &'static str = "4242424242424242";
    pub const DECLINES: &'static str = "4000000000000002";
    pub const TIMES_OUT: &'static str = "4000000000009995";
}

#[derive(Debug)]
pub struct TestGateway {
    timeout: Duration,
    /// Answers by idempotency key: the processor's own ledger.
    ledger: Mutex<HashMap<String, (PaymentResult, u32)>>,
}

impl TestGateway {
    /// `timeout` is how long the timing-out card keeps the caller waiting.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout, ledger: Mutex::default() }
    }
}

fn luhn_valid(card: &str) -> bool {
    if !(12..=19).contains(&card.len()) || !card.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = card
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum % 10 == 0
}

#[async_trait]
impl PaymentGateway for TestGateway {
    async fn charge(&self, charge: Charge<'_>) -> PaymentResult {
        if let Some((result, _)) = self.ledger.lock().await.get(charge.idempotency_key) {
            return result.clone();
        }
        let result = match charge.card {
            TestCards::DECLINES => PaymentResult::Declined { reason: "card_declined".to_owned() },
            TestCards::TIMES_OUT => {
                tokio::time::sleep(self.timeout).await;
                PaymentResult::TimedOut
            }
            card if luhn_valid(card) => PaymentResult::Captured {
                capture_id: format!("cap_{}", uuid::Uuid::now_v7().simple()),
            },
            _ => PaymentResult::Declined { reason: "invalid_card_number".to_owned() },
        };
        let mut ledger = self.ledger.lock().await;
        let entry = ledger.entry(charge.idempotency_key.to_owned()).or_insert((result, 0));
        if matches!(entry.0, PaymentResult::Captured { .. }) && entry.1 == 0 {
            entry.1 = 1;
        }
        entry.0.clone()
    }

    async fn captures(&self, idempotency_key: &str) -> u32 {
        self.ledger.lock().await.get(idempotency_key).map_or(0, |(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge<'a>(key: &'a str, card: &'a str) -> Charge<'a> {
        Charge { idempotency_key: key, card, amount_minor: 1999, currency: "EUR" }
    }

    #[tokio::test]
    async fn test_cards_succeed_decline_and_time_out() {
        let gateway = TestGateway::new(Duration::from_millis(10));
        assert!(matches!(gateway.charge(charge("o1", TestCards::SUCCEEDS)).await, PaymentResult::Captured { .. }));
        assert!(matches!(gateway.charge(charge("o2", TestCards::DECLINES)).await, PaymentResult::Declined { .. }));
        assert_eq!(gateway.charge(charge("o3", TestCards::TIMES_OUT)).await, PaymentResult::TimedOut);
        assert!(matches!(gateway.charge(charge("o4", "1234")).await, PaymentResult::Declined { .. }));
    }

    #[tokio::test]
    async fn a_repeated_key_answers_the_same_and_captures_once() {
        let gateway = TestGateway::new(Duration::from_millis(10));
        let first = gateway.charge(charge("o1", TestCards::SUCCEEDS)).await;
        assert_eq!(gateway.charge(charge("o1", TestCards::SUCCEEDS)).await, first);
        assert_eq!(gateway.captures("o1").await, 1);
    }
}
