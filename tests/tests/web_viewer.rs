//! The viewer page in Debian's Chromium against `cartcast up`, with the
//! ffmpeg CLI publishing the show: the video plays close to live, chat and
//! reactions and votes cross between two viewers' browsers (markup stays
//! text), a pinned product appears and is bought — declined, then paid — its
//! stock falling on the other page, and a hold that runs out says so; the
//! buy flow works from the keyboard alone; a viewer clips the last 30 s;
//! the quality menu picks a rendition and "Go live" catches a paused viewer up.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use cartcast_domain::Role;
use cartcast_tests::browser::{Browser, DESKTOP, PHONE, Page};
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Deployment, Shape};

const CREATOR: &str = "studio-ann";
/// Long enough to pay after a declined card, short enough to watch a hold run out.
const HOLD: &str = "12s";
const XSS: &str = "<img src=x onerror=alert(1)>";

#[tokio::test]
async fn a_viewer_watches_chats_reacts_votes_and_buys_in_a_real_browser() {
    let deployment = Deployment::start(Shape::Embedded, &[("CARTCAST_HOLD_FOR", HOLD)]).await.expect("start");
    let client = deployment.client();
    let creator = client.token(CREATOR, Role::Creator);
    let product = client.create_product(CREATOR, 3).await.unwrap();
    let created = client
        .post("/api/v1/shows", &creator, None, json!({"title": "Glow serum drop", "product_ids": [product]}))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let key = created.body["stream_key"].as_str().unwrap().to_owned();
    let _publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "640x360").unwrap();
    client.until_show_status(&show_id, "live", Duration::from_secs(30)).await.unwrap();

    let browser = Browser::start().await.expect("chromedriver");
    let show_path = format!("/shows/{show_id}?debug");
    // Ann signs up on her phone; Bob, who has an account, signs in on a desktop.
    let ann = browser.page(&client.base, PHONE).await.unwrap();
    ann.sign_in("ann", "glow serum at dawn", &show_path, true).await.unwrap();
    let bob_account = client.sign_up("bob", "amber lipstick 42").await.unwrap();
    assert_eq!(bob_account.status, 201, "{}", bob_account.body);
    let bob = browser.page(&client.base, DESKTOP).await.unwrap();
    bob.sign_in("bob", "amber lipstick 42", &show_path, false).await.unwrap();

    plays_close_to_live(&ann).await;
    quality_and_the_live_edge(&bob).await;
    chat_crosses_as_text(&ann, &bob).await;
    reactions_and_votes_cross(&client, &creator, &show_id, &ann, &bob).await;
    buys_the_pinned_product(&client, &creator, &show_id, &product, &ann, &bob).await;
    a_hold_runs_out(&bob).await;
    buys_from_the_keyboard_alone(&bob, &show_path).await;
    clips_the_last_30_seconds(&ann, &client, &show_id).await;

    for page in [&ann, &bob] {
        page.audit("viewer").await.unwrap();
    }
    // Alone in the browser, so the first frame is the page's time, not two other players' decoding.
    ann.close().await.unwrap();
    bob.close().await.unwrap();
    anonymous_viewers_watch_and_are_asked_to_sign_in(&browser, &client, &show_path).await;
}

/// `video.currentTime` advances for 10 s, and hls.js measures < 3 s latency.
async fn plays_close_to_live(page: &Page) {
    page.until("the video starts", "return document.querySelector('video')?.currentTime > 0;", vec![]).await.unwrap();
    let time = || async { page.eval("return document.querySelector('video').currentTime;", vec![]).await.unwrap() };
    let from = time().await.as_f64().unwrap();
    tokio::time::sleep(Duration::from_secs(11)).await;
    let to = time().await.as_f64().unwrap();
    assert!(to - from >= 10.0, "the video advanced {:.1} s in 11 s", to - from);
    let overlay = page.until_text("[data-testid=latency]", "hls.js measures latency", |t| t.contains(" s")).await;
    let latency: f64 = overlay.unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    println!("hls.js live latency {latency:.2} s");
    assert!(latency < 3.0, "latency {latency} s");
}

/// The quality menu lists the renditions and picks one (the overlay names
/// it); a viewer who fell behind is offered "Go live", which jumps back to
/// the live edge.
async fn quality_and_the_live_edge(page: &Page) {
    let levels = "return document.querySelectorAll('.quality option').length > 1;";
    page.until("the quality menu lists the renditions", levels, vec![]).await.unwrap();
    let quality = page.client.find(fantoccini::Locator::Css(".quality select")).await.unwrap();
    quality.select_by_value("0").await.unwrap();
    let chosen = page.eval("return document.querySelector('.quality option[value=\"0\"]').textContent;", vec![]);
    let chosen = chosen.await.unwrap().as_str().unwrap().to_owned();
    page.until_text("[data-testid=latency]", "the overlay names the rendition", |t| t.ends_with(&chosen))
        .await
        .unwrap();
    quality.select_by_value("-1").await.unwrap();
    page.until_text("[data-testid=latency]", "back to automatic", |t| t.ends_with("auto")).await.unwrap();

    page.eval("document.querySelector('video').pause(); return true;", vec![]).await.unwrap();
    page.until_text(".live-edge", "a viewer behind is offered the live edge", |t| t == "Go live").await.unwrap();
    page.click(".live-edge").await.unwrap();
    page.until_text(".live-edge", "back at the live edge", |t| t == "Live").await.unwrap();
    let close = "return parseFloat(document.querySelector('[data-testid=latency]').textContent.split(' ')[1]) < 3;";
    page.until("under 3 s behind live again", close, vec![]).await.unwrap();
}

