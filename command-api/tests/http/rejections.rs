//! Every refused request answers with a typed error and sends nothing to the bus.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;

use cartcast_command_api::auth::Signer;
use cartcast_domain::Role;

use crate::helpers::{TestApp, json_request, request, spawn_app};

const PRODUCT: &str = "/api/v1/products";
const RESERVE: &str = "/api/v1/products/p1/reservations";

fn product() -> serde_json::Value {
    json!({"sku": "HOODIE-M", "title": "Hoodie", "price_minor": 4900, "currency": "EUR", "stock": 10})
}

fn assert_refused(app: &TestApp, response: &crate::helpers::TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{:?}", response.body);
    assert_eq!(response.code(), code, "{:?}", response.body);
    assert!(!response.message().is_empty());
    assert!(app.received().is_empty(), "the bus received a refused command");
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.send(json_request(Method::POST, RESERVE, Some(&token), "{\"quantity\": 1")).await;
    assert_refused(&app, &response, StatusCode::BAD_REQUEST, "malformed_json");
}

#[tokio::test]
async fn trailing_garbage_after_the_json_is_a_400() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.send(json_request(Method::POST, RESERVE, Some(&token), "{\"quantity\": 1} x")).await;
    assert_refused(&app, &response, StatusCode::BAD_REQUEST, "malformed_json");
}

#[tokio::test]
async fn an_unknown_field_is_a_422_naming_it() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post(RESERVE, &token, json!({"quantity": 1, "quantiy": 2})).await;
    assert_refused(&app, &response, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert!(response.message().contains("quantiy"), "{}", response.message());
}

#[tokio::test]
async fn a_negative_quantity_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post(RESERVE, &token, json!({"quantity": -1})).await;
    assert_refused(&app, &response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(response.message().contains("quantity"), "{}", response.message());
}

#[tokio::test]
async fn a_wrongly_typed_field_is_a_422_naming_it() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    let response = app
        .post(PRODUCT, &token, json!({"sku": "S", "title": "T", "price_minor": "cheap", "currency": "EUR", "stock": 1}))
        .await;
    assert_refused(&app, &response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(response.message().contains("price_minor"), "{}", response.message());
}

#[tokio::test]
async fn a_missing_field_is_a_422_naming_it() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    let response =
        app.post(PRODUCT, &token, json!({"sku": "S", "title": "T", "price_minor": 1, "currency": "EUR"})).await;
    assert_refused(&app, &response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(response.message().contains("stock"), "{}", response.message());
}

#[tokio::test]
async fn a_currency_that_is_not_iso_4217_is_a_422() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    let mut body = product();
    body["currency"] = json!("euro");
    let response = app.post(PRODUCT, &token, body).await;
    assert_refused(&app, &response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(response.message().contains("currency"), "{}", response.message());
}

#[tokio::test]
async fn a_body_over_64_kib_is_a_413() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    let mut body = product();
    body["title"] = json!("x".repeat(70 * 1024));
    let response = app.post(PRODUCT, &token, body).await;
    assert_refused(&app, &response, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let request = request(Method::POST, RESERVE, Some(&token))
        .header("content-type", "text/plain")
        .body(Body::from("{\"quantity\": 1}"))
        .unwrap();
    let response = app.send(request).await;
    assert_refused(&app, &response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[tokio::test]
async fn a_command_without_a_token_is_a_401() {
    let app = spawn_app().await;
    let response = app.send(json_request(Method::POST, PRODUCT, None, &product().to_string())).await;
    assert_refused(&app, &response, StatusCode::UNAUTHORIZED, "missing_token");
    assert_eq!(response.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn an_expired_token_is_a_401() {
    let app = spawn_app().await;
    let token = app.signer.issue("cara", Role::Creator, None, Duration::ZERO);
    let response = app.post(PRODUCT, &token, product()).await;
    assert_refused(&app, &response, StatusCode::UNAUTHORIZED, "token_expired");
}

#[tokio::test]
async fn a_token_from_another_secret_is_a_401() {
    let app = spawn_app().await;
    let token = Signer::new(b"someone else's secret").issue("cara", Role::Creator, None, Duration::from_secs(60));
    let response = app.post(PRODUCT, &token, product()).await;
    assert_refused(&app, &response, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn a_garbled_token_is_a_401() {
    let app = spawn_app().await;
    let response = app.post(PRODUCT, "not.a-token", product()).await;
    assert_refused(&app, &response, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn a_viewer_cannot_create_a_product() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post(PRODUCT, &token, product()).await;
    assert_refused(&app, &response, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_creator_cannot_reserve() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    let response = app.post(RESERVE, &token, json!({"quantity": 1})).await;
    assert_refused(&app, &response, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn the_role_is_checked_before_the_body_is_read() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.send(json_request(Method::POST, PRODUCT, Some(&token), "{oops")).await;
    assert_refused(&app, &response, StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn an_invalid_idempotency_key_is_a_400() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post_with_key(RESERVE, &token, &"k".repeat(256), json!({"quantity": 1})).await;
    assert_refused(&app, &response, StatusCode::BAD_REQUEST, "invalid_idempotency_key");
}

#[tokio::test]
async fn releasing_a_malformed_reservation_id_is_a_404() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app
        .send(request(Method::DELETE, "/api/v1/reservations/no-number", Some(&token)).body(Body::empty()).unwrap())
        .await;
    assert_refused(&app, &response, StatusCode::NOT_FOUND, "reservation_not_found");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/nothing-here", None).await;
    assert_refused(&app, &response, StatusCode::NOT_FOUND, "not_found");
    let response = app.send(request(Method::PUT, "/api/v1/products", None).body(Body::empty()).unwrap()).await;
    assert_refused(&app, &response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}
