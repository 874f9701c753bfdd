//! Payments: the [`PaymentGateway`] trait and the built-in test gateway, which
//! behaves like a card processor in test mode.

mod test_gateway;

pub use test_gateway::{TestCards, TestGateway};

use async_trait::async_trait;

use cartcast_domain::order::PaymentResult;

/// One charge request. `idempotency_key` is the order id: the same key never
/// captures twice and always gets the first answer.
#[derive(Debug, Clone)]
pub struct Charge<'a> {
    pub idempotency_key: &'a str,
    pub card: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
}

/// One key's captures in the gateway's own ledger, as a processor's settlement report lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub idempotency_key: String,
    pub captures: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("ledger row does not parse: {0}")]
    Corrupt(#[from] serde_json::Error),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    async fn charge(&self, charge: Charge<'_>) -> PaymentResult;
    /// How many captures were made for `idempotency_key` (an auditor's check).
    async fn captures(&self, idempotency_key: &str) -> u32;
    /// Every key the gateway captured for, with how many times (an auditor's store-wide check).
    async fn settlement(&self) -> Result<Vec<Settled>, LedgerError>;
}
