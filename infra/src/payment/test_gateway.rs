//! The built-in test gateway: a card processor's test mode, not a mock.
//! Cards decide the result deterministically, like a processor's test cards:
//! - `4242424242424242` (and any other Luhn-valid number) is captured;
//! - `4000000000000002` is declined;
//! - `4000000000009995` does not answer: the gateway waits `timeout`, then the
//!   charge counts as timed out and nothing is captured;
//! - `4000000000000317` is captured slowly: the gateway answers after half of
//!   `timeout`, in time (a busy processor; crash tests strike while it waits).
//!
//! Like a processor, it keeps its own ledger (`test_gateway_charges`, in the
//! deployment's database): the first answer for an idempotency key is final,
//! so a charge retried by another worker after a takeover never captures twice.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tracing::warn;

use super::{Charge, LedgerError, PaymentGateway, Settled};
use cartcast_domain::order::PaymentResult;

/// The test card numbers, for docs and tests.
pub struct TestCards;

impl TestCards {
    pub const SUCCEEDS: &'static str = "4242424242424242";
    pub const DECLINES: &'static str = "4000000000000002";
    pub const TIMES_OUT: &'static str = "4000000000009995";
    pub const SLOW: &'static str = "4000000000000317";
}

#[derive(Debug, Clone)]
pub struct TestGateway {
    timeout: Duration,
    ledger: AnyPool,
}

impl TestGateway {
    /// A gateway whose ledger lives in the database at `url` (the event
    /// store's: `sqlite://…/events.sqlite` or a PostgreSQL URL, migrated by
    /// its store). `timeout` is how long the timing-out card keeps a caller waiting.
    pub async fn open(url: &str, timeout: Duration) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let ledger = AnyPoolOptions::new().max_connections(4).connect(url).await?;
        Ok(Self { timeout, ledger })
    }

    /// Decide a first charge by its card, as a processor in test mode would.
    async fn decide(&self, card: &str) -> PaymentResult {
        match card {
            TestCards::DECLINES => PaymentResult::Declined { reason: "card_declined".to_owned() },
            TestCards::TIMES_OUT => {
                tokio::time::sleep(self.timeout).await;
                PaymentResult::TimedOut
            }
            TestCards::SLOW => {
                tokio::time::sleep(self.timeout / 2).await;
                captured()
            }
            card if luhn_valid(card) => captured(),
            _ => PaymentResult::Declined { reason: "invalid_card_number".to_owned() },
        }
    }

    async fn recorded(&self, key: &str) -> Result<Option<PaymentResult>, LedgerError> {
        let result: Option<String> =
            sqlx::query_scalar("SELECT result FROM test_gateway_charges WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(&self.ledger)
                .await?;
        Ok(result.map(|r| serde_json::from_str(&r)).transpose()?)
    }

    /// Record `result` unless an answer for `key` exists; returns the answer that stands.
    async fn settle(&self, key: &str, result: PaymentResult) -> Result<PaymentResult, LedgerError> {
        let captures = i64::from(matches!(result, PaymentResult::Captured { .. }));
        sqlx::query(
            "INSERT INTO test_gateway_charges (idempotency_key, result, captures) VALUES ($1, $2, $3) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(key)
        .bind(serde_json::to_string(&result)?)
        .bind(captures)
        .execute(&self.ledger)
        .await?;
        Ok(self.recorded(key).await?.unwrap_or(result))
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
    sum.is_multiple_of(10)
}

#[async_trait]
impl PaymentGateway for TestGateway {
    async fn charge(&self, charge: Charge<'_>) -> PaymentResult {
        let answer = async {
            if let Some(first) = self.recorded(charge.idempotency_key).await? {
                return Ok(first);
            }
            let result = self.decide(charge.card).await;
            self.settle(charge.idempotency_key, result).await
        };
        answer.await.unwrap_or_else(|e: LedgerError| {
            // Nothing was recorded, so nothing was captured: a timeout is the truth.
            warn!(key = charge.idempotency_key, error = %e, "test gateway ledger unavailable");
            PaymentResult::TimedOut
        })
    }

    async fn captures(&self, idempotency_key: &str) -> u32 {
        let captures: Option<i64> =
            sqlx::query_scalar("SELECT captures FROM test_gateway_charges WHERE idempotency_key = $1")
                .bind(idempotency_key)
                .fetch_optional(&self.ledger)
                .await
                .unwrap_or_default();
        captures.unwrap_or(0) as u32
    }

    async fn settlement(&self) -> Result<Vec<Settled>, LedgerError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT idempotency_key, captures FROM test_gateway_charges WHERE captures > 0 ORDER BY idempotency_key",
        )
        .fetch_all(&self.ledger)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(idempotency_key, captures)| Settled { idempotency_key, captures: captures as u32 })
            .collect())
    }
}

fn captured() -> PaymentResult {
    PaymentResult::Captured { capture_id: format!("cap_{}", uuid::Uuid::now_v7().simple()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn charge<'a>(key: &'a str, card: &'a str) -> Charge<'a> {
        Charge { idempotency_key: key, card, amount_minor: 1999, currency: "EUR" }
    }

    /// A ledger in a fresh event-store file (its migrations create the table).
    async fn ledger_url() -> String {
        let dir = std::env::temp_dir().join(format!("cartcast-gateway-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.sqlite");
        SqliteStore::open(&path).await.unwrap();
        format!("sqlite://{}", path.display())
    }

    #[tokio::test]
    async fn test_cards_succeed_decline_and_time_out() {
        let gateway = TestGateway::open(&ledger_url().await, Duration::from_millis(10)).await.unwrap();
        assert!(matches!(gateway.charge(charge("o1", TestCards::SUCCEEDS)).await, PaymentResult::Captured { .. }));
        assert!(matches!(gateway.charge(charge("o2", TestCards::DECLINES)).await, PaymentResult::Declined { .. }));
        assert_eq!(gateway.charge(charge("o3", TestCards::TIMES_OUT)).await, PaymentResult::TimedOut);
        assert!(matches!(gateway.charge(charge("o4", "1234")).await, PaymentResult::Declined { .. }));
    }

    #[tokio::test]
    async fn a_repeated_key_answers_the_same_and_captures_once() {
        let gateway = TestGateway::open(&ledger_url().await, Duration::from_millis(10)).await.unwrap();
        let first = gateway.charge(charge("o1", TestCards::SUCCEEDS)).await;
        assert_eq!(gateway.charge(charge("o1", TestCards::SUCCEEDS)).await, first);
        assert_eq!(gateway.charge(charge("o1", TestCards::DECLINES)).await, first, "the first answer is final");
        assert_eq!(gateway.captures("o1").await, 1);
    }

    #[tokio::test]
    async fn another_process_on_the_same_ledger_never_captures_again() {
        let url = ledger_url().await;
        let first_worker = TestGateway::open(&url, Duration::from_millis(10)).await.unwrap();
        let taking_over = TestGateway::open(&url, Duration::from_millis(10)).await.unwrap();
        let first = first_worker.charge(charge("o1", TestCards::SUCCEEDS)).await;
        assert_eq!(taking_over.charge(charge("o1", TestCards::SUCCEEDS)).await, first);
        assert_eq!(taking_over.captures("o1").await, 1);
    }
}
