//! Reads from the read models, and the operational routes.

use axum::http::StatusCode;
use serde_json::json;

use cartcast_command_api::telemetry::prometheus_recorder;
use cartcast_domain::{Role, versions};
use cartcast_infra::store::{CommitBatch, EventMetadata, EventStore, StoredEvent};
use uuid::Uuid;

use crate::helpers::{INGEST_URL, TestApp, spawn_app, spawn_app_with_metrics};

async fn seed_catalog(app: &TestApp) {
    // The order's timeline: its hold on p1 (8 in the feed), then its placing (9).
    let event = |aggregate_type: &str, aggregate_id: &str, event_type: &str| StoredEvent {
        aggregate_type: aggregate_type.into(),
        aggregate_id: aggregate_id.into(),
        sequence: 1,
        event_type: event_type.into(),
        event_version: versions::current(event_type).to_string(),
        payload: json!({}),
        metadata: EventMetadata {
            event_id: Uuid::now_v7(),
            command_id: Uuid::nil(),
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            actor: "ann".into(),
            occurred_at: "2025-01-01T00:00:00Z".parse().unwrap(),
        },
    };
    let timeline = vec![event("Product", "p1", "UnitsReserved"), event("Order", "o1", "OrderPlaced")];
    app.events.commit(&CommitBatch { events: timeline, ..Default::default() }).await.unwrap();
    app.seed(
        "INSERT INTO projection_checkpoints VALUES ('catalog', 10);
         INSERT INTO rm_products VALUES ('p1', 'cara', 'HOODIE-M', 'Hoodie', 4900, 'EUR', 10, 7, 2, 1, 5);
         INSERT INTO rm_orders VALUES ('o1', 'p1.1', 'p1', 'ann', 'cara', 1, 4900, 'EUR', 'confirmed', 'cap_1',
                                       '2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z');
         INSERT INTO rm_history VALUES ('order:o1', 9, 'Order', 'o1', 1);
         INSERT INTO rm_history VALUES ('reservation:p1.1', 8, 'Product', 'p1', 1);
         INSERT INTO rm_shows (show_id, creator, title, status, scheduled_at, product_ids, pinned_product_id, \
             viewers_connected, viewers_watching, live_at, ended_at, peak_viewers, unique_viewers) \
             VALUES ('s1', 'cara', 'Friday drop', 'scheduled', NULL, '[\"p1\"]', 'p1', 3, 2, NULL, NULL, 4, 5);
         INSERT INTO rm_channels (channel_id, owner, stream_key) VALUES ('cara', 'cara', 'sk_secret');",
    )
    .await;
}

#[tokio::test]
async fn healthz_is_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, json!({"status": "ok"}));
}

#[tokio::test]
async fn healthz_is_unavailable_while_the_command_log_is_unreachable() {
    let app = spawn_app().await;
    app.set_bus_ready(false);
    let response = app.get("/healthz", None).await;
    assert_eq!((response.status, response.code()), (StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
    assert!(response.headers.contains_key("retry-after"));
    app.set_bus_ready(true);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body["openapi"].as_str().unwrap().starts_with("3."));
    assert!(response.body["paths"]["/api/v1/products/{id}/reservations"]["post"].is_object());
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    // Tests run in parallel in this process and share its global recorder;
    // this one records on its own thread (a current-thread runtime, where the
    // router runs) into its own recorder, so it reads exactly its requests.
    let recorder = prometheus_recorder();
    let app = spawn_app_with_metrics(recorder.handle()).await;
    let _own = metrics::set_default_local_recorder(&recorder);
    let missing = app.get("/api/v1/products/some-product", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let text = response.body.as_str().unwrap();
    let labels = r#"method="GET",route="/api/v1/products/{id}""#;
    assert!(text.contains(&format!("http_requests_total{{{labels},status=\"404\"}} 1\n")), "{text}");
    assert!(text.contains(&format!("http_request_duration_seconds_bucket{{{labels},le=\"10\"}} 1\n")), "{text}");
    assert!(text.contains(&format!("http_request_duration_seconds_count{{{labels}}} 1\n")), "{text}");
}

#[tokio::test]
async fn a_product_is_read_with_its_stock_without_a_token() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let response = app.get("/api/v1/products/p1", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.body,
        json!({
            "product_id": "p1", "seller": "cara", "sku": "HOODIE-M", "title": "Hoodie", "price_minor": 4900,
            "currency": "EUR", "stock": {"total": 10, "available": 7, "reserved": 2, "sold": 1}
        })
    );
}

#[tokio::test]
async fn an_unknown_product_is_a_404() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/products/nope", None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.code(), "product_not_found");
}

