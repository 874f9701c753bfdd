//! Following channels and their notifications, against the real binary in
//! both shapes: a follow counts once however often it is repeated; a
//! follower is notified when the channel schedules a show and when it goes
//! live (RTMP publish), reads the notifications a page at a time and marks
//! them read; someone who does not follow hears nothing; in a
//! followers-only chat only followers post; bad input is refused with its code.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::live::{chat, chat_outcome, join, until_said};
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Deployment, Shape};

/// `user`'s notifications (waiting until they are up to `after`), checked to be a 200.
async fn notifications(client: &Client, user: &str, query: &str) -> Value {
    let answer = client
        .get(&format!("/api/v1/me/notifications?{query}"), Some(&client.token(user, Role::Viewer)))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn kinds(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

async fn followers_are_counted_once_and_notified(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let cara = client.token("cara", Role::Creator);
    let ann = client.token("ann", Role::Viewer);
    let bob = client.token("bob", Role::Viewer);
    let profile = json!({"handle": "caras_closet", "display_name": "Cara"});
    let profile = client.put("/api/v1/channels/me", &cara, profile).await.unwrap();
    assert_eq!(profile.status, 200, "{}", profile.body);

    // Counted once, however often repeated; an unfollow undoes one.
    let follow = &format!("/api/v1/channels/Caras_Closet/follow?after={}", profile.body["position"]);
    let put = |token: &str| {
        let (client, token, follow) = (client.clone(), token.to_owned(), follow.clone());
        async move { client.put(&follow, &token, json!({})).await }
    };
    let first = put(&ann).await.unwrap();
    assert_eq!(
        (first.status, first.body["following"].as_bool(), first.body["followers"].as_u64()),
        (200, Some(true), Some(1)),
        "{}",
        first.body
    );
    assert_eq!(put(&ann).await.unwrap().body["followers"], 1, "a repeat is not counted");
    assert_eq!(put(&bob).await.unwrap().body["followers"], 2);
    let gone = client.delete(follow, &bob, None).await.unwrap();
    assert_eq!(
        (gone.body["following"].as_bool(), gone.body["followers"].as_u64()),
        (Some(false), Some(1)),
        "{}",
        gone.body
    );
    assert_eq!(client.delete(follow, &bob, None).await.unwrap().body["followers"], 1, "a repeat is not counted");

    // Bad follows: one's own channel, a channel that does not exist, an anonymous session.
    let own = put(&cara).await.unwrap();
    assert_eq!((own.status, own.code()), (422, Some("cannot_follow_self")), "{}", own.body);
    let missing = client.put("/api/v1/channels/nobody_here/follow", &ann, json!({})).await.unwrap();
    assert_eq!((missing.status, missing.code()), (404, Some("channel_not_found")));
    let session = client.send(reqwest::Method::POST, "/api/v1/sessions", None, None, None).await.unwrap();
    let anonymous = session.body["token"].as_str().unwrap().to_owned();
    assert_eq!(put(&anonymous).await.unwrap().status, 403, "an anonymous session only watches");

    // Three shows scheduled: three notifications for the follower, none for bob.
    let mut last = 0;
    let mut stream_key = String::new();
    let mut shows = Vec::new();
    for n in 1..=3 {
        let created = client.post("/api/v1/shows", &cara, None, json!({"title": format!("Drop {n}")})).await.unwrap();
        assert_eq!(created.status, 201, "{}", created.body);
        last = created.body["position"].as_u64().unwrap();
        stream_key = created.body["stream_key"].as_str().unwrap().to_owned();
        shows.push(created.body["show_id"].as_str().unwrap().to_owned());
    }
    let page = notifications(&client, "ann", &format!("after={last}&limit=2")).await;
    assert_eq!((kinds(&page), page["unread"].as_u64()), (vec!["show_scheduled"; 2], Some(3)), "{page}");
    assert_eq!(page["items"][0]["show_title"], "Drop 3", "newest first: {page}");
    assert_eq!(page["items"][0]["channel"], "caras_closet");
    let cursor = page["next_cursor"].as_str().expect("a second page").to_owned();
    let older = notifications(&client, "ann", &format!("cursor={cursor}&limit=2")).await;
    assert_eq!(older["items"].as_array().unwrap().len(), 1, "{older}");
    assert!(older["next_cursor"].is_null());
    assert!(notifications(&client, "bob", &format!("after={last}")).await["items"].as_array().unwrap().is_empty());

    // Read up to the newest: nothing unread.
    let newest = page["items"][0]["id"].as_u64().unwrap();
    let read = client.post("/api/v1/me/notifications/read", &ann, None, json!({"up_to": newest})).await.unwrap();
    assert_eq!(read.status, 200, "{}", read.body);
    let after_read = notifications(&client, "ann", &format!("after={}", read.body["position"])).await;
    assert_eq!(after_read["unread"], 0, "{after_read}");
    assert!(after_read["items"].as_array().unwrap().iter().all(|n| n["read"] == true));

    // A show goes live (the key publishes to one of the three): the follower is told.
    if shape == Shape::Distributed {
        deployment.add_media().await.expect("media role");
    }
    let rtmp = deployment.rtmp_url.clone().expect("an RTMP listener");
    let publisher = Publisher::start(&rtmp, &stream_key, "320x180").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let live = loop {
        let page = notifications(&client, "ann", "limit=1").await;
        if kinds(&page) == ["show_live"] {
            break page;
        }
        assert!(Instant::now() < deadline, "no live notification: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(shows.iter().any(|id| live["items"][0]["show_id"] == id.as_str()), "{live}");
    assert_eq!(live["unread"], 1, "{live}");
    publisher.stop().await.unwrap();

    // Followers-only chat: bob (not following) is refused until he follows.
    let live_show = live["items"][0]["show_id"].as_str().unwrap().to_owned();
    let settings = json!({"followers_only": true, "slow_mode_s": 0});
    let only = client.put(&format!("/api/v1/shows/{live_show}/chat-settings"), &cara, settings).await.unwrap();
    assert_eq!(only.status, 200, "{}", only.body);
    let (mut ann_socket, _) = join(&client.base, &live_show, &ann).await;
    let (mut bob_socket, _) = join(&client.base, &live_show, &bob).await;
    // Rooms read the rules again every few seconds.
    let kept_out_by = Instant::now() + Duration::from_secs(30);
    loop {
        // Until the room has read the new rule, bob's message goes through.
        let outcome = chat_outcome(&mut bob_socket, "let me in").await;
        if outcome == Err("followers_only".to_owned()) {
            break;
        }
        assert!(Instant::now() < kept_out_by, "bob was never kept out: {outcome:?}");
        tokio::time::sleep(Duration::from_millis(1600)).await;
    }
    chat(&mut ann_socket, "hello followers").await;
    until_said(&mut bob_socket, "hello followers").await;
    let followed = client.put("/api/v1/channels/caras_closet/follow", &bob, json!({})).await.unwrap();
    assert_eq!(followed.body["following"], true, "{}", followed.body);
    // The follow reaches the room's reading of followers a moment later.
    let let_in_by = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(1600)).await;
        let outcome = chat_outcome(&mut bob_socket, "now I follow").await;
        if outcome.is_ok() {
            break;
        }
        assert!(Instant::now() < let_in_by, "bob was never let in: {outcome:?}");
    }
    until_said(&mut ann_socket, "now I follow").await;

    // Bad pages.
    let bad = client.get("/api/v1/me/notifications?cursor=abc", Some(&ann)).await.unwrap();
    assert_eq!((bad.status, bad.code()), (400, Some("invalid_cursor")));
    let bad = client.get("/api/v1/me/notifications?limit=0", Some(&ann)).await.unwrap();
    assert_eq!((bad.status, bad.code()), (422, Some("invalid_input")));
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn embedded_followers_are_counted_once_and_notified() {
    followers_are_counted_once_and_notified(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_followers_are_counted_once_and_notified() {
    followers_are_counted_once_and_notified(Shape::Distributed).await;
}
