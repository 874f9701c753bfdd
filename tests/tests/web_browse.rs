//! Discovery in Debian's Chromium against `cartcast up`: browse lists the
//! live show first, search finds it, a viewer follows the channel and her
//! bell rings when it goes live again; the ended show replays with its chat
//! and its pinned product at their moments.

use std::time::Duration;

use serde_json::json;

use cartcast_domain::Role;
use cartcast_tests::browser::{Browser, DESKTOP, PHONE};
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Deployment, Shape};

const ANN_PASSWORD: &str = "glow serum at dawn";
/// How long a show may take to go live or end.
const SHOW_CHANGES_WITHIN: Duration = Duration::from_secs(40);

#[tokio::test]
async fn browse_search_follow_notify_and_replay_in_a_real_browser() {
    let env = [("CARTCAST_MEDIA_END_GRACE", "1s")];
    let deployment = Deployment::start(Shape::Embedded, &env).await.expect("start");
    let client = deployment.client();
    let rtmp = deployment.rtmp_url.clone().unwrap();
    let cleo = client.token("cleo", Role::Creator);
    let profile = json!({"handle": "cleo_shop", "display_name": "Cleo's Shop", "description": "Colour, live."});
    assert_eq!(client.put("/api/v1/channels/me", &cleo, profile).await.unwrap().status, 200);
    assert_eq!(client.sign_up("ann", ANN_PASSWORD).await.unwrap().status, 201);

    // One show live, one scheduled (the key publishes the channel's soonest show).
    let product = client.create_product("cleo", 5).await.unwrap();
    let now = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let sunset = json!({"title": "Sunset glow live", "product_ids": [product], "scheduled_at": now});
    let (sunset, sunset_key) = create_show(&client, &cleo, sunset).await;
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let (winter, _) = create_show(&client, &cleo, json!({"title": "Winter looks", "scheduled_at": later})).await;
    let publisher = Publisher::start(&rtmp, &sunset_key, "640x360").unwrap();
    client.until_show_status(&sunset, "live", SHOW_CHANGES_WITHIN).await.unwrap();

    let browser = Browser::start().await.expect("chromedriver");
    let ann = browser.page(&client.base, PHONE).await.unwrap();
    ann.sign_in("ann", ANN_PASSWORD, "/", false).await.unwrap();
    let first_live = ann.until_text("section[aria-labelledby=live-now] .tile a", "a live show is listed", |_| true);
    first_live.await.unwrap();
    let live_first = "return document.querySelector('section[aria-labelledby=live-now] .tile a').dataset.show;";
    assert_eq!(ann.eval(live_first, vec![]).await.unwrap(), json!(sunset));
    let upcoming = "return document.querySelector('section[aria-labelledby=upcoming] .tile a')?.dataset.show;";
    assert_eq!(ann.eval(upcoming, vec![]).await.unwrap(), json!(winter));
    ann.audit("browse-live").await.unwrap();

    // Search, through the form.
    ann.fill("#q", "sunse").await.unwrap();
    ann.click("form.search button").await.unwrap();
    ann.until_text("section[aria-labelledby=found-shows] .tile-title", "search finds the show", |t| {
        t == "Sunset glow live"
    })
    .await
    .unwrap();
    ann.audit("search").await.unwrap();

    // During the show: ann chats, cleo pins the product.
    ann.goto(&format!("/shows/{sunset}")).await.unwrap();
    ann.until("ann's video plays", "return document.querySelector('video')?.currentTime > 0;", vec![]).await.unwrap();
    ann.fill("#chat-text", "that shade!").await.unwrap();
    ann.click(".chat-form button").await.unwrap();
    ann.until_text(".chat-list", "ann's message is in the chat", |t| t.contains("that shade!")).await.unwrap();
    let pin = format!("/api/v1/shows/{sunset}/pin");
    assert_eq!(client.post(&pin, &cleo, None, json!({"product_id": product})).await.unwrap().status, 200);
    ann.until_text(".product h2", "the pinned card shows", |t| t == "Glow serum").await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Ann follows the channel; the show ends.
    ann.goto("/channels/cleo_shop").await.unwrap();
    ann.click(".channel-head button").await.unwrap();
    ann.until_text("[data-testid=followers]", "ann is counted", |t| t == "1").await.unwrap();
    ann.audit("channel").await.unwrap();
    publisher.stop().await.unwrap();
    client.until_show_status(&sunset, "ended", SHOW_CHANGES_WITHIN).await.unwrap();

    // The channel goes live again (its next show, with the same key): ann's bell rings.
    let again = Publisher::start(&rtmp, &sunset_key, "320x180").unwrap();
    client.until_show_status(&winter, "live", SHOW_CHANGES_WITHIN).await.unwrap();
    ann.until_text("[data-testid=unread]", "ann's bell counts the notification", |t| t == "1").await.unwrap();
    ann.click(".bell > button").await.unwrap();
    let said =
        ann.until_text(".bell-panel li[data-kind=show_live]", "the bell says who is live", |t| t.contains("is live"));
    assert!(said.await.unwrap().contains("Winter looks"));

    // The past show replays, with ann's message and the pinned product at their moments.
    let desktop = browser.page(&client.base, DESKTOP).await.unwrap();
    desktop.goto(&format!("/shows/{sunset}")).await.unwrap();
    desktop
        .until("the replay plays", "return document.querySelector('video')?.currentTime > 0;", vec![])
        .await
        .unwrap();
    desktop.until_text("[data-testid=chat-replay]", "the chat replays", |t| t.contains("that shade!")).await.unwrap();
    desktop.until_text(".product h2", "the pinned product returns", |t| t == "Glow serum").await.unwrap();
    desktop.audit("replay").await.unwrap();
    ann.goto(&format!("/shows/{sunset}")).await.unwrap();
    ann.until("the phone's replay plays", "return document.querySelector('video')?.currentTime > 0;", vec![])
        .await
        .unwrap();
    ann.audit("replay").await.unwrap();

    // The other size of each page, for a look and an audit.
    for (path, name, ready) in [
        ("/", "browse-live", "section[aria-labelledby=live-now] .tile"),
        ("/search?q=sunset", "search", "section[aria-labelledby=found-shows] .tile"),
        ("/channels/cleo_shop", "channel", "[data-testid=followers]"),
    ] {
        desktop.goto(path).await.unwrap();
        desktop.until_text(ready, "the page draws", |_| true).await.unwrap();
        desktop.audit(name).await.unwrap();
    }
    ann.close().await.unwrap();
    desktop.close().await.unwrap();

    // Both shows over: the channel's replays come a page at a time, latest first.
    again.stop().await.unwrap();
    client.until_show_status(&winter, "ended", SHOW_CHANGES_WITHIN).await.unwrap();
    let first = client.get("/api/v1/channels/cleo_shop/videos?limit=1", None).await.unwrap().body;
    assert_eq!((first["items"].as_array().unwrap().len(), first["items"][0]["show_id"].as_str()), (1, Some(&*winter)));
    let cursor = first["next_cursor"].as_str().unwrap_or_else(|| panic!("a next page: {first}"));
    let second = client.get(&format!("/api/v1/channels/cleo_shop/videos?limit=1&cursor={cursor}"), None).await.unwrap();
    let second = second.body;
    assert_eq!(
        (second["items"].as_array().unwrap().len(), second["items"][0]["show_id"].as_str()),
        (1, Some(&*sunset))
    );
    assert!(second["next_cursor"].is_null(), "the last page: {second}");
    assert_eq!(second["clips"], json!([]), "clips come with the first page only");
    // One replay by its show's id, however far back it is.
    let one = client.get(&format!("/api/v1/shows/{sunset}/video"), None).await.unwrap().body;
    assert_eq!((one["show_id"].as_str(), one["pins"][0]["product_id"].as_str()), (Some(&*sunset), Some(&*product)));
    let none = client.get("/api/v1/shows/no-such-show/video", None).await.unwrap();
    assert_eq!((none.status, none.code()), (404, Some("video_not_found")));
    let bad = client.get("/api/v1/channels/cleo_shop/videos?cursor=abc", None).await.unwrap();
    assert_eq!((bad.status, bad.code()), (400, Some("invalid_cursor")));
    let bad = client.get("/api/v1/channels/cleo_shop/videos?limit=0", None).await.unwrap();
    assert_eq!((bad.status, bad.code()), (422, Some("invalid_input")));
}

async fn create_show(client: &Client, token: &str, body: serde_json::Value) -> (String, String) {
    let created = client.post("/api/v1/shows", token, None, body).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["show_id"].as_str().unwrap().to_owned();
    let after = created.body["position"].as_u64().unwrap();
    client.get(&format!("/api/v1/shows/{id}?after={after}"), None).await.unwrap();
    (id, created.body["stream_key"].as_str().unwrap().to_owned())
}