#[tokio::test]
async fn a_read_after_a_reached_position_answers_at_once() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let response = app.get("/api/v1/products/p1?after=10", None).await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn a_read_after_an_unreached_position_is_a_503_to_retry() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let response = app.get("/api/v1/products/p1?after=11", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.code(), "not_caught_up");
    assert_eq!(response.headers["retry-after"], "1");
}

#[tokio::test]
async fn a_malformed_after_is_a_422() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/products/p1?after=-3", None).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.code(), "invalid_input");
}

#[tokio::test]
async fn an_order_is_read_by_its_buyer_its_seller_auditors_and_admins_only() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    for (sub, role) in
        [("ann", Role::Viewer), ("cara", Role::Creator), ("audrey", Role::Auditor), ("root", Role::Admin)]
    {
        let response = app.get("/api/v1/orders/o1", Some(&app.token(sub, role))).await;
        assert_eq!(response.status, StatusCode::OK, "{sub}");
        assert_eq!(response.body["status"], "confirmed");
    }
    let response = app.get("/api/v1/orders/o1", Some(&app.token("bob", Role::Viewer))).await;
    assert_eq!((response.status, response.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let response = app.get("/api/v1/orders/o1", None).await;
    assert_eq!((response.status, response.code()), (StatusCode::UNAUTHORIZED, "missing_token"));
    let response = app.get("/api/v1/orders/o2", Some(&app.token("audrey", Role::Auditor))).await;
    assert_eq!((response.status, response.code()), (StatusCode::NOT_FOUND, "order_not_found"));
}

#[tokio::test]
async fn an_orders_history_is_for_auditors_admins_and_its_seller() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let response = app.get("/api/v1/orders/o1/history", Some(&app.token("cara", Role::Creator))).await;
    assert_eq!(response.status, StatusCode::OK);
    let types: Vec<&str> =
        response.body["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["UnitsReserved", "OrderPlaced"]);
    assert_eq!(
        app.get("/api/v1/orders/o1/history", Some(&app.token("audrey", Role::Auditor))).await.status,
        StatusCode::OK
    );
    let response = app.get("/api/v1/orders/o1/history", Some(&app.token("ann", Role::Viewer))).await;
    assert_eq!((response.status, response.code()), (StatusCode::FORBIDDEN, "forbidden"));
}

#[tokio::test]
async fn a_shows_stream_key_is_only_shown_to_its_creator() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let public = app.get("/api/v1/shows/s1", None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body["manifest_url"], "/hls/s1/master.m3u8");
    assert_eq!(public.body["viewers"], json!({"connected": 3, "watching": 2, "peak": 4, "unique": 5}));
    assert_eq!(public.body["pinned_product_id"], "p1");
    assert!(public.body.get("stream_key").is_none());
    let other = app.get("/api/v1/shows/s1", Some(&app.token("carl", Role::Creator))).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.body.get("stream_key").is_none());
    let own = app.get("/api/v1/shows/s1", Some(&app.token("cara", Role::Creator))).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["stream_key"], "sk_secret");
    assert_eq!(own.body["ingest_url"], INGEST_URL);
}

#[tokio::test]
async fn a_read_with_a_bad_token_is_refused_even_when_anonymous_reads_are_allowed() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let response = app.get("/api/v1/shows/s1", Some("garbage")).await;
    assert_eq!((response.status, response.code()), (StatusCode::UNAUTHORIZED, "invalid_token"));
}

#[tokio::test]
async fn a_token_may_come_in_the_query_string() {
    let app = spawn_app().await;
    seed_catalog(&app).await;
    let token = app.token("cara", Role::Creator);
    let response = app.get(&format!("/api/v1/shows/s1?token={token}"), None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body["stream_key"], "sk_secret");
}
