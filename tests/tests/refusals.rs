//! Bad input against the real binary, in both shapes: each refusal is a clear
//! 4xx with a code, and nothing is written to the event store.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use cartcast_command_api::auth::Signer;
use cartcast_domain::Role;
use cartcast_tests::{Deployment, Shape};

async fn bad_input_is_refused_and_nothing_is_written(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 5).await.expect("product");
    let store = deployment.event_store().await.expect("store");
    let events_before = store.read_all(0, 10_000).await.expect("events").len();

    let reserve = format!("/api/v1/products/{product_id}/reservations");
    let viewer = client.token("ann", Role::Viewer);
    let creator = client.token("seller-1", Role::Creator);
    let forged = Signer::new(b"not the deployment's secret").issue("ann", Role::Viewer, None, Duration::from_secs(60));
    let huge = json!({"quantity": 1, "note": "x".repeat(1024 * 1024)}).to_string().into_bytes();
    let json_body = |text: &str| Some(("application/json", text.as_bytes().to_vec()));

    // (what, method, path, token, body, status, code)
    type Case<'a> = (&'a str, Method, String, Option<String>, Option<(&'a str, Vec<u8>)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            Method::POST,
            reserve.clone(),
            Some(viewer.clone()),
            json_body("{\"quantity\": 1"),
            400,
            "malformed_json",
        ),
        (
            "unknown field",
            Method::POST,
            reserve.clone(),
            Some(viewer.clone()),
            json_body(r#"{"quantity":1,"discount":100}"#),
            422,
            "unknown_field",
        ),
        (
            "negative quantity",
            Method::POST,
            reserve.clone(),
            Some(viewer.clone()),
            json_body(r#"{"quantity":-1}"#),
            422,
            "invalid_input",
        ),
        (
            "zero quantity",
            Method::POST,
            reserve.clone(),
            Some(viewer.clone()),
            json_body(r#"{"quantity":0}"#),
            422,
            "invalid_input",
        ),
        ("no token", Method::POST, reserve.clone(), None, json_body(r#"{"quantity":1}"#), 401, "missing_token"),
        (
            "forged token",
            Method::POST,
            reserve.clone(),
            Some(forged),
            json_body(r#"{"quantity":1}"#),
            401,
            "invalid_token",
        ),
        (
            "garbage token",
            Method::POST,
            reserve.clone(),
            Some("abc.def".into()),
            json_body(r#"{"quantity":1}"#),
            401,
            "invalid_token",
        ),
        (
            "wrong role",
            Method::POST,
            reserve.clone(),
            Some(creator.clone()),
            json_body(r#"{"quantity":1}"#),
            403,
            "forbidden",
        ),
        (
            "viewer creating a product",
            Method::POST,
            "/api/v1/products".into(),
            Some(viewer.clone()),
            json_body(r#"{"sku":"A","title":"B","price_minor":1,"currency":"EUR","stock":1}"#),
            403,
            "forbidden",
        ),
        (
            "negative price",
            Method::POST,
            "/api/v1/products".into(),
            Some(creator.clone()),
            json_body(r#"{"sku":"A","title":"B","price_minor":-1,"currency":"EUR","stock":1}"#),
            422,
            "invalid_input",
        ),
        (
            "bad currency",
            Method::POST,
            "/api/v1/products".into(),
            Some(creator.clone()),
            json_body(r#"{"sku":"A","title":"B","price_minor":1,"currency":"euro","stock":1}"#),
            422,
            "invalid_input",
        ),
        (
            "stock by someone else",
            Method::POST,
            format!("/api/v1/products/{product_id}/stock"),
            Some(client.token("mallory", Role::Creator)),
            json_body(r#"{"add":5}"#),
            403,
            "not_seller",
        ),
        (
            "unknown product",
            Method::POST,
            "/api/v1/products/no-such-product/reservations".into(),
            Some(viewer.clone()),
            json_body(r#"{"quantity":1}"#),
            404,
            "product_not_found",
        ),
        (
            "unknown reservation",
            Method::DELETE,
            format!("/api/v1/reservations/{product_id}.99"),
            Some(viewer.clone()),
            None,
            404,
            "reservation_not_found",
        ),
        (
            "malformed reservation id",
            Method::DELETE,
            "/api/v1/reservations/nonsense".into(),
            Some(viewer.clone()),
            None,
            404,
            "reservation_not_found",
        ),
        (
            "not JSON",
            Method::POST,
            reserve.clone(),
            Some(viewer.clone()),
            Some(("text/plain", b"quantity=1".to_vec())),
            415,
            "unsupported_media_type",
        ),
    ];
    for (what, method, path, token, body, status, code) in cases {
        let answer = client.send(method, &path, token.as_deref(), None, body).await.expect(what);
        assert_eq!((answer.status, answer.code()), (status, Some(code)), "{what}: {}", answer.body);
        assert!(answer.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what} explains itself");
    }

    let expired = client.token_with_ttl("ann", Role::Viewer, Duration::ZERO);
    let answer = client.post(&reserve, &expired, None, json!({"quantity": 1})).await.unwrap();
    assert_eq!((answer.status, answer.code()), (401, Some("token_expired")), "{}", answer.body);

    // The server closes a connection whose body it refused unread, so this
    // one goes last, on a client of its own.
    let answer = deployment
        .client()
        .send(Method::POST, &reserve, Some(&viewer), None, Some(("application/json", huge)))
        .await
        .unwrap();
    assert_eq!((answer.status, answer.code()), (413, Some("body_too_large")), "{}", answer.body);

    let events_after = store.read_all(0, 10_000).await.expect("events").len();
    assert_eq!(events_after, events_before, "no refused request wrote anything");
    let read = client.product(&product_id, None).await.unwrap();
    assert_eq!(read.body["stock"], json!({"total": 5, "available": 5, "reserved": 0, "sold": 0}));
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_bad_input_is_refused_and_nothing_is_written() {
    bad_input_is_refused_and_nothing_is_written(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_bad_input_is_refused_and_nothing_is_written() {
    bad_input_is_refused_and_nothing_is_written(Shape::Distributed).await;
}
