//! `cartcast projections rebuild all` while a sale goes on: readers never
//! fail nor see an empty or inconsistent product during the swap, and once
//! the sale is over the live read models equal a fresh rebuild row for row.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use cartcast_tests::sale::{self, SaleCounters};
use cartcast_tests::{Deployment, Shape};

const UNITS: u64 = 400;

async fn a_rebuild_under_traffic_ends_equal_to_the_live_model(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");
    let counters = Arc::new(SaleCounters::default());
    let sale = sale::start(&client, &product_id, UNITS as usize, 8, counters.clone());
    while counters.acknowledged.load(Ordering::Relaxed) < UNITS as usize / 4 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let rebuilding = Arc::new(AtomicBool::new(true));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = tokio::spawn({
        let (client, product_id, rebuilding, reads) =
            (client.clone(), product_id.clone(), rebuilding.clone(), reads.clone());
        async move {
            while rebuilding.load(Ordering::Relaxed) {
                let read = client.product(&product_id, None).await.expect("a read");
                assert_eq!(read.status, 200, "a read failed during the rebuild: {}", read.body);
                let stock = &read.body["stock"];
                let counted: u64 = ["available", "reserved", "sold"].iter().map(|k| stock[k].as_u64().unwrap()).sum();
                assert_eq!((stock["total"].as_u64(), counted), (Some(UNITS), UNITS), "{}", read.body);
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let at_start = counters.acknowledged.load(Ordering::Relaxed);
    let mut rebuild = deployment.tool_command(&["projections", "rebuild", "all"]);
    let rebuilt =
        tokio::task::spawn_blocking(move || rebuild.output().expect("run cartcast")).await.expect("the rebuild ran");
    rebuilding.store(false, Ordering::Relaxed);
    let at_end = counters.acknowledged.load(Ordering::Relaxed);
    reader.await.expect("no read failed");
    assert!(at_end > at_start, "the sale went on during the rebuild: {at_start} then {at_end} acknowledged");
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    assert!(reads.load(Ordering::Relaxed) > 0, "reads went on during the rebuild");
    let stderr = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(stderr.contains("catalog rebuilt") && stderr.contains("notifications rebuilt"), "{stderr}");

    let outcomes = sale.await.expect("sale task").expect("every buyer answered");
    sale::check(&deployment, &product_id, UNITS, &outcomes).await.expect("the read model equals the store");
    deployment.check_against_a_rebuild().await.expect("the live read models equal a fresh rebuild");
    deployment.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_rebuild_under_traffic_ends_equal_to_the_live_model() {
    a_rebuild_under_traffic_ends_equal_to_the_live_model(Shape::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_rebuild_under_traffic_ends_equal_to_the_live_model() {
    a_rebuild_under_traffic_ends_equal_to_the_live_model(Shape::Distributed).await;
}
