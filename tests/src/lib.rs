//! The end-to-end harness: starts the real `cartcast` binary in either
//! deployment shape against the real PostgreSQL and NATS JetStream the test
//! script started, and talks to it over HTTP like a client would.
//!
//! # Layout
//! - [`Services`]: the test PostgreSQL server and NATS (from
//!   `CARTCAST_TEST_POSTGRES_URL` / `CARTCAST_TEST_NATS_URL`), fresh databases.
//! - [`Process`]: one `cartcast` process, its `listening http://` address,
//!   SIGTERM and `kill -9`.
//! - [`Deployment`]: a whole shape — `cartcast up`, or api + workers + projector.
//! - [`Client`]: typed HTTP calls with minted tokens and idempotency keys.
//! - [`sale`]: a flash sale of careful buyers, a kill point, and the checks
//!   of its outcome against the event store and the read model.
//! - [`live`]: the live socket as a test client.
//! - [`measure`]: a process's CPU and memory from `/proc`, a series of its `/metrics`.
//! - [`media`]: the ffmpeg CLI as RTMP publisher and HLS player, a playlist reader.
//! - [`browser`]: Debian's Chromium over WebDriver: pages, screenshots, axe audits.

pub mod browser;
mod client;
mod deployment;
pub mod live;
pub mod measure;
pub mod media;
mod process;
pub mod sale;

pub use client::{Answer, Client};
pub use deployment::{Deployment, Shape};
pub use process::Process;

use std::path::PathBuf;

/// The external services tests run against.
#[derive(Debug, Clone)]
pub struct Services {
    /// Server URL (database `postgres`); tests create their own databases.
    pub postgres_url: String,
    pub nats_url: String,
}

impl Services {
    /// From the test script's environment, else this machine's local services.
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            postgres_url: var("CARTCAST_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
            nats_url: var("CARTCAST_TEST_NATS_URL", "nats://127.0.0.1:4222"),
        }
    }

    /// A new empty database; returns its URL.
    pub async fn fresh_database(&self) -> anyhow::Result<String> {
        use sqlx::Connection;
        let name = format!("cartcast_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&self.postgres_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        let base = self.postgres_url.rsplit_once('/').map_or(self.postgres_url.as_str(), |(base, _)| base);
        Ok(format!("{base}/{name}"))
    }
}

/// The `cartcast` binary under test: `CARTCAST_BIN`, else the workspace's debug build.
pub fn cartcast_bin() -> PathBuf {
    if let Ok(path) = std::env::var("CARTCAST_BIN") {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/cartcast");
    assert!(path.exists(), "build the binary first (cargo build -p cartcast --bin cartcast) or set CARTCAST_BIN");
    path
}

/// A fresh private directory under the system temp dir.
pub fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartcast-{label}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
