//! A whole deployment of one shape: `cartcast up` on a data dir, or the
//! distributed roles (api, workers, projector) on a fresh PostgreSQL database
//! and private JetStream streams. Either way the test talks to one URL.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use cartcast_domain::product::{Product, ProductEvent, Stock};
use cartcast_infra::store::EventStore;
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_projections::ReadModels;
use cartcast_projections::runner::Projection;
use cqrs_es::Aggregate;

use crate::{Client, Process, Services};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Embedded,
    Distributed,
}

pub struct Deployment {
    pub shape: Shape,
    pub url: String,
    /// Where publishers connect (`rtmp://HOST:PORT`), once media runs.
    pub rtmp_url: Option<String>,
    /// Where `/hls` is served: the API's URL embedded, the media role's distributed.
    pub media_url: Option<String>,
    pub data_dir: PathBuf,
    /// Where the API listens (`HOST:PORT`) once started: a restart binds the
    /// same address, so clients carry on against the same URL.
    http_addr: Option<String>,
    /// The deployment's own database (distributed shape).
    pub postgres_url: Option<String>,
    secret: String,
    env: Vec<(String, String)>,
    api: Vec<Process>,
    workers: Vec<Process>,
    projector: Option<Process>,
    media: Option<Process>,
}

/// A deployment's data dir goes with it, unless its test failed: then it
/// stays for a look, and its path is printed.
impl Drop for Deployment {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("deployment data kept at {}", self.data_dir.display());
            return;
        }
        // Its processes are killed first (kill on drop), then what they wrote goes.
        self.api.clear();
        self.workers.clear();
        self.projector = None;
        self.media = None;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Deployment {
    /// Start a deployment of `shape` with extra environment (`CARTCAST_HOLD_FOR`, …).
    pub async fn start(shape: Shape, extra_env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let services = Services::from_env();
        let data_dir = crate::temp_dir("data");
        let secret = format!("test-secret-{}", uuid::Uuid::new_v4().simple());
        let mut env: Vec<(String, String)> =
            extra_env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        env.push(("CARTCAST_SECRET".into(), secret.clone()));
        let postgres_url = match shape {
            Shape::Embedded => None,
            Shape::Distributed => {
                let url = services.fresh_database().await?;
                env.push(("CARTCAST_POSTGRES_URL".into(), url.clone()));
                env.push(("CARTCAST_NATS_URL".into(), services.nats_url.clone()));
                env.push(("CARTCAST_NATS_PREFIX".into(), format!("t{}", uuid::Uuid::new_v4().simple())));
                Some(url)
            }
        };
        let mut deployment = Self {
            shape,
            url: String::new(),
            rtmp_url: None,
            media_url: None,
            data_dir,
            http_addr: None,
            postgres_url,
            secret,
            env,
            api: Vec::new(),
            workers: Vec::new(),
            projector: None,
            media: None,
        };
        deployment.start_processes().await?;
        Ok(deployment)
    }

    async fn start_processes(&mut self) -> anyhow::Result<()> {
        let data_dir = self.data_dir.display().to_string();
        let http = self.http_addr.clone().unwrap_or_else(|| "127.0.0.1:0".to_owned());
        match self.shape {
            Shape::Embedded => {
                let args = ["up", "--data-dir", &data_dir, "--http", &http, "--rtmp", "127.0.0.1:0"].map(String::from);
                let up = Process::start("cartcast up", &args, &self.env, true).await?;
                self.url = up.url.clone().context("url")?;
                self.rtmp_url = up.rtmp.clone();
                self.media_url = up.url.clone();
                self.api.push(up);
            }
            Shape::Distributed => {
                self.add_worker().await?;
                self.start_projector().await?;
                let api = Process::start("api", &["api", "--http", &http].map(String::from), &self.env, true).await?;
                self.url = api.url.clone().context("url")?;
                self.api.push(api);
            }
        }
        self.http_addr = Some(self.url.trim_start_matches("http://").to_owned());
        self.wait_healthy().await
    }

    /// Start `cartcast projector` (distributed shape); a new one resumes
    /// from the read models' checkpoint.
    pub async fn start_projector(&mut self) -> anyhow::Result<()> {
        let args = ["projector", "--http", "127.0.0.1:0"].map(String::from);
        self.projector = Some(Process::start("projector", &args, &self.env, true).await?);
        Ok(())
    }

    /// `kill -9` the projector (distributed shape).
    pub async fn kill_projector(&mut self) -> anyhow::Result<()> {
        self.projector.take().context("no projector")?.kill9().await
    }

    /// Start one more `cartcast worker` (distributed shape).
    pub async fn add_worker(&mut self) -> anyhow::Result<()> {
        self.add_worker_with(&[]).await
    }

    /// Start one more `cartcast worker` with extra environment
    /// (`CARTCAST_CRASH_AFTER_EVENTS`, …) for it alone.
    pub async fn add_worker_with(&mut self, extra_env: &[(&str, &str)]) -> anyhow::Result<()> {
        let n = self.workers.len();
        let args = ["worker", "--http", "127.0.0.1:0"].map(String::from);
        let mut env = self.env.clone();
        env.extend(extra_env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let worker = Process::start(&format!("worker-{n}"), &args, &env, true).await?;
        self.workers.push(worker);
        Ok(())
    }

    /// Wait (up to `within`) for worker `index` to exit by itself; it is no
    /// longer part of the deployment. Returns how it ended.
    pub async fn wait_worker_exit(
        &mut self,
        index: usize,
        within: Duration,
    ) -> anyhow::Result<std::process::ExitStatus> {
        self.workers.remove(index).wait(within).await
    }

    /// Start one more `cartcast api` (distributed shape), a second gateway
    /// on the same NATS; returns its URL.
    pub async fn add_api(&mut self) -> anyhow::Result<String> {
        self.add_http_role("api").await
    }

    /// Start a `cartcast gateway` (distributed shape): live sockets only; returns its URL.
    pub async fn add_gateway(&mut self) -> anyhow::Result<String> {
        self.add_http_role("gateway").await
    }

    /// Start one more process of `role` on a free port, kept with the API
    /// processes (`kill_api` reaches it); returns its URL.
    async fn add_http_role(&mut self, role: &str) -> anyhow::Result<String> {
        let n = self.api.len();
        let args = [role, "--http", "127.0.0.1:0"].map(String::from);
        let process = Process::start(&format!("{role}-{n}"), &args, &self.env, true).await?;
        let url = process.url.clone().context("url")?;
        self.api.push(process);
        Ok(url)
    }

    /// `kill -9` API process `index` (not the first, which is the deployment's URL).
    pub async fn kill_api(&mut self, index: usize) -> anyhow::Result<()> {
        anyhow::ensure!(index > 0, "the first API serves the deployment's URL");
        self.api.remove(index).kill9().await
    }

    /// Start `cartcast media` (distributed shape) on the deployment's data dir.
    pub async fn add_media(&mut self) -> anyhow::Result<()> {
        let data_dir = self.data_dir.display().to_string();
        let args =
            ["media", "--http", "127.0.0.1:0", "--rtmp", "127.0.0.1:0", "--data-dir", &data_dir].map(String::from);
        let media = Process::start("media", &args, &self.env, true).await?;
        self.rtmp_url = media.rtmp.clone();
        self.media_url = media.url.clone();
        self.media = Some(media);
        Ok(())
    }

    /// `GET /metrics` of every worker and the projector (distributed shape).
    pub async fn role_metrics(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut all = Vec::new();
        for process in self.workers.iter().chain(&self.projector) {
            let url = process.url.as_ref().context("role without http")?;
            let text = reqwest::get(format!("{url}/metrics")).await?.error_for_status()?.text().await?;
            all.push((process.name.clone(), text));
        }
        Ok(all)
    }

    /// `kill -9` worker `index`; it is no longer part of the deployment.
    pub async fn kill_worker(&mut self, index: usize) -> anyhow::Result<()> {
        self.workers.remove(index).kill9().await
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        let client = self.client();
        for _ in 0..300 {
            if let Ok(answer) = client.get("/healthz", None).await
                && answer.status == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("{} never became healthy", self.url)
    }

    /// Run an offline tool (`replay`, `audit`, `projections`) against this
    /// deployment's store and read models, as an operator would beside it.
    pub fn tool(&self, args: &[&str]) -> std::process::Output {
        self.tool_command(args).output().expect("run cartcast")
    }

    /// The command [`tool`](Self::tool) runs, to run it elsewhere (a blocking task).
    pub fn tool_command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(crate::cartcast_bin());
        command.args(args).envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if self.shape == Shape::Embedded {
            command.arg("--data-dir").arg(&self.data_dir);
        }
        command
    }

    /// Rebuild every projection (`cartcast projections rebuild all`) and
    /// check that each table's rows are what they were before: the live read
    /// models equal a fresh rebuild of them.
    pub async fn check_against_a_rebuild(&self) -> anyhow::Result<()> {
        let tables: Vec<&str> = Projection::ALL.iter().flat_map(|p| p.tables()).copied().collect();
        let live = self.read_model_rows(&tables).await?;
        let rebuilt = self.tool(&["projections", "rebuild", "all"]);
        anyhow::ensure!(rebuilt.status.success(), "the rebuild failed: {}", String::from_utf8_lossy(&rebuilt.stderr));
        let fresh = self.read_model_rows(&tables).await?;
        for ((table, live), (_, fresh)) in live.iter().zip(&fresh) {
            anyhow::ensure!(
                live == fresh,
                "{table}: the live rows differ from a fresh rebuild's: {live:?} vs {fresh:?}"
            );
        }
        Ok(())
    }

    /// Every row of each of `tables` in the read models, one string per row, sorted.
    async fn read_model_rows(&self, tables: &[&str]) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        let read_models = self.read_models().await?;
        let mut dump = Vec::new();
        for table in tables {
            let rows = sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(read_models.pool()).await?;
            let mut rows: Vec<String> = rows.iter().map(row_text).collect();
            rows.sort();
            dump.push(((*table).to_owned(), rows));
        }
        read_models.pool().close().await;
        Ok(dump)
    }

    /// The secret its tokens are signed with (for a load generator of its own).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn client(&self) -> Client {
        self.client_at(&self.url)
    }

    /// A client of one API process at `url` (one gateway of several).
    pub fn client_at(&self, url: &str) -> Client {
        Client::new(url, self.secret.as_bytes())
    }

    /// Stop every process with SIGTERM, asserting each exits cleanly within 5 s.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let processes = self.api.drain(..).chain(self.media.take()).chain(self.projector.take());
        for mut process in processes.chain(self.workers.drain(..)) {
            let code = process.terminate(Duration::from_secs(5)).await?;
            anyhow::ensure!(code == 0, "{} exited with {code} after SIGTERM", process.name);
        }
        Ok(())
    }

    /// Stop and start again on the same data (a restart).
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.start_processes().await
    }

    /// `kill -9` every process, then start them again on the same data: a crash.
    pub async fn crash_and_restart(&mut self) -> anyhow::Result<()> {
        self.crash().await?;
        self.start_processes().await
    }

    /// `kill -9` every process; [`Self::start_after_crash`] brings them back.
    pub async fn crash(&mut self) -> anyhow::Result<()> {
        let processes = self.api.drain(..).chain(self.media.take()).chain(self.projector.take());
        for mut process in processes.chain(self.workers.drain(..)) {
            process.kill9().await?;
        }
        Ok(())
    }

    /// Start every process again on the same data and address.
    pub async fn start_after_crash(&mut self) -> anyhow::Result<()> {
        self.start_processes().await
    }

    /// The deployment's event store, opened beside the running processes.
    pub async fn event_store(&self) -> anyhow::Result<Arc<dyn EventStore>> {
        Ok(match &self.postgres_url {
            None => Arc::new(SqliteStore::open(&self.data_dir.join("events.sqlite")).await?),
            Some(url) => Arc::new(PostgresStore::connect(url).await?),
        })
    }

    /// The deployment's read models, opened beside the running processes.
    pub async fn read_models(&self) -> anyhow::Result<ReadModels> {
        let url = match &self.postgres_url {
            None => format!("sqlite://{}", self.data_dir.join("read-models.sqlite").display()),
            Some(url) => url.clone(),
        };
        Ok(ReadModels::connect(&url).await?)
    }

    /// The product's stock as its events in the event store say (not the
    /// read model), recomputed from the quantities they move rather than from
    /// the stock each event carries; fails where units would go below zero or
    /// where an event's carried stock disagrees (so `available + reserved +
    /// sold = total` held at every event).
    pub async fn stored_stock(&self, product_id: &str) -> anyhow::Result<Stock> {
        let store = self.event_store().await?;
        let mut stock = Stock::default();
        for stored in store.load(Product::TYPE, product_id).await? {
            let event: ProductEvent = serde_json::from_value(stored.payload)?;
            let moved = |from: u64, quantity: u64| from.checked_sub(quantity).context("units below zero");
            match &event {
                ProductEvent::ProductCreated { stock: initial, .. } => {
                    stock = Stock { total: initial.total, available: initial.total, reserved: 0, sold: 0 };
                }
                ProductEvent::StockAdded { added, .. } => {
                    stock.total += added;
                    stock.available += added;
                }
                ProductEvent::UnitsReserved { quantity, .. } => {
                    stock.available = moved(stock.available, *quantity)?;
                    stock.reserved += quantity;
                }
                ProductEvent::ReservationReleased { quantity, .. }
                | ProductEvent::ReservationExpired { quantity, .. } => {
                    stock.reserved = moved(stock.reserved, *quantity)?;
                    stock.available += quantity;
                }
                ProductEvent::UnitsSold { quantity, .. } => {
                    stock.reserved = moved(stock.reserved, *quantity)?;
                    stock.sold += quantity;
                }
            }
            anyhow::ensure!(
                event.stock() == stock,
                "event {} carries {:?}, its quantities give {stock:?}",
                stored.sequence,
                event.stock()
            );
        }
        Ok(stock)
    }
}

/// A read-model row as text: each column as the first type it decodes as.
fn row_text(row: &sqlx::any::AnyRow) -> String {
    use sqlx::Row;
    (0..row.len())
        .map(|i| {
            if let Ok(value) = row.try_get::<Option<i64>, _>(i) {
                format!("{value:?}")
            } else if let Ok(value) = row.try_get::<Option<i32>, _>(i) {
                format!("{value:?}")
            } else if let Ok(value) = row.try_get::<Option<f64>, _>(i) {
                format!("{value:?}")
            } else if let Ok(value) = row.try_get::<Option<bool>, _>(i) {
                format!("{value:?}")
            } else {
                let text = row.try_get::<Option<String>, _>(i);
                format!("{:?}", text.unwrap_or_else(|e| panic!("column {i} decodes as nothing known: {e}")))
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}
