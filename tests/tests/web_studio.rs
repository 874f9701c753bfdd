//! The creator studio in Debian's Chromium against `cartcast up`: a creator
//! creates a show with a product, reads its key off the page and publishes
//! with the ffmpeg CLI, sees "live"; a viewer joins; the creator pins the
//! product (the viewer's card shows within a second; unpinned, it goes),
//! opens a poll, deletes a chat message (gone from the viewer's page), and
//! the dashboard's viewer count and sales move as the viewer buys; a raid
//! sends her on to another live channel. An auditor then reads the order's
//! history and exports the feed in the audit corner.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use cartcast_domain::Role;
use cartcast_tests::browser::{Browser, DESKTOP, PHONE};
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Deployment, Shape};

const CLEO_PASSWORD: &str = "spring collection";

#[tokio::test]
async fn a_creator_runs_a_show_from_the_studio_in_a_real_browser() {
    let deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let admin = sign_up(&client, "dana", "the admin of it all").await;
    sign_up(&client, "cleo", CLEO_PASSWORD).await;
    sign_up(&client, "ann", "glow serum at dawn").await;
    let login = json!({"username": "dana", "password": "the admin of it all", "role": "admin"});
    let admin_token = client.send_json(reqwest::Method::POST, "/api/v1/login", None, login).await.unwrap();
    let granted = client
        .put("/api/v1/accounts/cleo/roles", admin_token.body["token"].as_str().unwrap(), json!({"roles": ["creator"]}))
        .await
        .unwrap();
    assert_eq!(granted.status, 200, "{} ({admin:?})", granted.body);

    let browser = Browser::start().await.expect("chromedriver");
    let studio = browser.page(&client.base, DESKTOP).await.unwrap();
    studio.sign_in("cleo", CLEO_PASSWORD, "/studio", false).await.unwrap();
    studio.audit("studio").await.unwrap();
    let small = browser.page(&client.base, PHONE).await.unwrap();
    small.sign_in("cleo", CLEO_PASSWORD, "/studio", false).await.unwrap();
    small.until_text("#new-show", "the studio draws", |t| t == "New show").await.unwrap();
    small.audit("studio").await.unwrap();
    small.close().await.unwrap();

    // A show with one product.
    studio.fill("#show-title", "Spring colours live").await.unwrap();
    studio
        .until("the categories load", "return document.querySelectorAll('#show-category option').length > 1;", vec![])
        .await
        .unwrap();
    let category = studio.client.find(fantoccini::Locator::Css("#show-category")).await.unwrap();
    category.select_by_value("beauty").await.unwrap();
    studio.fill("#product-title", "Rose lipstick").await.unwrap();
    studio.fill("#product-price", "12.50").await.unwrap();
    studio.fill("#product-stock", "4").await.unwrap();
    studio.click(".product-draft button").await.unwrap();
    studio.until_text(".drafts", "the product is listed", |t| t.contains("Rose lipstick")).await.unwrap();
    studio.click("button[form=new-show-form]").await.unwrap();
    let show_id = studio.until_under("/studio/shows/", "the control room opens").await.unwrap();
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
    assert_eq!(show.body["category"], "beauty", "{}", show.body);

    // The key, read off the page (shown on demand), goes into the publisher.
    let hidden = studio.until_text("[data-testid=stream-key]", "the key is hidden", |t| t.starts_with('•')).await;
    hidden.unwrap();
    studio.click(".obs button[aria-pressed]").await.unwrap();
    let key = studio.until_text("[data-testid=stream-key]", "the key shows", |t| t.starts_with("sk_")).await.unwrap();
    let ingest = studio.text("[data-testid=ingest-url]").await.unwrap().unwrap();
    assert_eq!(format!("{ingest}/"), format!("{}/live/", deployment.rtmp_url.as_deref().unwrap()));
    let _publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "640x360").unwrap();
    studio.until_text("[data-testid=status]", "the studio says live", |t| t == "LIVE").await.unwrap();

    // A viewer joins; the dashboard counts her.
    let ann = browser.page(&client.base, PHONE).await.unwrap();
    ann.sign_in("ann", "glow serum at dawn", &format!("/shows/{show_id}"), false).await.unwrap();
    ann.until("ann's video plays", "return document.querySelector('video')?.currentTime > 0;", vec![]).await.unwrap();
    // Seconds into the show, the stream holds no clip yet: the button counts down instead of failing.
    ann.until_text(".clip button", "the clip button counts down", |t| t.starts_with("Clips in")).await.unwrap();
    let disabled = ann.eval("return document.querySelector('.clip button').disabled;", vec![]).await.unwrap();
    assert_eq!(disabled, json!(true), "no clip before the stream holds one");
    studio.until_text("[data-testid=dash-watching]", "the dashboard counts ann", |t| t == "1").await.unwrap();

    // Pin: the viewer's card within a second.
    let pinned_at = Instant::now();
    studio.click(".product-rows .pin").await.unwrap();
    ann.until_text(".product h2", "ann sees the pinned card", |t| t == "Rose lipstick").await.unwrap();
    let shown = pinned_at.elapsed();
    println!("pin click → viewer card {} ms", shown.as_millis());
    assert!(shown < Duration::from_secs(1), "the card took {shown:?}");

    // A poll from the studio reaches the viewer.
    studio.fill("#poll-question", "Matte or gloss?").await.unwrap();
    studio.fill("#poll-options", "Matte\nGloss").await.unwrap();
    studio.fill("#poll-minutes", "5").await.unwrap();
    studio.click("#poll-minutes ~ .check input").await.unwrap();
    studio.click("#poll-question ~ button[type=submit]").await.unwrap();
    ann.until_text(".poll h2", "ann sees the poll", |t| t.contains("Matte or gloss?")).await.unwrap();
    let terms =
        ann.until_text("[data-testid=poll-terms]", "ann sees the poll's terms", |t| t.contains("Closes at")).await;
    assert!(terms.unwrap().contains("You may change your vote."));

    // Moderation: the creator deletes ann's message; it vanishes from her page.
    ann.fill("#chat-text", "first!!!").await.unwrap();
    ann.click(".chat-form button").await.unwrap();
    studio
        .until_text("[data-testid=mod-chat]", "the studio sees the message", |t| t.contains("first!!!"))
        .await
        .unwrap();
    studio.click("[data-testid=mod-chat] li button").await.unwrap();
    ann.until(
        "the message vanishes for ann",
        "return !document.querySelector('.chat-list').textContent.includes('first!!!');",
        vec![],
    )
    .await
    .unwrap();

    // Ann buys; the dashboard's sales move.
    ann.click(".product .buy").await.unwrap();
    ann.fill("#card", "4242424242424242").await.unwrap();
    ann.click(".checkout .pay").await.unwrap();
    ann.until_text(".outcome.confirmed", "ann's order is confirmed", |t| t.contains("Order confirmed")).await.unwrap();
    studio.until_text("[data-testid=dash-orders]", "the dashboard counts the order", |t| t == "1").await.unwrap();
    let revenue = studio.text("[data-testid=dash-revenue]").await.unwrap().unwrap();
    assert!(revenue.contains("12.50"), "{revenue}");
    studio.until_text(".product-rows [data-testid=available]", "the studio's stock falls", |t| t == "3").await.unwrap();
    let order = ann.text(".outcome.confirmed .order-id").await.unwrap().unwrap();
    // Unpin: the card leaves the viewer's page.
    studio.click(".product-rows .unpin").await.unwrap();
    ann.until("the card leaves ann's page", "return document.querySelector('.product') === null;", vec![])
        .await
        .unwrap();
    studio.until_text(".product-rows .pin", "the studio offers to pin again", |t| t == "Pin").await.unwrap();
    let order_id = order.rsplit(' ').next().unwrap().to_owned();

    // A raid from the studio sends ann on to another live channel.
    let dan = client.token("dan", Role::Creator);
    let profile = json!({"handle": "dans_tools", "display_name": "Dan's tools"});
    assert_eq!(client.put("/api/v1/channels/me", &dan, profile).await.unwrap().status, 200);
    let other = client.post("/api/v1/shows", &dan, None, json!({"title": "Workbench live"})).await.unwrap();
    assert_eq!(other.status, 201, "{}", other.body);
    let other_id = other.body["show_id"].as_str().unwrap().to_owned();
    let rtmp = deployment.rtmp_url.as_deref().unwrap();
    let _other_live = Publisher::start(rtmp, other.body["stream_key"].as_str().unwrap(), "320x180").unwrap();
    client.until_show_status(&other_id, "live", Duration::from_secs(30)).await.unwrap();
    studio.fill("#raid-target", "dans_tools").await.unwrap();
    studio.click("#raid-target ~ button").await.unwrap();
    studio
        .until_text("#raid ~ [role=status]", "the studio sends the raid", |t| t.contains("on their way"))
        .await
        .unwrap();
    ann.until_text(".raid a", "ann is invited along", |t| t.contains("dans_tools")).await.unwrap();
    ann.click(".raid a").await.unwrap();
    let there = "return location.pathname === arguments[0];";
    ann.until("ann arrives at the raided show", there, vec![json!(format!("/shows/{other_id}"))]).await.unwrap();

    studio.audit("control-room").await.unwrap();
    let phone = browser.page(&client.base, PHONE).await.unwrap();
    phone.sign_in("cleo", CLEO_PASSWORD, &format!("/studio/shows/{show_id}"), false).await.unwrap();
    phone.until_text("[data-testid=status]", "the phone's control room loads", |t| t == "LIVE").await.unwrap();
    phone.audit("control-room").await.unwrap();
    the_auditor_reads_the_order_and_exports_the_feed(
        &browser,
        &client,
        admin_token.body["token"].as_str().unwrap(),
        &order_id,
    )
    .await;
    for page in [studio, ann, phone] {
        page.close().await.unwrap();
    }
}

