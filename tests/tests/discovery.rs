//! A newcomer's path through discovery, against the real binary in both
//! shapes: a creator sets up a channel and schedules a show with two
//! products; a follower's socket is told it was scheduled, then reminded;
//! the show goes live over RTMP, leads the live directory once it has the
//! most watchers, and is found by a prefix of its title and of a product's;
//! the follower hears it went live and that a drop was pinned; the creator
//! raids another live channel (both rooms are told); the show ends and is a
//! replay with each pin's second in the VOD.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::live::{Socket, join, next_within, open_inbox};
use cartcast_tests::media::{Publisher, Watcher};
use cartcast_tests::{Answer, Client, Deployment, Shape};

/// The next `notification` frame on `socket`, within 30 s.
async fn notified(socket: &mut Socket) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match next_within(socket, left).await {
            Some(Ok(frame)) if frame["type"] == "notification" => return frame,
            Some(Ok(_)) => {}
            Some(Err(code)) => panic!("the notification socket closed with {code:?}"),
            None => panic!("no notification within 30 s"),
        }
    }
}

/// The next frame of type `kind` on a show's socket.
async fn frame_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        match next_within(socket, Duration::from_secs(15)).await {
            Some(Ok(frame)) if frame["type"] == kind => return frame,
            Some(Ok(_)) => {}
            other => panic!("no {kind} frame: {other:?}"),
        }
    }
}

