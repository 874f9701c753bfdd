//! Distributed shape, two workers: `kill -9` the partition owner while
//! checkouts wait on the payment gateway (a slow card that is captured, a
//! card that times out). The other worker takes over: every checkout retried
//! with its key ends confirmed or expired, each order captured at most once
//! in the gateway's ledger; the holds nobody paid for expire on the new
//! owner's rebuilt timers, and the stock adds up from the events.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_infra::payment::TestCards;
use cartcast_tests::{Answer, Client, Deployment, Shape};
use cqrs_es::Aggregate;

const UNITS: u64 = 30;
/// Buyers paying with the slow card; the next `TIMING_OUT` pay with the card
/// that times out, the rest never pay.
const PAYING: usize = 20;
const TIMING_OUT: usize = 5;

/// Send until the answer is definitive: 503 and dropped connections are
/// retried with the same key; `pending` counts the calls that saw a 503.
async fn until_definitive(
    client: &Client,
    path: &str,
    (token, key): (&str, &str),
    body: serde_json::Value,
    pending: &AtomicUsize,
) -> Answer {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut waited = false;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no definitive answer for {key} within 60 s");
        match client.post(path, token, Some(key), body.clone()).await {
            Ok(answer) if answer.status != 503 => return answer,
            Ok(_) if !waited => {
                waited = true;
                pending.fetch_add(1, Ordering::SeqCst);
            }
            Ok(_) => {}
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

    // The slow card keeps each charge waiting 3 s at the gateway, the other
    // 6 s; callers get 503 after 1 s and retry with their key.
    pending.store(0, Ordering::SeqCst);
    let checking_out = PAYING + TIMING_OUT;
    let checkouts = tokio::spawn({
        let (client, pending) = (client.clone(), pending.clone());
        let paying: Vec<_> = buyers
            .iter()
            .zip(&holds)
            .take(checking_out)
            .enumerate()
            .map(|(i, ((b, t), h))| (b.clone(), t.clone(), h.clone(), i < PAYING))
            .collect();
        async move {
            futures::stream::iter(paying)
                .map(|(buyer, token, hold, slow)| {
                    let (client, pending) = (client.clone(), pending.clone());
                    async move {
                        let path = format!("/api/v1/reservations/{hold}/checkout");
                        let card = if slow { TestCards::SLOW } else { TestCards::TIMES_OUT };
                        let (key, body) = (format!("pay-{buyer}"), json!({"card": card}));
                        let first = until_definitive(&client, &path, (&token, &key), body.clone(), &pending).await;
                        let again = until_definitive(&client, &path, (&token, &key), body, &pending).await;
                        (token, slow, first, again)
                    }
                })
                .buffer_unordered(checking_out)
                .collect::<Vec<_>>()
                .await
        }
    });
    tokio::time::timeout(Duration::from_secs(30), async {
        while pending.load(Ordering::SeqCst) < checking_out {
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

    let mut expected_ledger = HashSet::new();
    for (token, slow, first, again) in &results {
        let (status, code, order_id, order_status) = if *slow {
            (201, None, &first.body["order_id"], "confirmed")
        } else {
            (504, Some("payment_timeout"), &first.body["error"]["order_id"], "expired")
        };
        assert_eq!((first.status, first.code()), (status, code), "{}", first.body);
        assert_eq!((again.status, &again.body), (first.status, &first.body), "the same answer again");
        let order_id = order_id.as_str().expect("order_id").to_owned();
        let after = first.body["position"].as_u64().map(|p| format!("?after={p}")).unwrap_or_default();
        let order = client.get(&format!("/api/v1/orders/{order_id}{after}"), Some(token)).await.expect("order");
        assert_eq!((order.status, order.body["status"].as_str()), (200, Some(order_status)), "{}", order.body);
        expected_ledger.insert((order_id, i64::from(*slow)));
    }
    let ledger_rows: HashSet<(String, i64)> =
        sqlx::query_as("SELECT idempotency_key, captures FROM test_gateway_charges")
            .fetch_all(ledger.pool())
            .await
            .expect("ledger")
            .into_iter()
            .collect();
    assert_eq!(ledger_rows, expected_ledger, "one ledger entry per order, captured once or never");

    // The unpaid holds expire on the surviving worker's timers.
    let store = deployment.event_store().await.expect("store");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let expired = loop {
        let mut expired = HashSet::new();
        for stored in store.load(Product::TYPE, &product_id).await.expect("events") {
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
    assert_eq!(expired, holds[PAYING..].iter().cloned().collect(), "exactly the holds not paid for expired");
    let stock = deployment.stored_stock(&product_id).await.expect("the stock adds up at every event");
    assert_eq!((stock.available, stock.reserved, stock.sold), (UNITS - PAYING as u64, 0, PAYING as u64));
    deployment.stop().await.expect("clean stop of the survivor");
}