async fn the_auditor_reads_the_order_and_exports_the_feed(
    browser: &Browser,
    client: &Client,
    admin: &str,
    order: &str,
) {
    let roles = json!({"roles": ["admin", "auditor", "analyst"]});
    assert_eq!(client.put("/api/v1/accounts/dana/roles", admin, roles).await.unwrap().status, 200);
    let dana = browser.page(&client.base, DESKTOP).await.unwrap();
    dana.sign_in("dana", "the admin of it all", &format!("/audit?order={order}"), false).await.unwrap();
    dana.click("#order-id ~ button").await.unwrap();
    let timeline = dana.until_text("[data-testid=timeline]", "the order's timeline", |t| t.contains("OrderConfirmed"));
    let timeline = timeline.await.unwrap();
    for step in ["UnitsReserved", "OrderPlaced", "PaymentCaptured", "by ann"] {
        assert!(timeline.contains(step), "the timeline lacks {step}: {timeline}");
    }
    dana.fill("#export-type", "OrderConfirmed").await.unwrap();
    dana.click("#export-limit ~ button").await.unwrap();
    dana.until_text("[data-testid=export]", "the export counts the one confirmed order", |t| t.starts_with("1 events"))
        .await
        .unwrap();
    dana.audit("audit").await.unwrap();
    dana.close().await.unwrap();
    let phone = browser.page(&client.base, PHONE).await.unwrap();
    phone.sign_in("dana", "the admin of it all", &format!("/audit?order={order}"), false).await.unwrap();
    phone.click("#order-id ~ button").await.unwrap();
    phone.until_text("[data-testid=timeline]", "the phone's timeline", |t| t.contains("OrderConfirmed")).await.unwrap();
    phone.audit("audit").await.unwrap();
    phone.goto("/admin").await.unwrap();
    phone.until_text("main h1", "the admin page draws", |t| t == "Roles").await.unwrap();
    phone.audit("admin").await.unwrap();
    phone.close().await.unwrap();
}

async fn sign_up(client: &Client, username: &str, password: &str) -> serde_json::Value {
    let answer = client.sign_up(username, password).await.unwrap();
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.body
}