/// A message from one page shows on the other, as text; markup runs nothing.
async fn chat_crosses_as_text(ann: &Page, bob: &Page) {
    bob.eval(WATCH_CHAT, vec![json!("hello from ann")]).await.unwrap();
    let sent_at = send_chat(ann, "hello from ann").await;
    bob.until("bob sees ann's message", "return window.seenAt > 0;", vec![]).await.unwrap();
    let seen_at = bob.eval("return window.seenAt;", vec![]).await.unwrap().as_f64().unwrap();
    println!("chat round trip between two pages {:.0} ms", seen_at - sent_at);

    tokio::time::sleep(Duration::from_millis(1600)).await; // the default rate limit: 1 message / 1.5 s
    send_chat(ann, XSS).await;
    bob.until_text(".chat-list li:last-child .chat-text", "the markup arrives as text", |t| t == XSS).await.unwrap();
    let images = bob.eval("return document.querySelectorAll('.chat-list img').length;", vec![]).await.unwrap();
    assert_eq!(images, json!(0), "the message became an element");
    assert!(bob.client.get_alert_text().await.is_err(), "an alert opened");

    // Too fast: the form counts down.
    send_chat(ann, "again").await;
    ann.until_text(".chat-form button", "the rate limit counts down", |t| t.starts_with("Wait")).await.unwrap();
}

/// Installs an observer on the chat list that notes when `arguments[0]` shows up.
const WATCH_CHAT: &str = "window.seenAt = 0; const want = arguments[0];
    new MutationObserver((_, observer) => {
      if ([...document.querySelectorAll('.chat-text')].some(e => e.textContent === want)) {
        window.seenAt = Date.now(); observer.disconnect();
      }
    }).observe(document.querySelector('.chat-list'), { childList: true, subtree: true });
    return true;";

/// Types `text` and sends it; when it was sent (ms since the epoch).
async fn send_chat(page: &Page, text: &str) -> f64 {
    page.fill("#chat-text", text).await.unwrap();
    let sent =
        page.eval("document.querySelector('.chat-form button').click(); return Date.now();", vec![]).await.unwrap();
    sent.as_f64().unwrap()
}

async fn reactions_and_votes_cross(client: &Client, creator: &str, show_id: &str, ann: &Page, bob: &Page) {
    ann.click(".reaction").await.unwrap();
    bob.until_text(".reaction .count", "bob sees ann's reaction counted", |t| t == "1").await.unwrap();

    let poll = json!({"question": "Which shade next?", "options": ["Rose", "Amber"]});
    let opened = client.post(&format!("/api/v1/shows/{show_id}/polls"), creator, None, poll).await.unwrap();
    assert_eq!(opened.status, 201, "{}", opened.body);
    bob.until_text(".poll h2", "bob sees the poll", |t| t.contains("Which shade next?")).await.unwrap();
    bob.click(".poll li:nth-child(2) .option").await.unwrap();
    ann.until_text(".poll [data-option='1']", "ann sees bob's vote", |t| t == "1").await.unwrap();
}

