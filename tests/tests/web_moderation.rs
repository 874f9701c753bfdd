//! The studio's standing rules and a show's details in Debian's Chromium
//! against `cartcast up`: a creator appoints a moderator and bans a word on
//! the studio page, schedules a show with tags and a language, edits and
//! reschedules it, rotates the stream key; in the control room turns on
//! followers-only chat, times a viewer out and bans him (the viewer's page
//! says so each time), unbans him from the studio page, and cancels the show.
//! Slow mode and a highlighted message reach the viewer's page; the
//! moderator deletes a message from the viewer page.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use cartcast_tests::browser::{Browser, DESKTOP, PHONE, Page};
use cartcast_tests::{Client, Deployment, Shape};

const CLEO_PASSWORD: &str = "autumn collection";
const BOB_PASSWORD: &str = "amber lipstick 42";

#[tokio::test]
async fn a_creator_sets_chat_rules_and_show_details_in_a_real_browser() {
    let deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let accounts =
        [("dana", "the admin of it all"), ("cleo", CLEO_PASSWORD), ("bob", BOB_PASSWORD), ("mia", "moderating")];
    for (user, password) in accounts {
        let answer = client.sign_up(user, password).await.unwrap();
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let login = json!({"username": "dana", "password": "the admin of it all", "role": "admin"});
    let admin = client.send_json(reqwest::Method::POST, "/api/v1/login", None, login).await.unwrap();
    let admin = admin.body["token"].as_str().unwrap().to_owned();
    let granted = client.put("/api/v1/accounts/cleo/roles", &admin, json!({"roles": ["creator"]})).await.unwrap();
    assert_eq!(granted.status, 200, "{}", granted.body);
    let creator = creator_token(&client).await;

    let browser = Browser::start().await.expect("chromedriver");
    let studio = browser.page(&client.base, DESKTOP).await.unwrap();
    studio.sign_in("cleo", CLEO_PASSWORD, "/studio", false).await.unwrap();

    // Standing rules, set before any show's room opens.
    studio.fill("#moderator", "mia").await.unwrap();
    studio.click("#moderator ~ button").await.unwrap();
    studio.until_text("[data-testid=moderators]", "mia is listed", |t| t.contains("mia")).await.unwrap();
    studio.fill("#banned-words", "knockoff\nfake bag").await.unwrap();
    studio.click("#banned-words ~ button").await.unwrap();
    studio.until_text(".panel [role=status]", "the words are saved", |t| t == "Banned words saved.").await.unwrap();
    let rules = client.get("/api/v1/channels/me/moderation", Some(&creator)).await.unwrap();
    assert_eq!(rules.body["moderators"], json!(["mia"]), "{}", rules.body);
    assert_eq!(rules.body["banned_words"], json!(["knockoff", "fake bag"]), "{}", rules.body);

    // A scheduled show with tags and a language.
    studio.fill("#show-title", "Autumn bags").await.unwrap();
    let (first, second) = (Utc::now() + chrono::Duration::days(30), Utc::now() + chrono::Duration::days(31));
    let first_start = set_time(&studio, "#show-when", first).await;
    studio.fill("#show-tags", "Leather, vegan").await.unwrap();
    select(&studio, "#show-language", "de").await;
    studio.click("button[form=new-show-form]").await.unwrap();
    let show_id = studio.until_under("/studio/shows/", "the control room opens").await.unwrap();
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap().body;
    assert_eq!((show["status"].as_str(), show["language"].as_str()), (Some("scheduled"), Some("de")), "{show}");
    assert_eq!(show["tags"], json!(["leather", "vegan"]), "{show}");
    assert_eq!(at(&show["scheduled_at"]), first_start, "{show}");

    // Edit and reschedule.
    studio
        .until(
            "the details form fills",
            "return document.querySelector('#edit-title')?.value === 'Autumn bags';",
            vec![],
        )
        .await
        .unwrap();
    studio.fill("#edit-title", "Autumn bags, part one").await.unwrap();
    let second_start = set_time(&studio, "#edit-when", second).await;
    studio.click("#details-form button[type=submit]").await.unwrap();
    studio.until_text("#details ~ [role=status]", "the details are saved", |t| t == "Saved.").await.unwrap();
    studio.until_text("main h1", "the new title heads the room", |t| t == "Autumn bags, part one").await.unwrap();
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap().body;
    assert_eq!(at(&show["scheduled_at"]), second_start, "{show}");

    // A new stream key, asked for twice.
    studio.click(".obs button[aria-pressed]").await.unwrap();
    let old_key = studio.until_text("[data-testid=stream-key]", "the key shows", |t| t.starts_with("sk_")).await;
    let old_key = old_key.unwrap();
    studio.click("#rotate-key").await.unwrap();
    studio.click(".obs .confirm .danger").await.unwrap();
    let new_key = studio
        .until_text("[data-testid=stream-key]", "a new key shows", |t| t.starts_with("sk_") && t != old_key)
        .await
        .unwrap();
    // The show's page reads the catalog, which applies the rotation a moment after it is answered.
    let mut mine = Value::Null;
    for _ in 0..50 {
        mine = client.get(&format!("/api/v1/shows/{show_id}"), Some(&creator)).await.unwrap().body;
        if mine["stream_key"].as_str() != Some(old_key.as_str()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mine["stream_key"].as_str(), Some(new_key.as_str()), "the page shows the key that works");
    studio.audit("control-room-scheduled").await.unwrap();

    // A banned word is refused on bob's page; other words go through.
    let bob = browser.page(&client.base, PHONE).await.unwrap();
    bob.sign_in("bob", BOB_PASSWORD, &format!("/shows/{show_id}"), false).await.unwrap();
    let refused = say_until_refused(&bob, "is this a knockoff?", "the banned word is refused", |_| true).await;
    assert!(refused.to_lowercase().contains("word"), "{refused}");
    say(&bob, "love the colours").await;
    studio
        .until_text("[data-testid=mod-chat]", "the studio sees bob's message", |t| t.contains("love the colours"))
        .await
        .unwrap();

    // Followers-only chat keeps bob out until it is turned off.
    studio.click("#followers-only").await.unwrap();
    let refused = say_until_refused(&bob, "hello?", "followers-only takes", |t| t.contains("follow")).await;
    println!("followers only: {refused}");
    let settings = client.get(&format!("/api/v1/shows/{show_id}/chat-settings"), None).await.unwrap();
    assert_eq!(settings.body["followers_only"], true, "{}", settings.body);
    studio.click("#followers-only").await.unwrap();
    until_settings(&client, &show_id, json!({"slow_mode_s": 0, "followers_only": false, "moderators": ["mia"]})).await;

    // An appointed moderator deletes from the viewer page: gone for everyone.
    let mia = browser.page(&client.base, DESKTOP).await.unwrap();
    mia.sign_in("mia", "moderating", &format!("/shows/{show_id}"), false).await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    say(&bob, "still here").await;
    mia.until_text(".chat-list", "mia sees bob's message", |t| t.contains("still here")).await.unwrap();
    mia.click(".chat-list li:last-child button[aria-label=\"Moderate bob's message\"]").await.unwrap();
    mia.click(".chat-list li:last-child .tools .actions button").await.unwrap();
    let gone = "return ![...document.querySelectorAll(arguments[0])].some(e => e.textContent.includes('still here'));";
    bob.until("the message vanishes for bob", gone, vec![json!(".chat-text")]).await.unwrap();
    studio.until("and from the studio", gone, vec![json!("[data-testid=mod-chat] li")]).await.unwrap();
    mia.audit("viewer-moderator").await.unwrap();

    // Slow mode from the control room: bob's page counts down far longer than the usual 1.5 s.
    select(&studio, ".moderation select", "10").await;
    until_settings(&client, &show_id, json!({"slow_mode_s": 10, "followers_only": false, "moderators": ["mia"]})).await;
    let slowed_by = Instant::now() + Duration::from_secs(30);
    let wait = loop {
        say(&bob, "slow?").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        say(&bob, "slow??").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let button = bob.text(".chat-form button").await.unwrap().unwrap_or_default();
        let seconds = button.strip_prefix("Wait ").and_then(|s| s.trim_end_matches('s').parse::<u32>().ok());
        if let Some(seconds) = seconds.filter(|s| *s >= 3) {
            break seconds;
        }
        assert!(Instant::now() < slowed_by, "slow mode never slowed bob: {button}");
        tokio::time::sleep(Duration::from_millis(1600)).await;
    };
    println!("slow mode: bob waits {wait} s");
    select(&studio, ".moderation select", "0").await;
    until_settings(&client, &show_id, json!({"slow_mode_s": 0, "followers_only": false, "moderators": ["mia"]})).await;

    // The creator's highlighted message, above bob's chat.
    studio.fill("#highlight", "Free shipping tonight").await.unwrap();
    studio.click("#highlight ~ button").await.unwrap();
    bob.until_text("[data-testid=highlight]", "bob sees the highlight", |t| t.contains("Free shipping tonight"))
        .await
        .unwrap();

    // A timeout from the control room; bob's page says so.
    studio.click("[data-testid=mod-chat] li:last-child button[aria-label='Time out bob']").await.unwrap();
    studio
        .until_text(".moderation [role=status]", "the studio confirms", |t| t.contains("bob is timed out"))
        .await
        .unwrap();
    let refused = say_until_refused(&bob, "why?", "the timeout takes", |t| t.contains("timed out")).await;
    assert!(refused.contains("10 min"), "{refused}");

    // Ban: bob's page says he is banned; the studio page lists him; Unban lets him back.
    studio.click("[data-testid=mod-chat] li:last-child button[aria-label='Ban bob']").await.unwrap();
    bob.until_text(".chat", "bob's page says he is banned", |t| t.to_lowercase().contains("banned")).await.unwrap();
    studio.goto("/studio").await.unwrap();
    studio
        .until_text("[data-testid=bans]", "the studio lists bob's ban", |t| t.contains("bob") && t.contains("banned"))
        .await
        .unwrap();
    studio.audit("studio-rules").await.unwrap();
    studio.eval("document.querySelector('#chat-rules').scrollIntoView(); return true;", vec![]).await.unwrap();
    studio.screenshot("studio-rules-panel").await.unwrap();
    studio.click("[data-testid=bans] button[aria-label='Unban bob']").await.unwrap();
    studio.until_text("[data-testid=bans]", "bob leaves the list", |t| !t.contains("bob")).await.unwrap();
    let rules = client.get("/api/v1/channels/me/moderation", Some(&creator)).await.unwrap();
    assert_eq!(rules.body["bans"], json!([]), "{}", rules.body);

    // Cancel, asked twice.
    studio.goto(&format!("/studio/shows/{show_id}")).await.unwrap();
    studio.click("#cancel-show").await.unwrap();
    studio.click("#details ~ .inline .danger").await.unwrap();
    studio.until_text("[data-testid=status]", "the room says cancelled", |t| t == "cancelled").await.unwrap();
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap().body;
    assert_eq!(show["status"], "cancelled", "{show}");

    let phone = browser.page(&client.base, PHONE).await.unwrap();
    phone.sign_in("cleo", CLEO_PASSWORD, "/studio", false).await.unwrap();
    phone.until_text("[data-testid=moderators]", "the phone lists mia", |t| t.contains("mia")).await.unwrap();
    phone.audit("studio-rules").await.unwrap();
    for page in [studio, bob, mia, phone] {
        page.close().await.unwrap();
    }
}

async fn creator_token(client: &Client) -> String {
    let login = json!({"username": "cleo", "password": CLEO_PASSWORD, "role": "creator"});
    let answer = client.send_json(reqwest::Method::POST, "/api/v1/login", None, login).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["token"].as_str().unwrap().to_owned()
}

/// Sets a `datetime-local` field (WebDriver cannot type into one portably)
/// to `when`'s minute in UTC, as its input event would; the instant the page
/// means by it, in the browser's time zone.
async fn set_time(page: &Page, css: &str, when: DateTime<Utc>) -> DateTime<Utc> {
    let value = when.format("%Y-%m-%dT%H:%M").to_string();
    let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                  e.dispatchEvent(new Event('input', {bubbles: true})); return new Date(e.value).toISOString();";
    at(&page.eval(script, vec![json!(css), json!(value)]).await.unwrap())
}

fn at(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

async fn select(page: &Page, css: &str, value: &str) {
    let field = page.client.find(fantoccini::Locator::Css(css)).await.unwrap();
    field.select_by_value(value).await.unwrap();
}

/// Sends `text` from the viewer page's chat box.
async fn say(page: &Page, text: &str) {
    page.fill("#chat-text", text).await.unwrap();
    page.click(".chat-form button").await.unwrap();
}

/// Sends `text` every 1.7 s (the gateways read new rules within seconds)
/// until the page shows a refusal that `wanted` holds; its text.
async fn say_until_refused(page: &Page, text: &str, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        say(page, text).await;
        tokio::time::sleep(Duration::from_millis(1700)).await;
        let refusal = page.text(".chat-refusal").await.unwrap();
        if let Some(refusal) = refusal.filter(|r| wanted(&r.to_lowercase())) {
            return refusal;
        }
        assert!(Instant::now() < deadline, "{what}: never refused");
    }
}

async fn until_settings(client: &Client, show_id: &str, want: Value) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let settings = client.get(&format!("/api/v1/shows/{show_id}/chat-settings"), None).await.unwrap();
        if settings.body == want {
            return;
        }
        assert!(Instant::now() < deadline, "chat settings stay {}", settings.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
