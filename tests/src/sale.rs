//! A flash sale as careful buyers run it, for the crash and takeover tests:
//! each buyer reserves one unit with its own idempotency key, retries on 503
//! and dropped connections until the answer is definitive (201 or 409), then
//! asks once more with the same key. Counters let a test strike while the
//! sale is at risk, and the checks read the outcome back from the event store
//! and the read model.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_infra::store::EventStore;
use cqrs_es::Aggregate;

use crate::{Answer, Client, Deployment};

/// How long one buyer keeps retrying before the test fails.
const PATIENCE: Duration = Duration::from_secs(120);

/// What the sale has seen so far, updated as answers arrive.
#[derive(Debug, Default)]
pub struct SaleCounters {
    /// 201s: reservations acknowledged to their buyer.
    pub acknowledged: AtomicUsize,
    /// Requests sent and not yet answered.
    pub in_flight: AtomicUsize,
    /// Answers that asked for a retry (503) and requests that got no answer.
    pub gap_hits: AtomicUsize,
}

/// One buyer's first definitive answer and the answer to the same key again.
#[derive(Debug)]
pub struct BuyerOutcome {
    pub buyer: String,
    pub first: Answer,
    pub again: Answer,
}

/// Start `buyers` buyers (at most `concurrency` at once) on `product_id`;
/// the returned task ends when every buyer has its definitive answers.
pub fn start(
    client: &Client,
    product_id: &str,
    buyers: usize,
    concurrency: usize,
    counters: Arc<SaleCounters>,
) -> tokio::task::JoinHandle<anyhow::Result<Vec<BuyerOutcome>>> {
    let client = client.clone();
    let path = format!("/api/v1/products/{product_id}/reservations");
    tokio::spawn(async move {
        let outcomes = futures::stream::iter(0..buyers)
            .map(|i| {
                let (client, path, counters) = (client.clone(), path.clone(), counters.clone());
                async move {
                    let buyer = format!("buyer-{i}");
                    let token = client.token(&buyer, Role::Viewer);
                    let key = format!("sale-{i}");
                    let first = reserve_until_answered(&client, &path, &token, &key, &counters).await?;
                    let again = reserve_until_answered(&client, &path, &token, &key, &counters).await?;
                    Ok::<_, anyhow::Error>(BuyerOutcome { buyer, first, again })
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await;
        outcomes.into_iter().collect()
    })
}

async fn reserve_until_answered(
    client: &Client,
    path: &str,
    token: &str,
    key: &str,
    counters: &SaleCounters,
) -> anyhow::Result<Answer> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        ensure!(tokio::time::Instant::now() < deadline, "no definitive answer for {key} within {PATIENCE:?}");
        counters.in_flight.fetch_add(1, Ordering::SeqCst);
        let answer = client.post(path, token, Some(key), json!({"quantity": 1})).await;
        counters.in_flight.fetch_sub(1, Ordering::SeqCst);
        match answer {
            Ok(answer) if answer.status == 201 => {
                counters.acknowledged.fetch_add(1, Ordering::SeqCst);
                return Ok(answer);
            }
            Ok(answer) if answer.status == 409 => return Ok(answer),
            Ok(answer) => {
                ensure!(answer.status == 503, "only 503 may ask for a retry, got {}: {}", answer.status, answer.body);
                counters.gap_hits.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => {
                counters.gap_hits.fetch_add(1, Ordering::SeqCst);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the test saw at the moment it struck.
#[derive(Debug, Clone, Copy)]
pub struct Strike {
    /// Reservations acknowledged when the kill was sent.
    pub acknowledged: usize,
    pub in_flight: usize,
    /// When the kill was sent.
    pub at: DateTime<Utc>,
}

impl Strike {
    /// Say where `what` struck, and assert the sale was at risk then: between
    /// a quarter and three fifths of `units` acknowledged, and commands in
    /// flight. (Whether requests then hit a gap depends on the strike: a
    /// restart always leaves one, a quick takeover may answer every waiting
    /// request in time; each test asserts what its strike must show.)
    pub fn assert_at_risk(&self, what: &str, units: u64, counters: &SaleCounters) {
        let gap_hits = counters.gap_hits.load(Ordering::SeqCst);
        eprintln!(
            "{what} at {} of {units} units acknowledged, {} requests in flight; {gap_hits} requests hit the gap",
            self.acknowledged, self.in_flight
        );
        let at_risk = units as usize / 4..=units as usize * 3 / 5;
        assert!(at_risk.contains(&self.acknowledged), "struck at {} acknowledged", self.acknowledged);
        assert!(self.in_flight > 0, "commands were in flight at the strike");
    }
}

/// How many of `product_id`'s reservations were decided after `at`: after a
/// strike, by whoever took over.
pub async fn decided_after(deployment: &Deployment, product_id: &str, at: DateTime<Utc>) -> anyhow::Result<usize> {
    let store = deployment.event_store().await?;
    let events = store.load(Product::TYPE, product_id).await?;
    Ok(events.iter().filter(|e| e.event_type == "UnitsReserved" && e.metadata.occurred_at > at).count())
}

/// Wait until at least `at` reservations are acknowledged, then run `kill`
/// at once; returns what was acknowledged and in flight when it struck.
/// (Run it on a multi-threaded runtime, so the buyers cannot starve it.)
pub async fn strike<F, Fut>(counters: &SaleCounters, at: usize, kill: F) -> anyhow::Result<Strike>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    tokio::time::timeout(Duration::from_secs(90), async {
        while counters.acknowledged.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .context("the sale never reached the kill point")?;
    let strike = Strike {
        acknowledged: counters.acknowledged.load(Ordering::SeqCst),
        in_flight: counters.in_flight.load(Ordering::SeqCst),
        at: Utc::now(),
    };
    kill().await?;
    Ok(strike)
}

/// Check a finished sale of `units` against the event store and the read
/// model: every buyer got the same answer twice, exactly the stock was sold,
/// every acknowledged reservation (and nothing else) is stored, no buyer
/// holds twice, the stock invariant holds at every event recomputed from
/// quantities, and the read model equals the store.
pub async fn check(
    deployment: &Deployment,
    product_id: &str,
    units: u64,
    outcomes: &[BuyerOutcome],
) -> anyhow::Result<()> {
    let mut acknowledged = HashMap::new();
    for outcome in outcomes {
        let (first, again) = (&outcome.first, &outcome.again);
        ensure!(
            (again.status, &again.body["reservation_id"]) == (first.status, &first.body["reservation_id"]),
            "{}'s key answered {} then {}",
            outcome.buyer,
            first.body,
            again.body
        );
        match (first.status, first.code()) {
            (201, _) => {
                let reservation = first.body["reservation_id"].as_str().context("reservation_id")?;
                acknowledged.insert(reservation.to_owned(), outcome.buyer.clone());
            }
            (409, Some("sold_out")) => {}
            other => bail!("{} got {other:?}: {}", outcome.buyer, first.body),
        }
    }
    ensure!(acknowledged.len() as u64 == units, "{} sold of {units}", acknowledged.len());

    let store = deployment.event_store().await?;
    let stored = stored_reservations(store.as_ref(), product_id).await?;
    ensure!(stored == acknowledged, "the store holds exactly the acknowledged reservations");
    let stock = deployment.stored_stock(product_id).await?;
    ensure!((stock.available, stock.reserved, stock.sold) == (0, units, 0), "stock after the sale: {stock:?}");

    let last = outcomes.iter().filter_map(|o| o.first.body["position"].as_u64()).max().context("no position")?;
    let read = deployment.client().product(product_id, Some(last)).await?;
    ensure!(read.status == 200, "product read answered {}: {}", read.status, read.body);
    ensure!(read.body["stock"] == json!(stock), "read model {} but store {stock:?}", read.body["stock"]);
    let read_models = deployment.read_models().await?;
    let held: Vec<(String, String)> =
        sqlx::query_as("SELECT reservation_id, buyer FROM rm_reservations WHERE product_id = $1 AND status = 'held'")
            .bind(product_id)
            .fetch_all(read_models.pool())
            .await?;
    ensure!(held.into_iter().collect::<HashMap<_, _>>() == stored, "the read model's holds are the store's");
    Ok(())
}

/// Every `UnitsReserved` of the product in the store: reservation → buyer;
/// fails if a buyer holds twice.
async fn stored_reservations(store: &dyn EventStore, product_id: &str) -> anyhow::Result<HashMap<String, String>> {
    let mut reservations = HashMap::new();
    let mut buyers = HashSet::new();
    for stored in store.load(Product::TYPE, product_id).await? {
        if let ProductEvent::UnitsReserved { reservation_id, buyer, .. } = serde_json::from_value(stored.payload)? {
            ensure!(buyers.insert(buyer.clone()), "{buyer} holds twice");
            reservations.insert(reservation_id.to_string(), buyer);
        }
    }
    Ok(reservations)
}
