//! The auditor's tools on a real data dir: `cartcast audit order` rebuilds
//! an order's history from the event store (and agrees with the HTTP
//! history) and fails on one that breaks an invariant; `cartcast audit
//! check` scans the whole store and names a broken invariant.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

use cartcast_domain::Role;
use cartcast_tests::{Client, Deployment, Shape};

fn cartcast(args: &[&str]) -> std::process::Output {
    std::process::Command::new(cartcast_tests::cartcast_bin()).args(args).output().expect("run cartcast")
}

/// `ann` holds one unit of `product_id` and pays for it; the order's id.
async fn buy_one(client: &Client, product_id: &str) -> String {
    let ann = client.token("ann", Role::Viewer);
    let held = client
        .post(&format!("/api/v1/products/{product_id}/reservations"), &ann, None, json!({"quantity": 1}))
        .await
        .unwrap();
    assert_eq!(held.status, 201, "{}", held.body);
    let reservation_id = held.body["reservation_id"].as_str().unwrap();
    let paid = client
        .post(
            &format!("/api/v1/reservations/{reservation_id}/checkout"),
            &ann,
            None,
            json!({"card": "4242424242424242"}),
        )
        .await
        .unwrap();
    assert_eq!(paid.status, 201, "{}", paid.body);
    paid.body["order_id"].as_str().unwrap().to_owned()
}

/// An embedded deployment, stopped, whose store holds one product and one confirmed order of it.
async fn one_order_sold() -> (Deployment, String, String) {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 2).await.expect("product");
    let order_id = buy_one(&client, &product_id).await;
    deployment.stop().await.expect("clean stop");
    (deployment, product_id, order_id)
}

