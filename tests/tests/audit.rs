//! The analyst and auditor tools on a real data dir: `cartcast audit`
//! rebuilds an order's history from the event store, `cartcast replay`
//! exports every event in global order.

use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::{Deployment, Shape};

fn cartcast(args: &[&str]) -> std::process::Output {
    std::process::Command::new(cartcast_tests::cartcast_bin()).args(args).output().expect("run cartcast")
}

#[tokio::test]
async fn audit_and_replay_read_the_event_store() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 2).await.expect("product");
    let ann = client.token("ann", Role::Viewer);
    let held = client
        .post(&format!("/api/v1/products/{product_id}/reservations"), &ann, None, json!({"quantity": 1}))
        .await
        .unwrap();
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
    let order_id = paid.body["order_id"].as_str().unwrap().to_owned();
    deployment.stop().await.expect("clean stop");
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
    let orders = cartcast(&["replay", "--data-dir", &data_dir, "--type", "Order", "--after", "2"]);
    assert_eq!(String::from_utf8_lossy(&orders.stdout).lines().count(), 3);
}
