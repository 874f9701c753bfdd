//! Accepted commands: what the bus receives and how its outcome is answered.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use cartcast_domain::Role;
use cartcast_domain::ids::ReservationId;
use cartcast_domain::product::ProductError;
use cartcast_domain::show::ShowError;
use cartcast_infra::bus::BusError;
use cartcast_infra::envelope::{Actor, AppCommand};
use cartcast_infra::outcome::{Answer, Outcome, Refusal, ShowScheduled};

use crate::helpers::{INGEST_URL, json_request, request, spawn_app, spawn_app_answering};

fn product() -> serde_json::Value {
    json!({"sku": "HOODIE-M", "title": "Hoodie", "price_minor": 4900, "currency": "EUR", "stock": 10})
}

fn product_id(command: &AppCommand) -> &str {
    match command {
        AppCommand::CreateProduct { product_id, .. } => product_id,
        other => panic!("not a product creation: {other:?}"),
    }
}

#[tokio::test]
async fn a_command_is_answered_with_its_outcome_and_position() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post("/api/v1/products/p1/reservations", &token, json!({"quantity": 2})).await;
    assert_eq!(response.status, StatusCode::CREATED);
    let expected = json!({
        "reservation_id": "p1.1", "product_id": "p1", "quantity": 2,
        "expires_at": "2026-11-29T12:05:00Z", "position": 7
    });
    assert_eq!(response.body, expected);
    let received = app.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].actor, Actor { sub: "ann".into(), role: Role::Viewer });
    assert_eq!(received[0].command, AppCommand::Reserve { product_id: "p1".into(), quantity: 2 });
}

#[tokio::test]
async fn the_same_key_twice_from_one_user_is_the_same_command_and_product() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    app.post_with_key("/api/v1/products", &token, "drop-1", product()).await;
    app.post_with_key("/api/v1/products", &token, "drop-1", product()).await;
    let received = app.received();
    assert_eq!(received[0].command_id, received[1].command_id);
    assert_eq!(product_id(&received[0].command), product_id(&received[1].command));
    let expected = Uuid::new_v5(&received[0].command_id, b"product").hyphenated().to_string();
    assert_eq!(product_id(&received[0].command), expected);
}

#[tokio::test]
async fn the_same_key_from_two_users_is_two_commands() {
    let app = spawn_app().await;
    app.post_with_key("/api/v1/products", &app.token("cara", Role::Creator), "drop-1", product()).await;
    app.post_with_key("/api/v1/products", &app.token("carl", Role::Creator), "drop-1", product()).await;
    let received = app.received();
    assert_ne!(received[0].command_id, received[1].command_id);
    assert_ne!(product_id(&received[0].command), product_id(&received[1].command));
}

#[tokio::test]
async fn without_a_key_every_command_is_new() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    app.post("/api/v1/products", &token, product()).await;
    app.post("/api/v1/products", &token, product()).await;
    let received = app.received();
    assert_ne!(received[0].command_id, received[1].command_id);
    assert_eq!(received[0].command_id.get_version_num(), 7);
}

#[tokio::test]
async fn the_correlation_id_is_taken_from_the_request_and_echoed() {
    let app = spawn_app().await;
    let correlation = Uuid::now_v7();
    let mut request =
        json_request(Method::POST, "/api/v1/products", Some(&app.token("cara", Role::Creator)), &product().to_string());
    request.headers_mut().insert("x-correlation-id", correlation.to_string().parse().unwrap());
    let response = app.send(request).await;
    assert_eq!(response.headers["x-correlation-id"], correlation.to_string().as_str());
    assert_eq!(app.received()[0].correlation_id, correlation);
}

#[tokio::test]
async fn a_refusal_from_the_worker_is_answered_as_recorded() {
    let app = spawn_app_answering(|_| Ok(Outcome::refusal(Refusal::of(&ProductError::SoldOut { available: 1 })))).await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post("/api/v1/products/p1/reservations", &token, json!({"quantity": 2})).await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.code(), "sold_out");
}

