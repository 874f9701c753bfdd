//! Token buckets: how often something may happen, with a burst allowed. The
//! edges use them per socket, per user and per client address.

use std::time::Duration;

use tokio::time::Instant;

/// `burst` at once, then `per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    refilled: Instant,
    burst: f64,
    per_second: f64,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(burst: u32, per_second: f64, now: Instant) -> Self {
        Self { tokens: f64::from(burst), refilled: now, burst: f64::from(burst), per_second }
    }

    /// Spends one token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens < 1.0 {
            return Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_second));
        }
        self.tokens -= 1.0;
        Ok(())
    }

    /// Whether the bucket has refilled completely by `now` (and may be forgotten).
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.burst
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.refilled = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_then_the_rate_with_the_wait_said() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(60, 20.0, start);
        assert!((0..60).all(|_| bucket.take(start).is_ok()), "a burst of 60 passes");
        assert_eq!(bucket.take(start), Err(Duration::from_millis(50)), "the 61st waits 1/20 s");
        let later = start + Duration::from_millis(100);
        assert!(bucket.take(later).is_ok() && bucket.take(later).is_ok(), "two more after 100 ms at 20/s");
        assert!(bucket.take(later).is_err());
        assert!(!bucket.is_full(later));
        assert!(bucket.is_full(later + Duration::from_secs(3)));
    }
}