#[tokio::test]
async fn audit_and_replay_read_the_event_store() {
    let (deployment, _, order_id) = one_order_sold().await;
    let data_dir = deployment.data_dir.display().to_string();

    let audit = cartcast(&["audit", "--data-dir", &data_dir, "--order", &order_id]);
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
    let audit: Value = serde_json::from_slice(&audit.stdout).expect("audit JSON");
    let steps: Vec<&str> = audit["timeline"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(steps, ["UnitsReserved", "OrderPlaced", "PaymentCaptured", "OrderConfirmed", "UnitsSold"]);
    assert_eq!((audit["status"].as_str(), audit["captures"].as_u64()), (Some("confirmed"), Some(1)));
    assert_eq!(audit["stock_consistent"], true);
    assert_eq!(audit["gateway_captures"], 1, "the gateway's ledger has exactly one capture");

    let missing = cartcast(&["audit", "--data-dir", &data_dir, "--order", "no-such-order"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("cartcast: no order no-such-order"));

    let replay = cartcast(&["replay", "--data-dir", &data_dir]);
    assert!(replay.status.success());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&replay.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Created, reserved, placed, captured, confirmed, sold.
    assert_eq!(lines.len(), 6);
    assert!(lines.windows(2).all(|w| w[0]["position"].as_u64() < w[1]["position"].as_u64()));
    let orders = cartcast(&["replay", "--data-dir", &data_dir, "--aggregate-type", "Order", "--after", "2"]);
    assert_eq!(String::from_utf8_lossy(&orders.stdout).lines().count(), 3);
}

#[tokio::test]
async fn audit_fails_on_a_store_whose_stock_does_not_add_up() {
    let (deployment, product_id, order_id) = one_order_sold().await;
    let data_dir = deployment.data_dir.display().to_string();
    let sound = cartcast(&["audit", "--data-dir", &data_dir, "--order", &order_id]);
    assert!(sound.status.success(), "the untouched store fails: {}", String::from_utf8_lossy(&sound.stderr));

    let (copy_dir, edited) = corrupted_copy(&deployment, &product_id).await;
    let audit = cartcast(&["audit", "--data-dir", &copy_dir, "--order", &order_id]);
    let stderr = String::from_utf8_lossy(&audit.stderr);
    assert_eq!(audit.status.code(), Some(1), "audit passed a store whose stock does not add up: {stderr}");
    let named = format!(
        "order {order_id} breaks an invariant: stock adds up (available + reserved + sold = total): \
         broken by event {edited} of product {product_id}"
    );
    assert!(stderr.contains(&named), "the message does not name the broken invariant: {stderr}");
    let report: Value = serde_json::from_slice(&audit.stdout).expect("audit JSON");
    assert_eq!((&report["stock_consistent"], &report["stock_broken_at"]), (&json!(false), &json!(edited)), "{report}");
}

/// A copy of the deployment's store (and its write-ahead log) in which the
/// sale's event counts one unit more sold than the product has; the copy's
/// data dir and the edited event's sequence.
async fn corrupted_copy(deployment: &Deployment, product_id: &str) -> (String, i64) {
    let copy = cartcast_tests::temp_dir("corrupted");
    for file in ["events.sqlite", "events.sqlite-wal"] {
        if deployment.data_dir.join(file).exists() {
            std::fs::copy(deployment.data_dir.join(file), copy.join(file)).expect("copy the store");
        }
    }
    let mut store = sqlx::SqliteConnection::connect(&format!("sqlite://{}", copy.join("events.sqlite").display()))
        .await
        .expect("open the copy");
    let edited: i64 = sqlx::query_scalar(
        "UPDATE events SET payload = json_set(payload, '$.stock.sold', json_extract(payload, '$.stock.sold') + 1) \
         WHERE aggregate_type = 'Product' AND aggregate_id = ? AND event_type = 'UnitsSold' RETURNING sequence",
    )
    .bind(product_id)
    .fetch_one(&mut store)
    .await
    .expect("edit the sale");
    store.close().await.unwrap();

    (copy.display().to_string(), edited)
}

/// `ann` holds one unit of the product; the reservation id and the answer's position.
async fn hold(client: &Client, product_id: &str, ann: &str) -> (String, Option<u64>) {
    let held = client
        .post(&format!("/api/v1/products/{product_id}/reservations"), ann, None, json!({"quantity": 1}))
        .await
        .unwrap();
    assert_eq!(held.status, 201, "{}", held.body);
    (held.body["reservation_id"].as_str().unwrap().to_owned(), held.body["position"].as_u64())
}

/// A hold that expires, a second hold, a checkout: the order's history, over
/// HTTP and from `cartcast audit order`, tells all of it in global order,
/// each step with who and which command caused it.
#[tokio::test]
async fn an_orders_history_tells_the_whole_story() {
    let mut deployment = Deployment::start(Shape::Embedded, &[("CARTCAST_HOLD_FOR", "1s")]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 2).await.expect("product");
    let ann = client.token("ann", Role::Viewer);
    let (_, held_at) = hold(&client, &product_id, &ann).await;
    let held = client.product(&product_id, held_at).await.unwrap();
    assert_eq!(held.body["stock"]["available"], 1, "{}", held.body);
    tokio::time::timeout(Duration::from_secs(15), async {
        while client.product(&product_id, None).await.unwrap().body["stock"]["available"] != 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the first hold expires");
    let (second, _) = hold(&client, &product_id, &ann).await;
    let paid = client
        .post(&format!("/api/v1/reservations/{second}/checkout"), &ann, None, json!({"card": "4242424242424242"}))
        .await
        .unwrap();
    assert_eq!(paid.status, 201, "{}", paid.body);
    let order_id = paid.body["order_id"].as_str().unwrap().to_owned();
    let story = [
        "UnitsReserved",
        "ReservationExpired",
        "UnitsReserved",
        "OrderPlaced",
        "PaymentCaptured",
        "OrderConfirmed",
        "UnitsSold",
    ];

    let auditor = client.token("audrey", Role::Auditor);
    let after = paid.body["position"].as_u64().unwrap_or(0);
    let history =
        client.get(&format!("/api/v1/orders/{order_id}/history?after={after}"), Some(&auditor)).await.unwrap();
    assert_eq!(history.status, 200, "{}", history.body);
    let events = history.body["events"].as_array().unwrap().clone();
    tells_the_story(&events, &story);
    deployment.stop().await.expect("clean stop");

    let data_dir = deployment.data_dir.display().to_string();
    let audit = cartcast(&["audit", "order", &order_id, "--data-dir", &data_dir]);
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
    let audit: Value = serde_json::from_slice(&audit.stdout).expect("audit JSON");
    let timeline = audit["timeline"].as_array().unwrap().clone();
    tells_the_story(&timeline, &story);
    let keys = |entries: &[Value]| -> Vec<Value> {
        entries.iter().map(|e| json!([e["position"], e["event_id"], e["causation_id"]])).collect()
    };
    assert_eq!(keys(&timeline), keys(&events), "the read model and the store tell the same story");
}

/// The steps are `story` in global order, each naming its actor and command,
/// the expiry the system's and the rest the buyer's.
fn tells_the_story(entries: &[Value], story: &[&str]) {
    let steps: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(steps, story);
    let positions: Vec<u64> = entries.iter().map(|e| e["position"].as_u64().unwrap()).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "global order: {positions:?}");
    for entry in entries {
        for id in ["command_id", "correlation_id", "causation_id", "event_id"] {
            assert!(entry[id].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{id} of {entry}");
        }
        let by_buyer = entry["type"] != "ReservationExpired";
        assert_eq!(entry["actor"] == "ann", by_buyer, "who caused {entry}");
    }
}

#[tokio::test]
async fn audit_check_passes_a_healthy_store_and_names_a_broken_invariant() {
    let (deployment, product_id, order_id) = one_order_sold().await;
    let data_dir = deployment.data_dir.display().to_string();
    let healthy = cartcast(&["audit", "check", "--data-dir", &data_dir]);
    assert!(healthy.status.success(), "a healthy store fails: {}", String::from_utf8_lossy(&healthy.stderr));
    let report: Value = serde_json::from_slice(&healthy.stdout).expect("check JSON");
    assert_eq!(report["violations"], json!([]), "{report}");
    assert_eq!((report["orders"].as_u64(), report["captures"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(report["gateway_captures"].as_u64(), Some(1), "{report}");

    let (copy, _) = corrupted_copy(&deployment, &product_id).await;
    let broken = cartcast(&["audit", "check", "--data-dir", &copy]);
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(1), "check passed a corrupted store: {stderr}");
    assert!(stderr.contains("stock_adds_up"), "the message names the invariant: {stderr}");
    let report: Value = serde_json::from_slice(&broken.stdout).expect("check JSON");
    let violation = &report["violations"][0];
    assert_eq!(violation["invariant"], "stock_adds_up", "{report}");
    assert!(violation["detail"].as_str().unwrap().contains(&format!("UnitsSold of product {product_id}")), "{report}");
    let audit = cartcast(&["audit", "order", &order_id, "--data-dir", &copy]);
    assert_eq!(audit.status.code(), Some(1), "the order's own audit sees it too");
}
