//! The commerce spine end to end, in both shapes, against the real binary:
//! a flash sale never oversells, idempotency keys answer the same (also after
//! a restart), holds expire, checkout follows the test cards, and bad input is
//! refused with a code while nothing is written.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;

use cartcast_domain::Role;
use cartcast_tests::{Client, Deployment, Shape};

/// Reserve one unit each for `buyers` distinct viewers, all at once.
async fn reserve_all(client: &Client, product_id: &str, buyers: usize) -> Vec<cartcast_tests::Answer> {
    let path = format!("/api/v1/products/{product_id}/reservations");
    let tokens: Vec<String> = (0..buyers).map(|i| client.token(&format!("buyer-{i}"), Role::Viewer)).collect();
    futures::stream::iter(tokens.into_iter().enumerate())
        .map(|(i, token)| {
            let (client, path) = (client.clone(), path.clone());
            async move {
                let key = format!("flash-{i}");
                client.post(&path, &token, Some(&key), json!({"quantity": 1})).await.expect("http")
            }
        })
        .buffer_unordered(buyers)
        .collect()
        .await
}

async fn flash_sale_sells_exactly_the_stock(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 100).await.expect("product");

    let answers = reserve_all(&client, &product_id, 2000).await;
    let mut by_outcome: HashMap<(u16, String), usize> = HashMap::new();
    for answer in &answers {
        *by_outcome.entry((answer.status, answer.code().unwrap_or("").to_owned())).or_default() += 1;
    }
    assert_eq!(by_outcome.get(&(201, String::new())), Some(&100), "{by_outcome:?}");
    assert_eq!(by_outcome.get(&(409, "sold_out".to_owned())), Some(&1900), "{by_outcome:?}");
    assert_eq!(by_outcome.len(), 2, "nothing but 201 and 409 sold_out: {by_outcome:?}");

    let last = answers.iter().filter_map(|a| a.body["position"].as_u64()).max().expect("positions");
    let read = client.product(&product_id, Some(last)).await.expect("read");
    assert_eq!(read.status, 200);
    assert_eq!(read.body["stock"], json!({"total": 100, "available": 0, "reserved": 100, "sold": 0}));

    let stored =
        deployment.stored_stock(&product_id).await.expect("available + reserved + sold = total at every event");
    assert_eq!(json!(stored), read.body["stock"], "read model equals the event store");
    if shape == Shape::Distributed {
        for (role, text) in deployment.role_metrics().await.expect("role metrics") {
            let expected = if role == "projector" { "projection_position" } else { "worker_batch_commands" };
            assert!(text.contains(expected), "{role} reports {expected}");
        }
    }
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_flash_sale_sells_exactly_the_stock() {
    flash_sale_sells_exactly_the_stock(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_flash_sale_sells_exactly_the_stock() {
    flash_sale_sells_exactly_the_stock(Shape::Distributed).await;
}

async fn same_key_same_answer_across_restart(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 1).await.expect("product");
    let path = format!("/api/v1/products/{product_id}/reservations");
    let ann = client.token("ann", Role::Viewer);
    let bob = client.token("bob", Role::Viewer);

    let first = client.post(&path, &ann, Some("ann-key-1"), json!({"quantity": 1})).await.unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    let again = client.post(&path, &ann, Some("ann-key-1"), json!({"quantity": 1})).await.unwrap();
    assert_eq!((again.status, &again.body["reservation_id"]), (201, &first.body["reservation_id"]));
    assert!(first.body["position"].as_u64().is_some_and(|p| p > 0));
    assert_eq!(again.body["position"], first.body["position"], "a repeat points at the same events");
    let bobs = client.post(&path, &bob, Some("ann-key-1"), json!({"quantity": 1})).await.unwrap();
    assert_eq!((bobs.status, bobs.code()), (409, Some("sold_out")), "another user's key is another command");

    deployment.restart().await.expect("restart");
    let client = deployment.client();
    let after_restart = client.post(&path, &ann, Some("ann-key-1"), json!({"quantity": 1})).await.unwrap();
    assert_eq!(after_restart.status, 201);
    assert_eq!(after_restart.body["reservation_id"], first.body["reservation_id"]);
    assert_eq!(after_restart.body["expires_at"], first.body["expires_at"]);
    let read = client.product(&product_id, after_restart.body["position"].as_u64()).await.unwrap();
    assert_eq!(read.body["stock"]["reserved"], 1, "the repeat reserved nothing more");
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_same_key_same_answer_across_restart() {
    same_key_same_answer_across_restart(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_same_key_same_answer_across_restart() {
    same_key_same_answer_across_restart(Shape::Distributed).await;
}

async fn expired_hold_releases_units_and_refuses_checkout(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[("CARTCAST_HOLD_FOR", "1s")]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 3).await.expect("product");
    let ann = client.token("ann", Role::Viewer);
    let held = client
        .post(&format!("/api/v1/products/{product_id}/reservations"), &ann, None, json!({"quantity": 2}))
        .await
        .unwrap();
    assert_eq!(held.status, 201);
    let reservation_id = held.body["reservation_id"].as_str().unwrap().to_owned();
    let reserved = client.product(&product_id, held.body["position"].as_u64()).await.unwrap();
    assert_eq!(reserved.body["stock"]["available"], 1, "{}", reserved.body);

    let released = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let read = client.product(&product_id, None).await.unwrap();
            if read.body["stock"]["available"] == 3 {
                return read;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the hold's units come back after its deadline");
    assert_eq!(released.body["stock"]["reserved"], 0);

    let checkout = client
        .post(
            &format!("/api/v1/reservations/{reservation_id}/checkout"),
            &ann,
            None,
            json!({"card": "4242424242424242"}),
        )
        .await
        .unwrap();
    assert_eq!((checkout.status, checkout.code()), (410, Some("reservation_expired")), "{}", checkout.body);
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_expired_hold_releases_units_and_refuses_checkout() {
    expired_hold_releases_units_and_refuses_checkout(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_expired_hold_releases_units_and_refuses_checkout() {
    expired_hold_releases_units_and_refuses_checkout(Shape::Distributed).await;
}

async fn checkout_follows_the_test_cards(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[("CARTCAST_PAYMENT_TIMEOUT", "300ms")]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 10).await.expect("product");
    let ann = client.token("ann", Role::Viewer);
    let auditor = client.token("audit-1", Role::Auditor);
    let reserve = || async {
        let held = client
            .post(&format!("/api/v1/products/{product_id}/reservations"), &ann, None, json!({"quantity": 1}))
            .await
            .unwrap();
        assert_eq!(held.status, 201);
        held.body["reservation_id"].as_str().unwrap().to_owned()
    };
    let checkout = |reservation_id: String, card: &'static str| {
        let (client, ann) = (client.clone(), ann.clone());
        async move {
            client
                .post(
                    &format!("/api/v1/reservations/{reservation_id}/checkout"),
                    &ann,
                    Some(&format!("{reservation_id}/{card}")),
                    json!({"card": card}),
                )
                .await
                .unwrap()
        }
    };

    let paid = checkout(reserve().await, "4242424242424242").await;
    assert_eq!((paid.status, paid.body["status"].as_str()), (201, Some("confirmed")), "{}", paid.body);
    let order_id = paid.body["order_id"].as_str().unwrap().to_owned();
    let position = paid.body["position"].as_u64();
    let order =
        client.get(&format!("/api/v1/orders/{order_id}?after={}", position.unwrap()), Some(&ann)).await.unwrap();
    assert_eq!((order.status, order.body["status"].as_str()), (200, Some("confirmed")), "{}", order.body);
    let history = client.get(&format!("/api/v1/orders/{order_id}/history"), Some(&auditor)).await.unwrap();
    let types: Vec<&str> =
        history.body["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["UnitsReserved", "OrderPlaced", "PaymentCaptured", "OrderConfirmed", "UnitsSold"]);
    assert!(
        history.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"].is_string() && e["command_id"].is_string())
    );

    let declined_hold = reserve().await;
    let declined = checkout(declined_hold.clone(), "4000000000000002").await;
    assert_eq!((declined.status, declined.code()), (402, Some("payment_declined")), "{}", declined.body);
    let retried = checkout(declined_hold, "4242424242424242").await;
    assert_eq!(retried.status, 201, "the hold survives a decline: {}", retried.body);

    let timed_out = checkout(reserve().await, "4000000000009995").await;
    assert_eq!((timed_out.status, timed_out.code()), (504, Some("payment_timeout")), "{}", timed_out.body);
    let expired_order = timed_out.body["error"]["order_id"].as_str().unwrap();
    let order = client
        .get(
            &format!("/api/v1/orders/{expired_order}?after={}", timed_out.body["position"].as_u64().unwrap()),
            Some(&ann),
        )
        .await
        .unwrap();
    assert_eq!(order.body["status"], "expired", "{}", order.body);

    let read = client.product(&product_id, timed_out.body["position"].as_u64()).await.unwrap();
    assert_eq!(read.body["stock"], json!({"total": 10, "available": 7, "reserved": 1, "sold": 2}));

    let given_back = reserve().await;
    let bob = client.token("bob", Role::Viewer);
    let not_his = client.delete(&format!("/api/v1/reservations/{given_back}"), &bob, None).await.unwrap();
    assert_eq!((not_his.status, not_his.code()), (403, Some("not_holder")), "{}", not_his.body);
    let released = client.delete(&format!("/api/v1/reservations/{given_back}"), &ann, None).await.unwrap();
    assert_eq!(released.status, 200, "{}", released.body);
    let late = checkout(given_back, "4242424242424242").await;
    assert_eq!((late.status, late.code()), (410, Some("reservation_released")), "{}", late.body);
    let read = client.product(&product_id, released.body["position"].as_u64()).await.unwrap();
    assert_eq!(
        read.body["stock"],
        json!({"total": 10, "available": 7, "reserved": 1, "sold": 2}),
        "the units came back"
    );
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_checkout_follows_the_test_cards() {
    checkout_follows_the_test_cards(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_checkout_follows_the_test_cards() {
    checkout_follows_the_test_cards(Shape::Distributed).await;
}