#[tokio::test]
async fn an_answer_has_the_fields_its_openapi_schema_names() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    let response = app.post("/api/v1/products/p1/reservations", &token, json!({"quantity": 2})).await;
    let document = app.get("/api/v1/openapi.json", None).await.body;
    let reserve = &document["paths"]["/api/v1/products/{id}/reservations"]["post"]["responses"]["201"];
    let reference = reserve["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
    let schema = &document["components"]["schemas"][reference.trim_start_matches("#/components/schemas/")];
    let mut documented: Vec<&str> = schema["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|part| part["properties"].as_object().unwrap().keys().map(String::as_str))
        .collect();
    let mut answered: Vec<&str> = response.body.as_object().unwrap().keys().map(String::as_str).collect();
    documented.sort_unstable();
    answered.sort_unstable();
    assert_eq!(answered, documented, "the body the client gets is the schema it reads");
}

#[tokio::test]
async fn a_command_not_decided_in_time_is_a_503_to_retry() {
    let app = spawn_app_answering(|_| Err(BusError::Timeout(Duration::from_secs(10)))).await;
    let response = app.post("/api/v1/products", &app.token("cara", Role::Creator), product()).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.code(), "command_pending");
    assert_eq!(response.headers["retry-after"], "1");
}

#[tokio::test]
async fn an_unavailable_command_log_is_a_503_to_retry() {
    let app = spawn_app_answering(|_| Err(BusError::Unavailable("nats: connection refused".into()))).await;
    let response = app.post("/api/v1/products", &app.token("cara", Role::Creator), product()).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.code(), "unavailable");
    assert_eq!(response.headers["retry-after"], "1");
    assert!(!response.message().contains("nats"), "internal detail leaked: {}", response.message());
}

#[tokio::test]
async fn creating_a_show_answers_the_ingest_url() {
    let app = spawn_app_answering(|envelope| {
        let AppCommand::CreateShow { show_id, .. } = &envelope.command else { panic!("not a show") };
        let scheduled = ShowScheduled {
            show_id: show_id.clone(),
            title: "Friday drop".into(),
            status: "scheduled".into(),
            stream_key: "sk_abc".into(),
        };
        Ok(Outcome::answer(Answer::ShowScheduled(scheduled)))
    })
    .await;
    let token = app.token("cara", Role::Creator);
    let response = app
        .post_with_key("/api/v1/shows", &token, "show-1", json!({"title": "Friday drop", "product_ids": ["p1"]}))
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.body["ingest_url"], INGEST_URL);
    assert_eq!(response.body["stream_key"], "sk_abc");
    let command_id = app.received()[0].command_id;
    assert_eq!(response.body["show_id"], Uuid::new_v5(&command_id, b"show").hyphenated().to_string());
}

#[tokio::test]
async fn a_refused_show_gets_no_ingest_url() {
    let app = spawn_app_answering(|_| {
        Ok(Outcome::refusal(Refusal::of(&ShowError::Invalid { field: "title", reason: "must not be empty" })))
    })
    .await;
    let response = app.post("/api/v1/shows", &app.token("cara", Role::Creator), json!({"title": ""})).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.body.get("ingest_url").is_none());
}

#[tokio::test]
async fn release_and_checkout_name_the_reservation() {
    let app = spawn_app().await;
    let token = app.token("ann", Role::Viewer);
    app.send(request(Method::DELETE, "/api/v1/reservations/p1.3", Some(&token)).body(Body::empty()).unwrap()).await;
    app.post("/api/v1/reservations/p1.4/checkout", &token, json!({"card": "4242424242424242"})).await;
    let received = app.received();
    assert_eq!(received[0].command, AppCommand::Release { reservation_id: ReservationId::new("p1", 3) });
    assert_eq!(
        received[1].command,
        AppCommand::Checkout { reservation_id: ReservationId::new("p1", 4), card: "4242424242424242".into() }
    );
}

#[tokio::test]
async fn stock_and_pin_reach_their_resources() {
    let app = spawn_app().await;
    let token = app.token("cara", Role::Creator);
    app.post("/api/v1/products/p1/stock", &token, json!({"add": 5})).await;
    app.post("/api/v1/shows/s1/pin", &token, json!({"product_id": "p1"})).await;
    let received = app.received();
    assert_eq!(received[0].command, AppCommand::AddStock { product_id: "p1".into(), add: 5 });
    assert_eq!(
        received[1].command,
        AppCommand::PinProduct { show_id: "s1".into(), product_id: "p1".into(), drop: false }
    );
}
