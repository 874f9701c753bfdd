//! Distributed shape, two workers: `kill -9` the partition owner in the
//! middle of a flash sale. The other worker takes over; every buyer that
//! retries with its key gets one definitive answer, the first answer again on
//! a repeat, no acknowledged reservation is lost and no unit is sold twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_domain::product::ProductEvent;
use cartcast_tests::{Answer, Client, Deployment, Shape};

const BUYERS: usize = 3000;
const UNITS: u64 = 200;

/// Send until the answer is definitive (201 or 409), as a careful client
/// would: 503s and dropped connections are retried with the same key.
async fn reserve_until_answered(client: &Client, path: &str, token: &str, key: &str) -> Answer {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no definitive answer for {key} within 90 s");
        match client.post(path, token, Some(key), json!({"quantity": 1})).await {
            Ok(answer) if answer.status == 201 || answer.status == 409 => return answer,
            Ok(answer) => assert_eq!(answer.status, 503, "only 503 may ask for a retry: {}", answer.body),
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn killing_the_partition_owner_mid_sale_loses_nothing() {
    let mut deployment =
        Deployment::start(Shape::Distributed, &[("CARTCAST_COMMAND_TIMEOUT", "3s")]).await.expect("start");
    let client = deployment.client();
    // The first worker answered this, so it owns the product's partition.
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");
    deployment.add_worker().await.expect("second worker");

    let path = format!("/api/v1/products/{product_id}/reservations");
    let answered = Arc::new(AtomicUsize::new(0));
    let sale = {
        let (client, path, answered) = (client.clone(), path.clone(), answered.clone());
        tokio::spawn(async move {
            futures::stream::iter(0..BUYERS)
                .map(|i| {
                    let (client, path, answered) = (client.clone(), path.clone(), answered.clone());
                    async move {
                        let token = client.token(&format!("buyer-{i}"), Role::Viewer);
                        let key = format!("sale-{i}");
                        let first = reserve_until_answered(&client, &path, &token, &key).await;
                        answered.fetch_add(1, Ordering::Relaxed);
                        let again = reserve_until_answered(&client, &path, &token, &key).await;
                        (format!("buyer-{i}"), first, again)
                    }
                })
                .buffer_unordered(300)
                .collect::<Vec<_>>()
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(60), async {
        while answered.load(Ordering::Relaxed) < BUYERS / 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the sale got going");
    deployment.kill_worker(0).await.expect("kill -9 the owner");
    let results = sale.await.expect("sale");

    let mut sold_to = HashMap::new();
    let mut sold_out = 0;
    for (buyer, first, again) in &results {
        assert_eq!(
            (again.status, &again.body["reservation_id"]),
            (first.status, &first.body["reservation_id"]),
            "the same key answers the same"
        );
        match (first.status, first.code()) {
            (201, _) => {
                sold_to.insert(first.body["reservation_id"].as_str().unwrap().to_owned(), buyer.clone());
            }
            (409, Some("sold_out")) => sold_out += 1,
            other => panic!("unexpected answer {other:?}: {}", first.body),
        }
    }
    assert_eq!(sold_to.len() as u64, UNITS, "exactly the stock was sold");
    assert_eq!(sold_out, BUYERS - UNITS as usize);

    let store = deployment.event_store().await.expect("store");
    let mut reserved_in_store = HashMap::new();
    let mut buyers_in_store = HashSet::new();
    let (stock, history) = deployment.stored_stock(&product_id).await.expect("stock");
    for stored in store.load("Product", &product_id).await.expect("events") {
        if let ProductEvent::UnitsReserved { reservation_id, buyer, .. } =
            serde_json::from_value(stored.payload).unwrap()
        {
            assert!(buyers_in_store.insert(buyer.clone()), "{buyer} reserved twice");
            reserved_in_store.insert(reservation_id.to_string(), buyer);
        }
    }
    assert_eq!(reserved_in_store, sold_to, "every acknowledged reservation is in the store, and nothing else");
    assert!(history.iter().all(|s| s.is_consistent()), "available + reserved + sold = total at every event");
    assert_eq!((stock.available, stock.reserved, stock.sold), (0, UNITS, 0));

    let last = results.iter().filter_map(|(_, a, _)| a.body["position"].as_u64()).max().unwrap();
    let read = client.product(&product_id, Some(last)).await.expect("read");
    assert_eq!(read.body["stock"], json!(stock), "the read model agrees with the store");
    deployment.stop().await.expect("clean stop of the survivors");
}
