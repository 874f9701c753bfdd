//! Distributed shape: the partition owner dies while a flash sale is at
//! risk, and another worker takes over. Every buyer that retries with its
//! key gets one definitive answer and the same one on repeat, no
//! acknowledged reservation is lost, no unit is sold twice, and the read
//! model ends equal to the store.
//!
//! Two strikes: `kill -9` from outside once a third of the units are
//! acknowledged, with commands in flight; and an owner that dies between
//! committing a batch and publishing it, whose batch must reach the feed
//! before anything its successor decides.

use std::os::unix::process::ExitStatusExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cartcast_tests::sale::{self, SaleCounters};
use cartcast_tests::{Deployment, Shape};

const BUYERS: usize = 900;
const UNITS: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_partition_owner_mid_sale_loses_nothing() {
    let mut deployment =
        Deployment::start(Shape::Distributed, &[("CARTCAST_COMMAND_TIMEOUT", "3s")]).await.expect("start");
    let client = deployment.client();
    // The first worker answered this, so it owns the product's partition.
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");
    deployment.add_worker().await.expect("second worker");

    let counters = Arc::new(SaleCounters::default());
    let sale = sale::start(&client, &product_id, BUYERS, 300, counters.clone());
    let strike = sale::strike(&counters, UNITS as usize / 4 + 10, || deployment.kill_worker(0)).await.expect("strike");
    let outcomes = sale.await.expect("sale task").expect("every buyer answered");
    strike.assert_at_risk("takeover: killed the owner", UNITS, &counters);
    let successor = sale::decided_after(&deployment, &product_id, strike.at).await.expect("the store");
    eprintln!("takeover: the surviving worker decided {successor} reservations after the kill");
    assert!(successor > 0, "the surviving worker decided part of the sale after the kill");
    sale::check(&deployment, &product_id, UNITS, &outcomes).await.expect("the sale's outcome");
    deployment.stop().await.expect("clean stop of the survivors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_dying_between_commit_and_publish_keeps_the_feed_in_order() {
    // Batches of at most 50, so the sale takes many commits.
    let env = [("CARTCAST_COMMAND_TIMEOUT", "3s"), ("CARTCAST_BATCH_MAX", "50")];
    let mut deployment = Deployment::start(Shape::Distributed, &env).await.expect("start");
    // The owner-to-be dies right after the commit that takes it to 131
    // events (the product's creation, then reservations), before that batch
    // is on the feed or answered.
    deployment.kill_worker(0).await.expect("retire the first worker");
    deployment.add_worker_with(&[("CARTCAST_CRASH_AFTER_EVENTS", "131")]).await.expect("the doomed owner");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");
    deployment.add_worker().await.expect("the successor");

    let counters = Arc::new(SaleCounters::default());
    let sale = sale::start(&client, &product_id, BUYERS, 300, counters.clone());
    let died = deployment.wait_worker_exit(0, Duration::from_secs(60)).await.expect("the owner died");
    let acknowledged = counters.acknowledged.load(Ordering::SeqCst);
    let outcomes = sale.await.expect("sale task").expect("every buyer answered");
    let gap_hits = counters.gap_hits.load(Ordering::SeqCst);
    eprintln!(
        "takeover: the owner died between commit and publish at {acknowledged} of {UNITS} units acknowledged; {gap_hits} requests hit the gap"
    );

    assert_eq!(died.signal(), Some(libc::SIGABRT), "the owner aborted at the strike point: {died:?}");
    assert!(acknowledged < UNITS as usize, "it died mid-sale");
    sale::check(&deployment, &product_id, UNITS, &outcomes).await.expect("the sale's outcome");
    deployment.stop().await.expect("clean stop of the survivor");
}
