//! Request budgets for what anyone may call without an account: a token
//! bucket per client address (or per account signed in to), answered with
//! 429 and `Retry-After` when spent.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use tokio::time::Instant;

use cartcast_infra::rate::TokenBucket;

use crate::error::ApiError;

/// Past this many tracked keys, the ones whose budget is whole again are forgotten.
const TRACKED: usize = 100_000;

/// One budget per key: a client address, a username.
pub struct Limiter<K> {
    burst: u32,
    per_second: f64,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

/// One budget per client address.
pub type AddressLimiter = Limiter<IpAddr>;

impl<K: Hash + Eq> Limiter<K> {
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self { burst, per_second, buckets: Mutex::default() }
    }

    /// Spends one of `key`'s requests, or refuses with how long to wait.
    pub fn take(&self, key: K) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= TRACKED {
            buckets.retain(|_, bucket| !bucket.is_full(now));
        }
        let bucket = buckets.entry(key).or_insert_with(|| TokenBucket::new(self.burst, self.per_second, now));
        bucket.take(now).map_err(ApiError::TooManyRequests)
    }
}

/// The budgets of this API process (each API process keeps its own).
pub struct Limits {
    /// `POST /api/v1/sessions`: 20 at once per address, then one every 2 s.
    pub sessions: AddressLimiter,
    /// `POST /api/v1/accounts`: 10 at once per address, then one every 6 s.
    pub sign_ups: AddressLimiter,
    /// `POST /api/v1/login`: 20 at once per address, then one every 3 s…
    pub sign_ins: AddressLimiter,
    /// …and 5 at once per account, then one every 12 s, wherever they come from.
    pub sign_ins_per_account: Limiter<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sessions: AddressLimiter::new(20, 0.5),
            sign_ups: AddressLimiter::new(10, 1.0 / 6.0),
            sign_ins: AddressLimiter::new(20, 1.0 / 3.0),
            sign_ins_per_account: Limiter::new(5, 1.0 / 12.0),
        }
    }
}

/// The client's IP address: the peer of its TCP connection (a deployment
/// behind a proxy limits at the proxy). Unknown outside a served connection.
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
        Ok(Self(peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_address_has_its_own_budget() {
        let limiter = AddressLimiter::new(2, 0.5);
        let (ann, bob) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        assert!(limiter.take(ann).is_ok() && limiter.take(ann).is_ok());
        let refused = limiter.take(ann).unwrap_err();
        assert_eq!(refused.code(), "rate_limited");
        assert_eq!(refused.retry_after(), Some(std::time::Duration::from_secs(2)));
        assert!(limiter.take(bob).is_ok(), "another address is not held back");
    }
}
