//! Embedded shape: `kill -9` of `cartcast up` in the middle of a sale loses
//! nothing that was acknowledged. After a restart on the same data dir every
//! 201 is in the event store, every buyer retrying with its key gets a
//! definitive answer (the first one, for those who had one) and no unit is
//! sold twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_domain::product::ProductEvent;
use cartcast_tests::{Deployment, Shape};

const BUYERS: usize = 1500;
const UNITS: u64 = 300;

#[tokio::test]
async fn a_crash_mid_sale_loses_nothing_acknowledged() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");
    let path = format!("/api/v1/products/{product_id}/reservations");
    let tokens: Vec<String> = (0..BUYERS).map(|i| client.token(&format!("buyer-{i}"), Role::Viewer)).collect();

    let answered = Arc::new(AtomicUsize::new(0));
    let sale = {
        let (client, path, tokens, answered) = (client.clone(), path.clone(), tokens.clone(), answered.clone());
        tokio::spawn(async move {
            futures::stream::iter(0..BUYERS)
                .map(|i| {
                    let (client, path, token, answered) =
                        (client.clone(), path.clone(), tokens[i].clone(), answered.clone());
                    async move {
                        let answer =
                            client.post(&path, &token, Some(&format!("crash-{i}")), json!({"quantity": 1})).await.ok();
                        answered.fetch_add(1, Ordering::Relaxed);
                        (i, answer)
                    }
                })
                .buffer_unordered(200)
                .collect::<Vec<_>>()
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(60), async {
        while answered.load(Ordering::Relaxed) < BUYERS / 4 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the sale got going");
    deployment.crash_and_restart().await.expect("kill -9 and restart");
    let before_crash = sale.await.expect("sale");

    let acknowledged: HashMap<usize, String> = before_crash
        .iter()
        .filter_map(|(i, a)| {
            a.as_ref().filter(|a| a.status == 201).map(|a| (*i, a.body["reservation_id"].as_str().unwrap().to_owned()))
        })
        .collect();
    assert!(!acknowledged.is_empty(), "some reservations were acknowledged before the crash");
    assert!(before_crash.iter().any(|(_, a)| a.is_none()), "the crash cut some requests off mid-sale");

    let store = deployment.event_store().await.expect("store");
    let mut in_store = HashMap::new();
    for stored in store.load("Product", &product_id).await.expect("events") {
        if let ProductEvent::UnitsReserved { reservation_id, buyer, .. } =
            serde_json::from_value(stored.payload).unwrap()
        {
            assert!(in_store.insert(buyer.clone(), reservation_id.to_string()).is_none(), "{buyer} reserved twice");
        }
    }
    for (i, reservation_id) in &acknowledged {
        assert_eq!(
            in_store.get(&format!("buyer-{i}")),
            Some(reservation_id),
            "acknowledged reservation of buyer-{i} survived"
        );
    }

    let client = deployment.client();
    let retries = futures::stream::iter(0..BUYERS)
        .map(|i| {
            let (client, path, token) = (client.clone(), path.clone(), tokens[i].clone());
            async move {
                (
                    i,
                    client
                        .post(&path, &token, Some(&format!("crash-{i}")), json!({"quantity": 1}))
                        .await
                        .expect("http"),
                )
            }
        })
        .buffer_unordered(200)
        .collect::<Vec<_>>()
        .await;
    let mut sold = 0;
    for (i, answer) in &retries {
        match (answer.status, answer.code()) {
            (201, _) => sold += 1,
            (409, Some("sold_out")) => {}
            other => panic!("buyer-{i} got {other:?}: {}", answer.body),
        }
        if let Some(first) = acknowledged.get(i) {
            assert_eq!(
                answer.body["reservation_id"].as_str(),
                Some(first.as_str()),
                "buyer-{i}'s key answers as before the crash"
            );
        }
    }
    assert_eq!(sold, UNITS, "exactly the stock was sold");
    let (stock, history) = deployment.stored_stock(&product_id).await.expect("stock");
    assert!(history.iter().all(|s| s.is_consistent()));
    assert_eq!((stock.available, stock.reserved), (0, UNITS));
    deployment.stop().await.expect("clean stop");
}