/// The creator pins; the card shows within a second; a declined card keeps
/// the hold, a good one confirms, and the other page's stock falls.
async fn buys_the_pinned_product(client: &Client, creator: &str, show_id: &str, product: &str, ann: &Page, bob: &Page) {
    let pinned_at = Instant::now();
    let pin = format!("/api/v1/shows/{show_id}/pin");
    assert_eq!(client.post(&pin, creator, None, json!({"product_id": product})).await.unwrap().status, 200);
    ann.until_text(".product .stock", "the pinned card shows", |t| t == "3 left").await.unwrap();
    let shown = pinned_at.elapsed();
    assert!(shown < Duration::from_secs(1), "the pinned card took {shown:?}");

    ann.click(".product .buy").await.unwrap();
    ann.fill("#card", "4000000000000002").await.unwrap();
    ann.click(".checkout .pay").await.unwrap();
    ann.until_text(".declined", "the page says the card was declined", |t| t.contains("declined")).await.unwrap();
    assert!(ann.text(".hold").await.unwrap().is_some(), "the hold was dropped after a decline");

    ann.fill("#card", "4242 4242 4242 4242").await.unwrap();
    ann.click(".checkout .pay").await.unwrap();
    let confirmed = ann.until_text(".outcome.confirmed", "the order is confirmed", |t| t.contains("Order confirmed"));
    confirmed.await.unwrap();
    let order = ann.text(".outcome.confirmed .order-id").await.unwrap().unwrap();
    bob.until_text(".product .stock", "bob sees the stock fall", |t| t == "2 left").await.unwrap();
    // The order the page names is ann's, confirmed (once the read model has it).
    let path = format!("/api/v1/orders/{}", order.rsplit(' ').next().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let read = client.get(&path, Some(&client.token("ann", Role::Viewer))).await.unwrap();
        if read.status == 200 {
            assert_eq!(read.body["status"], Value::from("confirmed"), "{}", read.body);
            break;
        }
        assert!(read.status == 404 && Instant::now() < deadline, "{path}: {} {}", read.status, read.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_hold_runs_out(bob: &Page) {
    bob.click(".product .buy").await.unwrap();
    bob.until_text(".hold", "bob holds one", |t| t.contains("Held")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(12)).await;
    bob.until_text(".outcome.expired", "the page says the hold ran out", |t| t.contains("expired")).await.unwrap();
}

/// "Clip the last 30 s": the media worker cuts an MP4, the page offers it.
async fn clips_the_last_30_seconds(page: &Page, client: &Client, show_id: &str) {
    // The stream must hold 30 s (and a segment more) before there is a clip to cut.
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
    let live_at: chrono::DateTime<chrono::Utc> = show.body["live_at"].as_str().unwrap().parse().unwrap();
    let age = (chrono::Utc::now() - live_at).to_std().unwrap_or_default();
    tokio::time::sleep(Duration::from_secs(33).saturating_sub(age)).await;
    page.until_text(".clip button", "the clip button offers a clip", |t| t == "Clip the last 30 s").await.unwrap();
    page.click(".clip button").await.unwrap();
    page.until_text("[data-testid=clip-link]", "the clip is ready", |t| t.contains("ready")).await.unwrap();
    let href = page.eval("return document.querySelector('[data-testid=clip-link]').getAttribute('href');", vec![]);
    let href = href.await.unwrap();
    let clip = reqwest::get(format!("{}{}", client.base, href.as_str().unwrap())).await.unwrap();
    assert_eq!(clip.status(), 200);
    let bytes = clip.bytes().await.unwrap();
    assert_eq!(&bytes[4..8], b"ftyp", "an MP4");
}

/// Tab to Buy, Enter; the card field has the focus; type, Enter: confirmed.
async fn buys_from_the_keyboard_alone(bob: &Page, show_path: &str) {
    const TAB: &str = "\u{e004}";
    const ENTER: &str = "\u{e007}";
    bob.goto(show_path).await.unwrap();
    bob.until_text(".product .buy", "the Buy button is back", |t| t == "Buy").await.unwrap();
    let on_buy = "return document.activeElement === document.querySelector('.product .buy');";
    let mut presses = 0;
    while bob.eval(on_buy, vec![]).await.unwrap() != json!(true) {
        presses += 1;
        assert!(presses <= 40, "Tab never reached the Buy button");
        bob.client.active_element().await.unwrap().send_keys(TAB).await.unwrap();
    }
    bob.client.active_element().await.unwrap().send_keys(ENTER).await.unwrap();
    bob.until("the card field has the focus", "return document.activeElement?.id === 'card';", vec![]).await.unwrap();
    let card = bob.client.active_element().await.unwrap();
    card.send_keys(&format!("4242424242424242{ENTER}")).await.unwrap();
    bob.until_text(".outcome.confirmed", "the keyboard order is confirmed", |t| t.contains("Order confirmed"))
        .await
        .unwrap();
    println!("keyboard buy: {presses} Tab presses to Buy");
}

async fn anonymous_viewers_watch_and_are_asked_to_sign_in(browser: &Browser, client: &Client, show_path: &str) {
    let carol = browser.page(&client.base, PHONE).await.unwrap();
    carol.goto(show_path).await.unwrap();
    carol
        .until("carol's video starts", "return document.querySelector('video')?.currentTime > 0;", vec![])
        .await
        .unwrap();
    let first_frame = "return performance.getEntriesByName('first-frame')[0]?.startTime ?? null;";
    let first_frame = carol.eval(first_frame, vec![]).await.unwrap();
    println!("first frame {:.0} ms after navigation (cold, the only page open)", first_frame.as_f64().unwrap());
    carol.until_text(".chat-signin", "carol is asked to sign in to chat", |t| t.contains("Sign in")).await.unwrap();
    carol.until_text(".product .buy", "and to buy", |t| t.contains("Sign in")).await.unwrap();
    carol.screenshot("viewer-anonymous").await.unwrap();
    carol.close().await.unwrap();
}
