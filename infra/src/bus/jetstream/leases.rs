//! Partition ownership as Postgres session advisory locks: the lock lives as
//! long as its connection, so a process that dies (even `kill -9`) frees its
//! partitions as soon as the server drops the session.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::Instrument;

use crate::bus::{BusError, Lease, PartitionLeases};

/// How often a waiting owner tries the lock again.
const ACQUIRE_POLL: Duration = Duration::from_millis(250);
/// How often a held lease checks that its session is alive.
const PING_EVERY: Duration = Duration::from_millis(500);
/// A ping slower than this counts as a lost session.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// [`PartitionLeases`] on `pg_try_advisory_lock(namespace, partition)`.
#[derive(Debug, Clone)]
pub struct PgAdvisoryLeases {
    options: PgConnectOptions,
    /// The lock's first key: `namespace` hashed, so deployments (and tests)
    /// sharing a database never contend.
    namespace: i32,
}

impl PgAdvisoryLeases {
    /// Leases in `namespace` on the database at `url` (every process of one
    /// deployment must use the same database and namespace). Connects on acquire.
    pub fn new(url: &str, namespace: &str) -> Result<Self, BusError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|err| BusError::Unavailable(format!("lease database url: {err}")))?
            .application_name("cartcast-lease");
        Ok(Self { options, namespace: namespace_key(namespace) })
    }
}

#[async_trait]
impl PartitionLeases for PgAdvisoryLeases {
    /// Opens a connection of its own (never a pooled one: a pool would keep
    /// the session, hence the lock, after the lease is dropped) and polls
    /// the lock until it wins.
    async fn acquire(&self, partition: u32) -> Result<Box<dyn Lease>, BusError> {
        let mut connection = PgConnection::connect_with(&self.options).await.map_err(lease_unavailable)?;
        let key = i32::from_ne_bytes(partition.to_ne_bytes());
        let mut poll = tokio::time::interval(ACQUIRE_POLL);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            poll.tick().await;
            let won: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(self.namespace)
                .bind(key)
                .fetch_one(&mut connection)
                .await
                .map_err(lease_unavailable)?;
            if won {
                break;
            }
        }
        tracing::info!(partition, "partition lease acquired");
        Ok(Box::new(PgLease::keep(connection, partition)))
    }
}

/// A held partition: its session stays open (and is pinged) until dropped.
pub struct PgLease {
    /// Turns true when the keeper finds the session dead.
    lost: watch::Receiver<bool>,
    /// Stops the keeper, which closes the session and so frees the lock.
    _keeper: DropGuard,
}

impl PgLease {
    fn keep(connection: PgConnection, partition: u32) -> Self {
        let (lost_tx, lost) = watch::channel(false);
        let stop = CancellationToken::new();
        let span = tracing::info_span!("lease_keeper", partition);
        // Task: keeps the lease's session (hence the lock) and reports its loss.
        tokio::spawn(keep_alive(connection, lost_tx, stop.clone()).instrument(span));
        Self { lost, _keeper: stop.drop_guard() }
    }
}

#[async_trait]
impl Lease for PgLease {
    async fn lost(&mut self) {
        // An error means the keeper is gone, which also ends ownership.
        let _ = self.lost.wait_for(|lost| *lost).await;
    }
}

/// Pings the lease's session until it fails (then reports the loss) or the
/// lease is dropped (then closes the session politely).
async fn keep_alive(mut connection: PgConnection, lost: watch::Sender<bool>, stop: CancellationToken) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                if let Err(err) = connection.close().await {
                    tracing::debug!(error = %err, "lease session closed uncleanly");
                }
                return;
            }
            _ = ping.tick() => {
                let alive = tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&mut connection)).await;
                if !matches!(alive, Ok(Ok(_))) {
                    tracing::warn!("partition lease lost: its session stopped answering");
                    lost.send_replace(true);
                    return;
                }
            }
        }
    }
}

/// FNV-1a, so every process derives the same key from the same namespace.
fn namespace_key(namespace: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in namespace.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

fn lease_unavailable(err: sqlx::Error) -> BusError {
    BusError::Unavailable(format!("lease database: {err}"))
}
