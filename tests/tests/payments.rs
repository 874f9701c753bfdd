//! Distributed shape, two workers: `kill -9` the partition owner while
//! checkouts wait on a slow payment gateway. The other worker takes over:
//! every checkout retried with its key ends confirmed (the order captured at
//! most once in the gateway's ledger), the holds nobody paid for expire on
//! the new owner's rebuilt timers, and the stock adds up from the events.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_domain::product::ProductEvent;
use cartcast_infra::payment::TestCards;
use cartcast_tests::sale::stock_from_quantities;
use cartcast_tests::{Answer, Client, Deployment, Shape};

const UNITS: u64 = 30;
const PAYING: usize = 20;

/// Send until the answer is definitive: 503 and dropped connections are
/// retried with the same key; `pending` counts the 503s.
async fn until_definitive(
    client: &Client,
    path: &str,
    (token, key): (&str, &str),
    body: serde_json::Value,
    pending: &AtomicUsize,
) -> Answer {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no definitive answer for {key} within 60 s");
        match client.post(path, token, Some(key), body.clone()).await {
            Ok(answer) if answer.status != 503 => return answer,
            Ok(_) => {
                pending.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_owner_while_payments_are_in_flight_captures_each_order_once() {
    let env = [("CARTCAST_COMMAND_TIMEOUT", "1s"), ("CARTCAST_PAYMENT_TIMEOUT", "6s"), ("CARTCAST_HOLD_FOR", "10s")];
    let mut deployment = Deployment::start(Shape::Distributed, &env).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", UNITS).await.expect("product");
    deployment.add_worker().await.expect("second worker");

    let buyers: Vec<(String, String)> =
        (0..UNITS).map(|i| (format!("buyer-{i}"), client.token(&format!("buyer-{i}"), Role::Viewer))).collect();
    let pending = Arc::new(AtomicUsize::new(0));
    let mut holds = Vec::new();
    for (buyer, token) in &buyers {
        let path = format!("/api/v1/products/{product_id}/reservations");
        let key = format!("hold-{buyer}");
        let held = until_definitive(&client, &path, (token, &key), json!({"quantity": 1}), &pending).await;
        assert_eq!(held.status, 201, "{}", held.body);
        holds.push(held.body["reservation_id"].as_str().unwrap().to_owned());
    }

    // The slow card keeps each charge waiting 3 s at the gateway; callers get
    // 503 after 1 s and retry with their key.
    pending.store(0, Ordering::SeqCst);
    let checkouts = tokio::spawn({
        let (client, pending) = (client.clone(), pending.clone());
        let paying: Vec<_> =
            buyers.iter().zip(&holds).take(PAYING).map(|((b, t), h)| (b.clone(), t.clone(), h.clone())).collect();
        async move {
            futures::stream::iter(paying)
                .map(|(buyer, token, hold)| {
                    let (client, pending) = (client.clone(), pending.clone());
                    async move {
                        let path = format!("/api/v1/reservations/{hold}/checkout");
                        let (key, body) = (format!("pay-{buyer}"), json!({"card": TestCards::SLOW}));
                        let first = until_definitive(&client, &path, (&token, &key), body.clone(), &pending).await;
                        let again = until_definitive(&client, &path, (&token, &key), body, &pending).await;
                        (token, first, again)
                    }
                })
                .buffer_unordered(PAYING)
                .collect::<Vec<_>>()
                .await
        }
    });
    tokio::time::timeout(Duration::from_secs(30), async {
        while pending.load(Ordering::SeqCst) < PAYING {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("every checkout is waiting on the gateway");
    let ledger = deployment.read_models().await.expect("ledger database");
    let (charged_before_kill,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM test_gateway_charges").fetch_one(ledger.pool()).await.expect("ledger");
    deployment.kill_worker(0).await.expect("kill -9 the owner while the gateway is busy");
    assert_eq!(charged_before_kill, 0, "the payments were still in flight at the kill");
    let results = checkouts.await.expect("checkouts");

    let mut orders = HashSet::new();
    for (token, first, again) in &results {
        assert_eq!(first.status, 201, "the checkout is confirmed: {}", first.body);
        assert_eq!((again.status, &again.body["order_id"]), (first.status, &first.body["order_id"]), "same answer");
        let order_id = first.body["order_id"].as_str().unwrap().to_owned();
        let after = first.body["position"].as_u64().expect("position");
        let order = client.get(&format!("/api/v1/orders/{order_id}?after={after}"), Some(token)).await.expect("order");
        assert_eq!((order.status, order.body["status"].as_str()), (200, Some("confirmed")), "{}", order.body);
        orders.insert(order_id);
    }
    assert_eq!(orders.len(), PAYING);
    let captures: Vec<(String, i64)> = sqlx::query_as("SELECT idempotency_key, captures FROM test_gateway_charges")
        .fetch_all(ledger.pool())
        .await
        .expect("ledger");
    assert!(captures.iter().all(|(_, n)| *n == 1), "one capture per order: {captures:?}");
    assert_eq!(captures.into_iter().map(|(key, _)| key).collect::<HashSet<_>>(), orders, "every order captured");

    // The unpaid holds expire on the surviving worker's timers.
    let store = deployment.event_store().await.expect("store");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let expired = loop {
        let mut expired = HashSet::new();
        for stored in store.load("Product", &product_id).await.expect("events") {
            if let ProductEvent::ReservationExpired { reservation_id, .. } =
                serde_json::from_value(stored.payload).unwrap()
            {
                assert_eq!(stored.metadata.actor, "system:hold-timer");
                expired.insert(reservation_id.to_string());
            }
        }
        if expired.len() >= holds.len() - PAYING || tokio::time::Instant::now() > deadline {
            break expired;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(expired, holds[PAYING..].iter().cloned().collect(), "exactly the unpaid holds expired");
    let stock = stock_from_quantities(store.as_ref(), &product_id).await.expect("stock from quantities");
    assert_eq!((stock.available, stock.reserved, stock.sold), (UNITS - PAYING as u64, 0, PAYING as u64));
    deployment.stop().await.expect("clean stop of the survivor");
}