/// Polls `path` until `done` holds of its body, for up to 30 s.
async fn until(client: &Client, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = client.get(path, None).await.unwrap();
        if answer.status == 200 && done(&answer.body) {
            return answer.body;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {}", answer.body);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn product(client: &Client, token: &str, title: &str) -> String {
    let body = json!({"sku": title, "title": title, "price_minor": 4900, "currency": "EUR", "stock": 10});
    let created: Answer = client.post("/api/v1/products", token, None, body).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["product_id"].as_str().unwrap().to_owned()
}

async fn a_newcomer_finds_follows_and_replays_a_show(shape: Shape) {
    let env = [("CARTCAST_REMINDER_LEAD", "1h"), ("CARTCAST_MEDIA_END_GRACE", "1s")];
    let mut deployment = Deployment::start(shape, &env).await.expect("start");
    if shape == Shape::Distributed {
        deployment.add_media().await.expect("media role");
    }
    let client = deployment.client();
    let rtmp = deployment.rtmp_url.clone().expect("an RTMP listener");
    let cara = client.token("cara", Role::Creator);
    let ann = client.token("ann", Role::Viewer);

    // A channel, a follower with a socket open, a show with two products.
    let profile = client
        .put("/api/v1/channels/me", &cara, json!({"handle": "caras_closet", "display_name": "Cara"}))
        .await
        .unwrap();
    assert_eq!(profile.status, 200, "{}", profile.body);
    let follow = format!("/api/v1/channels/caras_closet/follow?after={}", profile.body["position"]);
    assert_eq!(client.put(&follow, &ann, json!({})).await.unwrap().body["following"], true);
    let mut inbox = open_inbox(&client.base, &ann).await.expect("the notification socket opens");
    let jacket = product(&client, &cara, "Indigo denim jacket").await;
    let boots = product(&client, &cara, "Suede boots").await;
    let soon = Utc::now() + chrono::Duration::minutes(10);
    let show = json!({"title": "Friday Indigo Drop", "scheduled_at": soon, "category": "fashion", "product_ids": [jacket, boots]});
    let created = client.post("/api/v1/shows", &cara, None, show).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let stream_key = created.body["stream_key"].as_str().unwrap().to_owned();

    // Scheduled, then (its start is within the reminder lead) reminded.
    let scheduled = notified(&mut inbox).await;
    assert_eq!(
        (scheduled["kind"].as_str(), scheduled["show_id"].as_str()),
        (Some("show_scheduled"), Some(show_id.as_str())),
        "{scheduled}"
    );
    let reminded = notified(&mut inbox).await;
    assert_eq!(
        (reminded["kind"].as_str(), reminded["channel"].as_str()),
        (Some("show_reminder"), Some("caras_closet")),
        "{reminded}"
    );

    // Another channel is live first; ours goes live and, with a watcher, leads.
    let dan = client.token("dan", Role::Creator);
    let other = client.post("/api/v1/shows", &dan, None, json!({"title": "Other show"})).await.unwrap();
    let other_id = other.body["show_id"].as_str().unwrap().to_owned();
    let others = Publisher::start(&rtmp, other.body["stream_key"].as_str().unwrap(), "320x180").unwrap();
    let ours = Publisher::start(&rtmp, &stream_key, "320x180").unwrap();
    let live = notified(&mut inbox).await;
    assert_eq!(
        (live["kind"].as_str(), live["show_id"].as_str()),
        (Some("show_live"), Some(show_id.as_str())),
        "{live}"
    );
    let _watcher = Watcher::join(&client.base, &show_id, &client.token("bob", Role::Viewer)).await.unwrap();
    let directory = until(&client, "/api/v1/shows?status=live&sort=viewers", |body| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.len() == 2 && items[0]["viewers"]["watching"].as_u64() >= Some(1))
    })
    .await;
    assert_eq!(directory["items"][0]["show_id"], show_id.as_str(), "the most watched leads: {directory}");

    // Found by a prefix of its title and of a product's.
    let found = client.get("/api/v1/search?q=frid", None).await.unwrap().body;
    assert_eq!(found["shows"][0]["show_id"], show_id.as_str(), "{found}");
    let found = client.get("/api/v1/search?q=indig%20den", None).await.unwrap().body;
    assert_eq!(found["products"][0]["product_id"], jacket.as_str(), "{found}");

    // A drop pinned while live reaches the follower.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pinned = client
        .post(&format!("/api/v1/shows/{show_id}/pin"), &cara, None, json!({"product_id": jacket, "drop": true}))
        .await
        .unwrap();
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    let drop = notified(&mut inbox).await;
    assert_eq!(
        (drop["kind"].as_str(), drop["product_id"].as_str()),
        (Some("drop_pinned"), Some(jacket.as_str())),
        "{drop}"
    );

    // A raid: only to a live channel; both rooms are told.
    let raid = format!("/api/v1/shows/{show_id}/raid");
    let (mut in_ours, _) = join(&client.base, &show_id, &ann).await;
    let (mut in_theirs, _) = join(&client.base, &other_id, &client.token("eve", Role::Viewer)).await;
    let fay = client.token("fay", Role::Creator);
    let quiet =
        client.put("/api/v1/channels/me", &fay, json!({"handle": "fays_finds", "display_name": "Fay"})).await.unwrap();
    let not_live = client
        .post(&format!("{raid}?after={}", quiet.body["position"]), &cara, None, json!({"target": "fays_finds"}))
        .await
        .unwrap();
    assert_eq!((not_live.status, not_live.code()), (409, Some("target_not_live")), "{}", not_live.body);
    let not_theirs = client.post(&raid, &dan, None, json!({"target": "dan"})).await.unwrap();
    assert_eq!(not_theirs.code(), Some("not_creator"));
    let raided = client.post(&raid, &cara, None, json!({"target": "dan"})).await.unwrap();
    assert_eq!(raided.status, 200, "{}", raided.body);
    let told = frame_of(&mut in_ours, "raid").await;
    assert_eq!((told["show_id"].as_str(), told["channel"].as_str()), (Some(other_id.as_str()), Some("dan")), "{told}");
    let arrived = frame_of(&mut in_theirs, "raided").await;
    assert_eq!(arrived["from"], "caras_closet", "{arrived}");
    assert!(arrived["viewers"].as_u64().unwrap() >= 1, "{arrived}");

    // The show ends: a replay with its pin's second in the VOD.
    tokio::time::sleep(Duration::from_secs(1)).await;
    ours.stop().await.unwrap();
    others.stop().await.unwrap();
    let videos =
        until(&client, "/api/v1/channels/caras_closet/videos", |body| !body["items"].as_array().unwrap().is_empty())
            .await;
    let video = &videos["items"][0];
    assert_eq!(
        (video["show_id"].as_str(), video["vod_url"].as_str()),
        (Some(show_id.as_str()), Some(format!("/hls/{show_id}/master.m3u8").as_str()))
    );
    let offset = video["pins"][0]["offset_s"].as_f64().unwrap();
    let duration = video["duration_s"].as_f64().unwrap();
    assert!(offset >= 1.0 && offset <= duration, "pinned {offset} s into a {duration} s show: {video}");
    assert_eq!(
        (video["pins"][0]["product_id"].as_str(), video["pins"][0]["drop"].as_bool()),
        (Some(jacket.as_str()), Some(true))
    );
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_a_newcomer_finds_follows_and_replays_a_show() {
    a_newcomer_finds_follows_and_replays_a_show(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_a_newcomer_finds_follows_and_replays_a_show() {
    a_newcomer_finds_follows_and_replays_a_show(Shape::Distributed).await;
}
