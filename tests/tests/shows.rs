//! Shows over HTTP in both shapes: a creator schedules a show and gets the
//! ingest URL and stream key, viewers never see the key, a pin shows up on the
//! show, and regenerating the key revokes the old one: a publisher with it is
//! refused, one with the new key goes live.

use std::time::{Duration, Instant};

use serde_json::json;

use cartcast_domain::Role;
use cartcast_tests::media::Publisher;
use cartcast_tests::{Deployment, Shape};

async fn a_show_is_scheduled_pinned_and_its_key_rotated(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("creator-1", 10).await.expect("product");
    let creator = client.token("creator-1", Role::Creator);
    let viewer = client.token("ann", Role::Viewer);

    let created = client
        .post("/api/v1/shows", &creator, Some("show-1"), json!({"title": "Friday drop", "product_ids": [product_id]}))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let first_key = created.body["stream_key"].as_str().unwrap().to_owned();
    assert!(created.body["ingest_url"].as_str().unwrap().starts_with("rtmp://"));
    assert!(first_key.len() >= 24);

    let pinned = client
        .post(&format!("/api/v1/shows/{show_id}/pin"), &creator, None, json!({"product_id": product_id}))
        .await
        .unwrap();
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    let after = pinned.body["position"].as_u64().unwrap();

    let seen_by_creator = client.get(&format!("/api/v1/shows/{show_id}?after={after}"), Some(&creator)).await.unwrap();
    assert_eq!(seen_by_creator.status, 200, "{}", seen_by_creator.body);
    assert_eq!(seen_by_creator.body["status"], "scheduled");
    assert_eq!(seen_by_creator.body["pinned_product_id"], product_id.as_str());
    assert_eq!(seen_by_creator.body["stream_key"], first_key.as_str());
    assert_eq!(seen_by_creator.body["manifest_url"], format!("/hls/{show_id}/master.m3u8"));
    let seen_by_viewer = client.get(&format!("/api/v1/shows/{show_id}"), Some(&viewer)).await.unwrap();
    assert_eq!(seen_by_viewer.status, 200, "{}", seen_by_viewer.body);
    assert!(seen_by_viewer.body.get("stream_key").is_none_or(|k| k.is_null()), "{}", seen_by_viewer.body);

    let someone_else = client.token("creator-2", Role::Creator);
    let refused = client
        .post(&format!("/api/v1/shows/{show_id}/pin"), &someone_else, None, json!({"product_id": product_id}))
        .await
        .unwrap();
    assert_eq!((refused.status, refused.code()), (403, Some("not_creator")));

    let rotated = client.post("/api/v1/channels/me/stream-key", &creator, None, json!({})).await.unwrap();
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_key = rotated.body["stream_key"].as_str().unwrap();
    assert_ne!(new_key, first_key, "the old key is revoked");
    let after = rotated.body["position"].as_u64().unwrap();
    let show = client.get(&format!("/api/v1/shows/{show_id}?after={after}"), Some(&creator)).await.unwrap();
    assert_eq!(show.status, 200, "{}", show.body);
    assert_eq!(show.body["stream_key"], new_key);

    // OBS still set up with the old key is turned away; the new key goes live.
    if shape == Shape::Distributed {
        deployment.add_media().await.expect("media role");
    }
    let rtmp = deployment.rtmp_url.clone().expect("an RTMP listener");
    let revoked = Publisher::start(&rtmp, &first_key, "320x180").unwrap();
    let (code, stderr) = revoked.exited_within(Duration::from_secs(15)).await.expect("the old key still publishes");
    assert_ne!(code, 0, "the old key was let in: {stderr}");
    let publisher = Publisher::start(&rtmp, new_key, "320x180").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
        assert_eq!(show.status, 200, "{}", show.body);
        if show.body["status"] == "live" {
            break;
        }
        assert!(Instant::now() < deadline, "the new key never took the show live: {}", show.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_a_show_is_scheduled_pinned_and_its_key_rotated() {
    a_show_is_scheduled_pinned_and_its_key_rotated(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_a_show_is_scheduled_pinned_and_its_key_rotated() {
    a_show_is_scheduled_pinned_and_its_key_rotated(Shape::Distributed).await;
}
