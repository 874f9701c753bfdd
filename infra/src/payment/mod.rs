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

#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    async fn charge(&self, charge: Charge<'_>) -> PaymentResult;
    /// How many captures were made for `idempotency_key` (an auditor's check).
    async fn captures(&self, idempotency_key: &str) -> u32;
}
