//! Finding shows against the real binary in both shapes: the directory
//! filtered by category, tag and language and sorted, paged with cursors
//! that stay stable while shows are added; search by prefixes of show
//! titles, channel handles and names, and product titles, with the
//! database's own full-text search; bad queries refused with their codes.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::{Client, Deployment, Shape};

/// Schedules a show as `creator`; its id and the answer's position.
async fn schedule(client: &Client, creator: &str, body: Value) -> (String, u64) {
    let created = client.post("/api/v1/shows", &client.token(creator, Role::Creator), None, body).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    (created.body["show_id"].as_str().unwrap().to_owned(), created.body["position"].as_u64().unwrap())
}

fn titles(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {items}"))
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect()
}

fn hours(n: i64) -> DateTime<Utc> {
    Utc::now() + Duration::hours(n)
}

async fn shows_are_browsed_and_searched(shape: Shape) {
    let deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let cara = client.token("cara", Role::Creator);
    let profile = json!({"handle": "caras_closet", "display_name": "Cara Vintage Closet"});
    assert_eq!(client.put("/api/v1/channels/me", &cara, profile).await.unwrap().status, 200);
    let jacket = client
        .post(
            "/api/v1/products",
            &cara,
            None,
            json!({"sku": "J-1", "title": "Vintage denim jacket", "price_minor": 9900, "currency": "EUR", "stock": 3}),
        )
        .await
        .unwrap();
    assert_eq!(jacket.status, 201, "{}", jacket.body);
    let denim = json!({"title": "Denim drop", "scheduled_at": hours(3), "category": "fashion", "tags": ["vintage"], "language": "en"});
    let sneakers = json!({"title": "Sneaker Sunday", "scheduled_at": hours(1), "category": "sneakers", "tags": ["retro"], "language": "de"});
    let (_, _) = schedule(&client, "cara", denim).await;
    let (_, _) = schedule(&client, "dan", sneakers).await;
    let (dropped, _) = schedule(&client, "cara", json!({"title": "Denim dropped", "scheduled_at": hours(2)})).await;
    let cancelled = client.post(&format!("/api/v1/shows/{dropped}/cancel"), &cara, None, json!({})).await.unwrap();
    let after = cancelled.body["position"].as_u64().unwrap();

    let list = |query: &str| {
        let path = format!("/api/v1/shows?after={after}&{query}");
        let client = client.clone();
        async move { client.get(&path, None).await }
    };
    let soonest = list("status=scheduled").await.unwrap();
    assert_eq!(titles(&soonest.body["items"]), ["Sneaker Sunday", "Denim drop"], "soonest first, none cancelled");
    assert!(soonest.body["next_cursor"].is_null(), "one page: {}", soonest.body);
    assert_eq!(titles(&list("status=scheduled&category=fashion").await.unwrap().body["items"]), ["Denim drop"]);
    assert_eq!(titles(&list("status=scheduled&tag=Vintage").await.unwrap().body["items"]), ["Denim drop"]);
    assert_eq!(titles(&list("status=scheduled&language=de").await.unwrap().body["items"]), ["Sneaker Sunday"]);
    assert_eq!(
        titles(&list("status=scheduled&sort=recent").await.unwrap().body["items"]),
        ["Denim drop", "Sneaker Sunday"]
    );
    assert_eq!(titles(&list("status=live").await.unwrap().body["items"]), Vec::<&str>::new());
    let first = &soonest.body["items"][0];
    assert_eq!((first["channel"].as_str(), first["category"].as_str()), (None, Some("sneakers")), "{first}");

    // Search: every word a prefix, over titles, handles and names.
    let search = |q: &str| {
        let path = format!("/api/v1/search?q={q}");
        let client = client.clone();
        async move { client.get(&path, None).await }
    };
    let found = search("den").await.unwrap().body;
    assert_eq!(titles(&found["shows"]), ["Denim drop"], "a cancelled show is not found: {found}");
    assert_eq!(titles(&found["products"]), ["Vintage denim jacket"]);
    let found = search("JACK%20vin").await.unwrap().body;
    assert_eq!((titles(&found["products"]).len(), titles(&found["shows"]).len()), (1, 0), "{found}");
    let found = search("caras_clo").await.unwrap().body;
    assert_eq!(found["channels"][0]["handle"], "caras_closet", "{found}");
    assert_eq!(search("closet%20vint").await.unwrap().body["channels"][0]["channel_id"], "cara");
    assert!(search("zzz").await.unwrap().body["shows"].as_array().unwrap().is_empty());

    // Bad queries: each refused with its code.
    for (query, status, code) in [
        ("status=soon", 422, "invalid_input"),
        ("sort=loudest", 422, "invalid_input"),
        ("category=weapons", 422, "invalid_input"),
        ("limit=0", 422, "invalid_input"),
        ("limit=101", 422, "invalid_input"),
        ("cursor=not-a-cursor", 400, "invalid_cursor"),
    ] {
        let refused = client.get(&format!("/api/v1/shows?{query}"), None).await.unwrap();
        assert_eq!((refused.status, refused.code()), (status, Some(code)), "{query}: {}", refused.body);
    }
    let long = "a".repeat(201);
    for query in ["", "q=", "q=%20", &format!("q={long}"), "q=denim&limit=500"] {
        let refused = client.get(&format!("/api/v1/search?{query}"), None).await.unwrap();
        assert_eq!((refused.status, refused.code()), (422, Some("invalid_input")), "{query}: {}", refused.body);
    }
}

#[tokio::test]
async fn embedded_shows_are_browsed_and_searched() {
    shows_are_browsed_and_searched(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_shows_are_browsed_and_searched() {
    shows_are_browsed_and_searched(Shape::Distributed).await;
}

/// 250 shows paged by 100 while more are scheduled: every page continues
/// where the last ended, so no show comes twice and none that existed at the
/// start is skipped.
async fn pages_stay_stable_while_shows_are_added(shape: Shape) {
    let deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let mut existing = HashSet::new();
    let mut last = 0;
    for i in 0..250 {
        let (show_id, position) = schedule(
            &client,
            &format!("creator-{}", i % 5),
            json!({"title": format!("Show {i}"), "scheduled_at": Utc::now() + Duration::minutes(60 + i)}),
        )
        .await;
        existing.insert(show_id);
        last = position;
    }

    let adder = {
        let client = client.clone();
        tokio::spawn(async move {
            // Before, among and after the existing ones.
            for i in 0..60 {
                let at = Utc::now() + Duration::minutes(30 + i * 5);
                schedule(&client, "creator-9", json!({"title": format!("Late {i}"), "scheduled_at": at})).await;
            }
        })
    };
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = format!("/api/v1/shows?status=scheduled&sort=starts_at&limit=100&after={last}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = client.get(&path, None).await.unwrap();
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        for item in page.body["items"].as_array().unwrap() {
            let show_id = item["show_id"].as_str().unwrap().to_owned();
            assert!(seen.insert(show_id.clone()), "{show_id} came twice");
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    adder.await.unwrap();
    let skipped: Vec<_> = existing.difference(&seen).collect();
    assert!(skipped.is_empty(), "{} existing shows skipped: {skipped:?}", skipped.len());
    assert!(pages >= 3, "250 shows take three pages of 100, got {pages}");
}

#[tokio::test]
async fn embedded_pages_stay_stable_while_shows_are_added() {
    pages_stay_stable_while_shows_are_added(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_pages_stay_stable_while_shows_are_added() {
    pages_stay_stable_while_shows_are_added(Shape::Distributed).await;
}
