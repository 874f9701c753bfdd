//! Channels and what browsing finds shows by, against the real binary in
//! both shapes: a creator claims a handle (unique in any case, released when
//! they move to another), the channel page lists its live, upcoming and past
//! shows; a show carries its category, tags and language, is edited,
//! rescheduled, given products before it starts and cancelled; bad input is
//! refused with its code and changes nothing; moderation paths take a handle.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::{Answer, Client, Deployment, Shape};

/// The answer's feed position, for a read that must see it.
fn position(answer: &Answer) -> u64 {
    answer.body["position"].as_u64().unwrap_or_else(|| panic!("no position in {}", answer.body))
}

async fn channel(client: &Client, key: &str, after: u64) -> Answer {
    client.get(&format!("/api/v1/channels/{key}?after={after}"), None).await.unwrap()
}

fn ids(shows: &Value) -> Vec<&str> {
    shows.as_array().unwrap().iter().map(|show| show["show_id"].as_str().unwrap()).collect()
}

async fn a_handle_is_unique_and_a_channel_page_lists_its_shows(shape: Shape) {
    let deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let cara = client.token("cara", Role::Creator);
    let dan = client.token("dan", Role::Creator);

    let profile = json!({"handle": "Caras_Closet", "display_name": " Cara's Closet ", "description": "Vintage",
                         "links": [{"label": "Shop", "url": "https://cara.example"}]});
    let set = client.put("/api/v1/channels/me", &cara, profile).await.unwrap();
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        (set.body["handle"].as_str(), set.body["display_name"].as_str()),
        (Some("caras_closet"), Some("Cara's Closet"))
    );

    // Another creator cannot take it in any case; bad handles and fields are refused.
    let taken = client
        .put("/api/v1/channels/me", &dan, json!({"handle": "CARAS_CLOSET", "display_name": "Dan"}))
        .await
        .unwrap();
    assert_eq!((taken.status, taken.code()), (409, Some("handle_taken")), "{}", taken.body);
    for handle in ["ab", "has space", "dash-ed", "a_handle_of_twenty_six_chr"] {
        let refused =
            client.put("/api/v1/channels/me", &dan, json!({"handle": handle, "display_name": "Dan"})).await.unwrap();
        assert_eq!((refused.status, refused.code()), (422, Some("invalid_handle")), "{handle}: {}", refused.body);
    }
    let bad_avatar = json!({"handle": "dans_deals", "display_name": "Dan", "avatar_url": "javascript:alert(1)"});
    let refused = client.put("/api/v1/channels/me", &dan, bad_avatar).await.unwrap();
    assert_eq!((refused.status, refused.code()), (422, Some("invalid_input")), "{}", refused.body);
    let viewer = client.token("ann", Role::Viewer);
    let refused =
        client.put("/api/v1/channels/me", &viewer, json!({"handle": "anns", "display_name": "Ann"})).await.unwrap();
    assert_eq!(refused.status, 403, "only creators have channels");

    // Shows with what browsing needs; bad listings are refused and write nothing.
    let product = client.create_product("cara", 5).await.unwrap();
    let soon = Utc::now() + Duration::hours(2);
    let listed = json!({"title": "Denim drop", "scheduled_at": soon, "category": "fashion",
                        "tags": ["Vintage", "denim"], "language": "en"});
    let created = client.post("/api/v1/shows", &cara, None, listed.clone()).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let bad = [
        (json!({"category": "weapons"}), "category"),
        (json!({"tags": ["a", "b", "c", "d", "e", "f"]}), "tags"),
        (json!({"scheduled_at": Utc::now() - Duration::minutes(1)}), "scheduled_at"),
        (json!({"scheduled_at": Utc::now() + Duration::days(400)}), "scheduled_at"),
        (json!({"language": "klingon-language"}), "language"),
    ];
    for (change, field) in &bad {
        let mut body = listed.clone();
        body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        let refused = client.post("/api/v1/shows", &cara, None, body).await.unwrap();
        assert_eq!((refused.status, refused.code()), (422, Some("invalid_input")), "{field}: {}", refused.body);
        assert!(refused.body["error"]["message"].as_str().unwrap().contains(field), "{}", refused.body);
    }

    // Products before it starts, listed with their live stock.
    let shows_products = format!("/api/v1/shows/{show_id}/products");
    let attached = client.post(&shows_products, &cara, None, json!({"product_ids": [product]})).await.unwrap();
    assert_eq!(attached.status, 200, "{}", attached.body);
    let listed_products = client.get(&format!("{shows_products}?after={}", position(&attached)), None).await.unwrap();
    assert_eq!(listed_products.body["items"][0]["product_id"], product.as_str(), "{}", listed_products.body);
    assert_eq!(listed_products.body["items"][0]["stock"]["available"], 5);
    let refused = client.post(&shows_products, &dan, None, json!({"product_ids": [product]})).await.unwrap();
    assert_eq!(refused.code(), Some("not_creator"));

    // Edited and rescheduled in one go; a second show is cancelled.
    let later = Utc::now() + Duration::days(3);
    let show_path = format!("/api/v1/shows/{show_id}");
    let edit = json!({"title": "Denim drop II", "tags": ["denim"], "scheduled_at": later});
    let edited = client.patch(&show_path, &cara, edit.clone()).await.unwrap();
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(client.patch(&show_path, &dan, edit).await.unwrap().code(), Some("not_creator"));
    let past = client.patch(&show_path, &cara, json!({"scheduled_at": Utc::now() - Duration::hours(1)})).await.unwrap();
    assert_eq!(past.code(), Some("invalid_input"), "{}", past.body);
    let show = client.get(&format!("{show_path}?after={}", position(&edited)), None).await.unwrap().body;
    assert_eq!(
        (show["title"].as_str(), show["category"].as_str(), show["language"].as_str()),
        (Some("Denim drop II"), Some("fashion"), Some("en"))
    );
    assert_eq!(show["tags"], json!(["denim"]));
    assert_eq!(show["channel"], "caras_closet");
    let moved = chrono::DateTime::parse_from_rfc3339(show["scheduled_at"].as_str().unwrap()).unwrap();
    assert!((moved.timestamp() - later.timestamp()).abs() <= 1, "{show}");

    let other = client.post("/api/v1/shows", &cara, None, json!({"title": "Maybe"})).await.unwrap();
    let other_id = other.body["show_id"].as_str().unwrap().to_owned();
    let cancel = format!("/api/v1/shows/{other_id}/cancel");
    let cancelled = client.post(&cancel, &cara, None, json!({})).await.unwrap();
    assert_eq!((cancelled.status, cancelled.body["status"].as_str()), (200, Some("cancelled")), "{}", cancelled.body);
    let renamed = client.patch(&format!("/api/v1/shows/{other_id}"), &cara, json!({"title": "Back on"})).await.unwrap();
    assert_eq!((renamed.status, renamed.code()), (409, Some("wrong_show_status")));

    // The page, by handle in any case or by user id: one upcoming show, none cancelled.
    let page = channel(&client, "CARAS_closet", position(&cancelled)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["display_name"], "Cara's Closet");
    assert_eq!(page.body["followers"], 0);
    assert_eq!(page.body["links"], json!([{"label": "Shop", "url": "https://cara.example"}]));
    assert!(page.body["live_show"].is_null());
    assert_eq!(ids(&page.body["upcoming"]), [show_id.as_str()]);
    assert_eq!(channel(&client, "cara", 0).await.body["handle"], "caras_closet");
    assert_eq!(channel(&client, "nobody_here", 0).await.code(), Some("channel_not_found"));

    // Moving to a new handle lets the old one go, to whoever claims it next.
    let moved = client
        .put("/api/v1/channels/me", &cara, json!({"handle": "cara_vintage", "display_name": "Cara"}))
        .await
        .unwrap();
    assert_eq!(moved.status, 200, "{}", moved.body);
    let claimed = client
        .put("/api/v1/channels/me", &dan, json!({"handle": "caras_closet", "display_name": "Dan"}))
        .await
        .unwrap();
    assert_eq!(claimed.status, 200, "{}", claimed.body);
    assert_eq!(channel(&client, "caras_closet", position(&claimed)).await.body["channel_id"], "dan");
    assert_eq!(channel(&client, "cara_vintage", 0).await.body["channel_id"], "cara");

    // `{channel}` in a moderation path may be the handle.
    let banned =
        client.post("/api/v1/channels/Cara_Vintage/bans", &cara, None, json!({"user": "troll"})).await.unwrap();
    assert_eq!((banned.status, banned.body["channel_id"].as_str()), (201, Some("cara")), "{}", banned.body);

    let categories = client.get("/api/v1/categories", None).await.unwrap();
    assert!(categories.body["items"].as_array().unwrap().iter().any(|c| c["id"] == "fashion"), "{}", categories.body);
}

#[tokio::test]
async fn embedded_a_handle_is_unique_and_a_channel_page_lists_its_shows() {
    a_handle_is_unique_and_a_channel_page_lists_its_shows(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_a_handle_is_unique_and_a_channel_page_lists_its_shows() {
    a_handle_is_unique_and_a_channel_page_lists_its_shows(Shape::Distributed).await;
}
