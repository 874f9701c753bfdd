//! Distributed shape: `kill -9` the projector while a sale's events stream
//! in, and start a new one later. While none runs, a read-your-writes read
//! (`?after=`) refuses to answer stale (503 `not_caught_up`); the new
//! projector resumes from its checkpoint with the rest redelivered, and the
//! read models end equal to the event store, every event applied once, and
//! row for row equal to a fresh rebuild of every projection.

use std::sync::Arc;

use cartcast_tests::sale::{self, SaleCounters};
use cartcast_tests::{Deployment, Shape};

const UNITS: u64 = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_mid_stream_resumes_without_applying_twice() {
    let mut deployment = Deployment::start(Shape::Distributed, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");

    let counters = Arc::new(SaleCounters::default());
    let sale = sale::start(&client, &product_id, UNITS as usize, 100, counters.clone());
    let strike = sale::strike(&counters, UNITS as usize / 3, || deployment.kill_projector()).await.expect("strike");
    let outcomes = sale.await.expect("sale task").expect("every buyer answered");
    assert!(strike.acknowledged < UNITS as usize, "the projector died mid-stream");

    let last = outcomes.iter().filter_map(|o| o.first.body["position"].as_u64()).max().expect("positions");
    let stale = client.product(&product_id, Some(last)).await.expect("read");
    assert_eq!((stale.status, stale.code()), (503, Some("not_caught_up")), "no stale answer: {}", stale.body);

    deployment.start_projector().await.expect("a new projector");
    sale::check(&deployment, &product_id, UNITS, &outcomes).await.expect("the read model equals the store");
    let read_models = deployment.read_models().await.expect("read models");
    let (entries,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM rm_history h JOIN rm_reservations r ON h.stream = 'reservation:' || r.reservation_id \
         WHERE r.product_id = $1",
    )
    .bind(&product_id)
    .fetch_one(read_models.pool())
    .await
    .expect("history");
    assert_eq!(entries as u64, UNITS, "one history entry per reservation: nothing applied twice");
    read_models.pool().close().await;

    deployment.check_against_a_rebuild().await.expect("every read model equals a fresh rebuild of it");
    deployment.stop().await.expect("clean stop");
}
