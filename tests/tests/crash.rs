//! Embedded shape: `kill -9` of `cartcast up` while a flash sale is at risk
//! — a third of the units acknowledged, commands in flight — and a restart
//! on the same data dir and address. Every buyer retrying with its key gets
//! one definitive answer and the same one on repeat, every 201 answered
//! before the crash is in the event store, no unit is sold twice and the
//! read model ends equal to the store.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cartcast_tests::sale::{self, SaleCounters};
use cartcast_tests::{Deployment, Shape};

const BUYERS: usize = 900;
const UNITS: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_sale_loses_nothing_acknowledged() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");

    let counters = Arc::new(SaleCounters::default());
    let sale = sale::start(&client, &product_id, BUYERS, 200, counters.clone());
    let strike = sale::strike(&counters, UNITS as usize / 3, || deployment.crash()).await.expect("strike");
    deployment.start_after_crash().await.expect("restart on the same data dir");
    let outcomes = sale.await.expect("sale task").expect("every buyer answered");
    strike.assert_at_risk("crash: killed cartcast up", UNITS, &counters);
    assert!(counters.gap_hits.load(Ordering::SeqCst) > 0, "requests hit the restart and were retried");
    sale::check(&deployment, &product_id, UNITS, &outcomes).await.expect("the sale's outcome");
    deployment.stop().await.expect("clean stop");
}
