//! The creator dashboard of a scripted show, in both shapes: viewers watch,
//! chat and react; two buyers pay (one after a declined card), a hold runs
//! out, a product sells out; the show ends. The dashboard — over HTTP, for
//! the creator alone, and pushed to the creator's socket — equals figures
//! computed here by hand from the show's events, stays as the summary after
//! the show, and equals a fresh rebuild of the projection.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use cartcast_domain::Role;
use cartcast_infra::store::StoredEvent;
use cartcast_tests::live::{Socket, heartbeat, join, next_within, text, until_frame};
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Deployment, Shape};

const CREATOR: &str = "creator-1";
const PRICE: i64 = 1999;

#[tokio::test]
async fn embedded_the_dashboard_adds_up_a_scripted_show() {
    the_dashboard_adds_up_a_scripted_show(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_the_dashboard_adds_up_a_scripted_show() {
    the_dashboard_adds_up_a_scripted_show(Shape::Distributed).await;
}

async fn the_dashboard_adds_up_a_scripted_show(shape: Shape) {
    let env = [("CARTCAST_HOLD_FOR", "3s"), ("CARTCAST_MEDIA_END_GRACE", "1s")];
    let mut deployment = Deployment::start(shape, &env).await.expect("start");
    if shape == Shape::Distributed {
        deployment.add_media().await.expect("media role");
    }
    let client = deployment.client();
    let creator = client.token(CREATOR, Role::Creator);
    let (show_id, show_key, products, scheduled_at) = show_with_products(&client, &creator, [2, 5]).await;
    // Read-your-writes: the dashboard projection has the show from here on.
    let dashboard_path = format!("/api/v1/shows/{show_id}/dashboard?after={scheduled_at}");

    // The creator alone reads it.
    for (who, status) in [(client.token("creator-2", Role::Creator), 403), (client.token("ann", Role::Viewer), 403)] {
        assert_eq!(client.get(&dashboard_path, Some(&who)).await.unwrap().status, status, "{shape:?}");
    }
    assert_eq!(client.get(&dashboard_path, None).await.unwrap().status, 401);
    let unknown = client.get("/api/v1/shows/no-such-show/dashboard", Some(&creator)).await.unwrap();
    assert_eq!(unknown.code(), Some("show_not_found"));

    // The creator's socket and two viewers' sockets; the show goes live.
    let (mut studio, _) = join(&client.base, &show_id, &creator).await;
    let (mut ann, _) = join(&client.base, &show_id, &client.token("ann", Role::Viewer)).await;
    let (mut bob, _) = join(&client.base, &show_id, &client.token("bob", Role::Viewer)).await;
    for socket in [&mut ann, &mut bob] {
        heartbeat(socket, "playing").await;
    }
    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &show_key, "320x180").unwrap();
    until_dashboard(&client, &dashboard_path, &creator, "the show goes live", |d| d["status"] == "live").await;

    // Chat and reactions.
    text(&mut ann, json!({"type": "chat", "text": "love the colour"}).to_string()).await;
    text(&mut bob, json!({"type": "chat", "text": "do you ship to Lyon?"}).to_string()).await;
    for emoji in ["❤", "❤", "🔥", "🛒", "❤"] {
        text(&mut ann, json!({"type": "react", "emoji": emoji}).to_string()).await;
    }

    // Ann buys one of the first product; Bob's card is declined, then he
    // pays with another and the product is sold out; Carol's hold of the
    // second runs out.
    let [first, second] = &products;
    let ann_token = client.token("ann", Role::Viewer);
    let bob_token = client.token("bob", Role::Viewer);
    let carol_token = client.token("carol", Role::Viewer);
    let ann_hold = hold(&client, first, &ann_token).await;
    assert_eq!(checkout(&client, &ann_hold, &ann_token, "4242424242424242").await, 201);
    let bob_hold = hold(&client, first, &bob_token).await;
    assert_eq!(checkout(&client, &bob_hold, &bob_token, "4000000000000002").await, 402);
    assert_eq!(checkout(&client, &bob_hold, &bob_token, "4242424242424242").await, 201);
    hold(&client, second, &carol_token).await;

    // Pushed to the creator's socket while live.
    let pushed = until_frame(&mut studio, "dashboard", |d| d["orders"] == 2).await;
    assert_eq!(pushed["show_id"], show_id.as_str(), "{shape:?}: {pushed}");
    assert_eq!(pushed["revenue_minor"], 2 * PRICE);

    // Every figure is in once a sample is taken, the hold ran out, the
    // gateway recorded its chat and reactions, and the show ended.
    until_dashboard(&client, &dashboard_path, &creator, "an audience sample and the expiry", |d| {
        d["viewers"]["unique"].as_u64() >= Some(3) && d["expiries"] == 1 && d["chat"] == 2 && d["reactions"] == 5
    })
    .await;
    publisher.stop().await.unwrap();
    let summary =
        until_dashboard(&client, &dashboard_path, &creator, "the show ends", |d| d["status"] == "ended").await;

    // What a creator reads, in plain figures.
    assert_eq!((summary["orders"].as_u64(), summary["revenue_minor"].as_i64()), (Some(2), Some(2 * PRICE)));
    assert_eq!((summary["buyers"].as_u64(), summary["currency"].as_str()), (Some(2), Some("EUR")));
    let counts = ["reservations", "expiries", "declines", "chat", "reactions"].map(|f| summary[f].as_u64().unwrap());
    assert_eq!(counts, [3, 1, 1, 2, 5], "{shape:?}: {summary}");
    assert_eq!(summary["viewers"]["watching"], 0, "nobody watches an ended show");
    let sold: Vec<(Value, Value)> =
        summary["products"].as_array().unwrap().iter().map(|p| (p["sold"].clone(), p["available"].clone())).collect();
    assert_eq!(sold, [(json!(2), json!(0)), (json!(0), json!(5))], "{shape:?}: {summary}");
    assert!(summary["products"][1].get("sold_out_after_s").is_none(), "the second never sold out");

    // The same figures, computed by hand from the show's events.
    let events = show_events(&deployment, &show_id, &products).await;
    assert_eq!(summary, by_hand(&show_id, &products, &events), "{shape:?}: the dashboard and the events disagree");

    // A viewer never gets the creator's dashboard.
    drain_without_dashboard(&mut ann).await;

    // The summary stays: after a restart, and equal to a fresh rebuild.
    deployment.restart().await.expect("restart");
    let again = client.get(&dashboard_path, Some(&creator)).await.unwrap();
    assert_eq!(again.body, summary, "{shape:?}: the summary changed over a restart");
    deployment.check_against_a_rebuild().await.expect("the dashboard equals its rebuild");
    deployment.stop().await.expect("clean stop");
}

/// A show of [`CREATOR`] listing one product per stock; (show, stream key,
/// products, the feed position of its scheduling).
async fn show_with_products(client: &Client, creator: &str, stocks: [u64; 2]) -> (String, String, [String; 2], u64) {
    let mut products = Vec::new();
    for stock in stocks {
        products.push(client.create_product(CREATOR, stock).await.unwrap());
    }
    let body = json!({"title": "Autumn drop", "product_ids": products});
    let created = client.post("/api/v1/shows", creator, None, body).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let key = created.body["stream_key"].as_str().unwrap().to_owned();
    let after = created.body["position"].as_u64().unwrap();
    client.get(&format!("/api/v1/shows/{show_id}?after={after}"), None).await.unwrap();
    (show_id, key, products.try_into().unwrap(), after)
}

async fn hold(client: &Client, product_id: &str, token: &str) -> String {
    let path = format!("/api/v1/products/{product_id}/reservations");
    let held = client.post(&path, token, None, json!({"quantity": 1})).await.unwrap();
    assert_eq!(held.status, 201, "{}", held.body);
    held.body["reservation_id"].as_str().unwrap().to_owned()
}

async fn checkout(client: &Client, reservation_id: &str, token: &str, card: &str) -> u16 {
    let path = format!("/api/v1/reservations/{reservation_id}/checkout");
    client.post(&path, token, None, json!({"card": card})).await.unwrap().status
}

/// Reads the dashboard until `done` holds (30 s at most); the last read.
async fn until_dashboard(client: &Client, path: &str, token: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let read = client.get(path, Some(token)).await.unwrap();
        assert_eq!(read.status, 200, "{}", read.body);
        if done(&read.body) {
            return read.body;
        }
        assert!(Instant::now() < deadline, "{what}: never seen on the dashboard: {}", read.body);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Reads what the socket was sent until it goes quiet: no `dashboard` frame among it.
async fn drain_without_dashboard(socket: &mut Socket) {
    while let Some(Ok(frame)) = next_within(socket, Duration::from_millis(500)).await {
        assert_ne!(frame["type"], "dashboard", "a viewer was sent the creator's dashboard");
    }
}

/// Every event of the show, its live stats, its products and their orders, in global order.
async fn show_events(deployment: &Deployment, show_id: &str, products: &[String]) -> Vec<StoredEvent> {
    let store = deployment.event_store().await.unwrap();
    let (mut all, mut after) = (Vec::new(), 0);
    loop {
        let page = store.read_all(after, 1000).await.unwrap();
        let Some((last, _)) = page.last() else { break };
        after = *last;
        all.extend(page.into_iter().map(|(_, event)| event));
    }
    let mut orders = Vec::new();
    all.into_iter()
        .filter(|event| match event.aggregate_type.as_str() {
            "Show" | "LiveStats" => event.aggregate_id == show_id,
            "Product" => products.contains(&event.aggregate_id),
            "Order"
                if event.event_type == "OrderPlaced" && products.iter().any(|p| event.payload["product_id"] == **p) =>
            {
                orders.push(event.aggregate_id.clone());
                true
            }
            "Order" => orders.contains(&event.aggregate_id),
            _ => false,
        })
        .collect()
}

/// The dashboard of the show as its events say, computed without the projection.
fn by_hand(show_id: &str, products: &[String; 2], events: &[StoredEvent]) -> Value {
    let minute_of = |at: DateTime<Utc>| at.timestamp() / 60 * 60;
    let time = |value: &Value| millis(value.as_str().unwrap().parse::<DateTime<Utc>>().unwrap());
    let mut minutes: BTreeMap<i64, BTreeMap<&str, i64>> = BTreeMap::new();
    let mut add = |at: DateTime<Utc>, field: &'static str, by: i64| {
        *minutes.entry(minute_of(at)).or_default().entry(field).or_default() += by;
    };
    let (mut live_at, mut ended_at, mut sample) = (None, None, json!(null));
    let mut watching_by_minute: BTreeMap<i64, i64> = BTreeMap::new();
    let (mut amounts, mut buyers) = (BTreeMap::new(), BTreeMap::new());
    for event in events {
        let at = event.metadata.occurred_at;
        let payload = &event.payload;
        match event.event_type.as_str() {
            "ShowWentLive" => live_at = Some(time(&payload["at"])),
            "ShowEnded" => ended_at = Some(time(&payload["at"])),
            "AudienceSampled" if ended_at.is_none() => {
                let watching = watching_by_minute.entry(minute_of(at)).or_default();
                *watching = (*watching).max(payload["watching"].as_i64().unwrap());
                sample = payload.clone();
            }
            "ChatCounted" => add(at, "chat", payload["messages"].as_i64().unwrap()),
            "ReactionsCounted" => {
                add(at, "reactions", payload["counts"].as_object().unwrap().values().map(|n| n.as_i64().unwrap()).sum())
            }
            "UnitsReserved" => add(at, "reservations", 1),
            "ReservationExpired" => add(at, "expiries", 1),
            "OrderPlaced" => {
                amounts.insert(event.aggregate_id.clone(), payload["amount_minor"].as_i64().unwrap());
                buyers.insert(event.aggregate_id.clone(), payload["buyer"].as_str().unwrap().to_owned());
            }
            "OrderConfirmed" => {
                add(at, "orders", 1);
                add(at, "revenue_minor", amounts[&event.aggregate_id]);
            }
            "PaymentDeclined" => add(at, "declines", 1),
            _ => {}
        }
    }
    for (minute, watching) in watching_by_minute {
        minutes.entry(minute).or_default().insert("watching", watching);
    }
    let (live_at, ended_at) = (live_at.expect("the show went live"), ended_at.expect("the show ended"));
    let first = minutes.keys().next().copied().unwrap().min(minute_of(live_at));
    let last = minutes.keys().last().copied().unwrap().max(minute_of(ended_at));
    let fields = ["watching", "chat", "reactions", "reservations", "orders", "revenue_minor", "expiries", "declines"];
    let per_minute: Vec<Value> = (first..=last)
        .step_by(60)
        .map(|minute| {
            let counts = minutes.get(&minute).cloned().unwrap_or_default();
            let mut row = json!({"t": DateTime::from_timestamp(minute, 0).unwrap()});
            for field in fields {
                row[field] = json!(counts.get(field).copied().unwrap_or(0));
            }
            row
        })
        .collect();
    let total = |field: &str| per_minute.iter().map(|m| m[field].as_i64().unwrap()).sum::<i64>();
    let distinct_buyers = {
        let confirmed = events.iter().filter(|e| e.event_type == "OrderConfirmed").map(|e| &buyers[&e.aggregate_id]);
        confirmed.collect::<std::collections::BTreeSet<_>>().len() as u64
    };
    let unique = sample["unique"].as_u64().unwrap();
    json!({
        "show_id": show_id,
        "status": "ended",
        "live_at": live_at,
        "ended_at": ended_at,
        "viewers": {"connected": 0, "watching": 0, "peak": sample["peak"], "unique": unique},
        "per_minute": per_minute,
        "orders": total("orders"),
        "revenue_minor": total("revenue_minor"),
        "currency": "EUR",
        "buyers": distinct_buyers,
        "conversion": distinct_buyers as f64 / unique as f64,
        "reservations": total("reservations"),
        "expiries": total("expiries"),
        "declines": total("declines"),
        "chat": total("chat"),
        "reactions": total("reactions"),
        "products": sales_by_hand(products, events, live_at),
    })
}

/// Each product's sales as its events say: units sold, units on sale, and
/// seconds from the show going live to its last unit sold.
fn sales_by_hand(products: &[String; 2], events: &[StoredEvent], live_at: DateTime<Utc>) -> Vec<Value> {
    let sales_of = |product: &String| {
        let (mut sold, mut available, mut sold_out_at) = (0, 0, None);
        for event in events.iter().filter(|e| e.aggregate_type == "Product" && e.aggregate_id == *product) {
            let stock = &event.payload["stock"];
            available = stock["available"].as_u64().unwrap();
            if event.event_type == "UnitsSold" {
                sold += event.payload["quantity"].as_u64().unwrap();
            }
            if stock["total"].as_u64() > Some(0) && stock["sold"] == stock["total"] {
                sold_out_at.get_or_insert(millis(event.metadata.occurred_at));
            }
        }
        let mut sales = json!({"product_id": product, "sold": sold, "available": available});
        if let Some(at) = sold_out_at {
            sales["sold_out_after_s"] = json!((at - live_at).num_seconds());
        }
        sales
    };
    products.iter().map(sales_of).collect()
}

/// `at` as the read side keeps times: to the millisecond.
fn millis(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap()
}
