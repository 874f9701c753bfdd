//! Long lists a page at a time in Debian's Chromium against `cartcast up`: a
//! channel ann follows schedules 21 shows; the browse page lists the first
//! 12 coming up and "More upcoming shows" the rest, in start order, each
//! once; ann's bell lists 20 notifications and "Older" the 21st.

use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::browser::{Browser, DESKTOP};
use cartcast_tests::{Answer, Deployment, Shape};

const SHOWS: usize = 21;
const ANN_PASSWORD: &str = "pages and pages";

#[tokio::test]
async fn long_lists_load_more_in_a_real_browser() {
    let deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let cleo = client.token("cleo", Role::Creator);
    let profile = json!({"handle": "cleo_shop", "display_name": "Cleo's Shop"});
    let set = client.put("/api/v1/channels/me", &cleo, profile).await.unwrap();
    let ann = client.sign_up("ann", ANN_PASSWORD).await.unwrap();
    assert_eq!(ann.status, 201, "{}", ann.body);
    let follow = format!("/api/v1/channels/cleo_shop/follow?after={}", set.body["position"]);
    let followed = client.put(&follow, ann.body["token"].as_str().unwrap(), json!({})).await.unwrap();
    assert_eq!(followed.status, 200, "{}", followed.body);

    let mut shows = Vec::new();
    let mut last = Value::Null;
    for day in 1..=SHOWS {
        let at = (chrono::Utc::now() + chrono::Duration::days(day as i64)).to_rfc3339();
        let body = json!({"title": format!("Drop {day}"), "scheduled_at": at});
        last = client.post("/api/v1/shows", &cleo, None, body).await.unwrap().body;
        shows.push(last["show_id"].as_str().unwrap_or_else(|| panic!("{last}")).to_owned());
    }
    // Every show is listed and every notice written before the page reads them.
    let after = last["position"].as_u64().unwrap();
    let told = client.get(&format!("/api/v1/me/notifications?after={after}&limit=100"), Some(&token(&ann))).await;
    assert_eq!(told.unwrap().body["items"].as_array().map(Vec::len), Some(SHOWS));

    let browser = Browser::start().await.expect("chromedriver");
    let page = browser.page(&client.base, DESKTOP).await.unwrap();
    page.sign_in("ann", ANN_PASSWORD, "/", false).await.unwrap();
    let upcoming = "section[aria-labelledby=upcoming]";
    let listed = |n: usize| format!("return document.querySelectorAll('{upcoming} .tile a').length === {n};");
    page.until("the first page of upcoming shows", &listed(12), vec![]).await.unwrap();
    page.click(&format!("{upcoming} button.more")).await.unwrap();
    page.until("all upcoming shows", &listed(SHOWS), vec![]).await.unwrap();
    let order = page
        .eval(&format!("return [...document.querySelectorAll('{upcoming} .tile a')].map(a => a.dataset.show);"), vec![])
        .await
        .unwrap();
    assert_eq!(order, json!(shows), "soonest first, each once");
    let more_left = format!("return document.querySelector('{upcoming} button.more') !== null;");
    assert_eq!(page.eval(&more_left, vec![]).await.unwrap(), json!(false), "no More on the last page");

    page.click(".bell > button").await.unwrap();
    let in_bell = |n: usize| format!("return document.querySelectorAll('.bell-panel li').length === {n};");
    page.until("the bell's first page", &in_bell(20), vec![]).await.unwrap();
    page.click(".bell-panel button.more").await.unwrap();
    page.until("the bell's older notification", &in_bell(SHOWS), vec![]).await.unwrap();
    let oldest = page.text(".bell-panel li:last-child").await.unwrap().unwrap();
    assert!(oldest.contains("Drop 1"), "the oldest is the first show scheduled: {oldest}");
    page.audit("bell").await.unwrap();
    page.close().await.unwrap();
}

fn token(answer: &Answer) -> String {
    answer.body["token"].as_str().unwrap().to_owned()
}
