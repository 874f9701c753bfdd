//! The analyst and auditor tools on a real data dir: `cartcast audit`
//! rebuilds an order's history from the event store and fails on one that
//! breaks an invariant, `cartcast replay` exports every event in global order.

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

    // A copy of the store (and its write-ahead log) in which the sale's event
    // counts one unit more sold than the product has.
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
    .bind(&product_id)
    .fetch_one(&mut store)
    .await
    .expect("edit the sale");
    store.close().await.unwrap();

    let copy_dir = copy.display().to_string();
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
