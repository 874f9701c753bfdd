//! The catalog projection fed through its runner, on a fresh SQLite read
//! model each: a redelivered event changes nothing, a late event never moves
//! a view backwards, a restarted runner resumes from its checkpoint, and a
//! show's audience counts read from its live stats and from older shows' own
//! streams; channels and shows carry what browsing finds them by.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use serde::Serialize;
use uuid::Uuid;

use cartcast_domain::channel::{Channel, ChannelEvent, Link, Profile};
use cartcast_domain::ids::ReservationId;
use cartcast_domain::live_stats::{LiveStats, LiveStatsEvent};
use cartcast_domain::money::Currency;
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent};
use cartcast_domain::show::{Listing, Show, ShowEvent};
use cartcast_infra::bus::FeedEvent;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_infra::store::{CommitBatch, EventStore, StoredEvent};
use cartcast_projections::runner::{Projection, ProjectionError, ProjectionRunner};
use cartcast_projections::{ProductView, ReadModels, StockView};
use scripted::{ScriptedFeed, at_positions, fresh_read_models, stock, stored_at};

mod scripted;

/// `event` as stored, the `sequence`-th of its aggregate, at 12:00:`sequence`.
fn stored<E: DomainEvent + Serialize>(
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: u64,
    event: E,
) -> StoredEvent {
    let at = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, sequence as u32).unwrap();
    stored_at(aggregate_type, aggregate_id, sequence, at, event)
}

/// A product of 10 units: two holds, one released, the other sold through a
/// confirmed order. Product events 1–5, order events 1–3.
fn a_sale() -> Vec<StoredEvent> {
    let (r1, r2) = (ReservationId::new("p1", 1), ReservationId::new("p1", 2));
    let expires_at = Utc.with_ymd_and_hms(2026, 11, 29, 12, 5, 0).unwrap();
    let currency = Currency::parse("EUR").unwrap();
    let product = |sequence, event| stored(Product::TYPE, "p1", sequence, event);
    let order = |sequence, event| stored(Order::TYPE, "o1", sequence, event);
    vec![
        product(
            1,
            ProductEvent::ProductCreated {
                product_id: "p1".into(),
                seller: "seller-1".into(),
                sku: "SKU-1".into(),
                title: "Glow serum".into(),
                price_minor: 1999,
                currency: currency.clone(),
                stock: stock(10, 10, 0, 0),
            },
        ),
        product(
            2,
            ProductEvent::UnitsReserved {
                reservation_id: r1.clone(),
                buyer: "buyer-1".into(),
                quantity: 1,
                expires_at,
                stock: stock(10, 9, 1, 0),
            },
        ),
        product(
            3,
            ProductEvent::UnitsReserved {
                reservation_id: r2.clone(),
                buyer: "buyer-2".into(),
                quantity: 1,
                expires_at,
                stock: stock(10, 8, 2, 0),
            },
        ),
        product(4, ProductEvent::ReservationReleased { reservation_id: r1, quantity: 1, stock: stock(10, 9, 1, 0) }),
        order(
            1,
            OrderEvent::OrderPlaced {
                order_id: "o1".into(),
                reservation_id: r2.clone(),
                product_id: "p1".into(),
                buyer: "buyer-2".into(),
                seller: "seller-1".into(),
                quantity: 1,
                amount_minor: 1999,
                currency,
            },
        ),
        order(2, OrderEvent::PaymentCaptured { capture_id: "cap-1".into(), amount_minor: 1999 }),
        order(3, OrderEvent::OrderConfirmed),
        product(
            5,
            ProductEvent::UnitsSold {
                reservation_id: r2,
                order_id: "o1".into(),
                quantity: 1,
                stock: stock(10, 9, 0, 1),
            },
        ),
    ]
}

/// A fresh SQLite event store holding `events` (which the read models' pointers name).
pub async fn store_of(events: Vec<StoredEvent>) -> SqliteStore {
    let dir = std::env::temp_dir().join(format!("cartcast-projection-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("events.sqlite")).await.unwrap();
    store.commit(&CommitBatch { events, ..Default::default() }).await.unwrap();
    store
}

/// Runs a fresh catalog runner over `feed` until it is idle; returns the checkpoint.
async fn project(read_models: &ReadModels, feed: Vec<FeedEvent>) -> u64 {
    scripted::project(read_models, Projection::Catalog, feed).await
}

async fn views(read_models: &ReadModels) -> (ProductView, serde_json::Value, Vec<String>) {
    let product = read_models.product("p1").await.unwrap().expect("product p1");
    let order = read_models.order("o1").await.unwrap().expect("order o1");
    let history = read_models.order_history(&store_of(a_sale()).await, &order).await.unwrap();
    let history = history.iter().map(|h| format!("{}:{}#{}", h.event_type, h.aggregate_id, h.sequence)).collect();
    (product, serde_json::to_value(order).unwrap(), history)
}

#[tokio::test]
async fn test_a_sale_projects_its_stock_order_and_history() {
    let read_models = fresh_read_models().await;

    assert_eq!(project(&read_models, at_positions(a_sale())).await, 8);

    let (product, order, history) = views(&read_models).await;
    assert_eq!(product.stock, StockView { total: 10, available: 9, reserved: 0, sold: 1 });
    assert_eq!((order["status"].as_str(), order["capture_id"].as_str()), (Some("confirmed"), Some("cap-1")));
    assert_eq!(
        history,
        ["UnitsReserved:p1#3", "OrderPlaced:o1#1", "PaymentCaptured:o1#2", "OrderConfirmed:o1#3", "UnitsSold:p1#5"]
    );
}

#[tokio::test]
async fn test_every_event_delivered_twice_changes_nothing() {
    let once = fresh_read_models().await;
    project(&once, at_positions(a_sale())).await;
    let twice = fresh_read_models().await;

    // The whole sale again at new positions: a republish after the feed's
    // de-duplication window.
    let checkpoint = project(&twice, at_positions(a_sale().into_iter().chain(a_sale()))).await;

    assert_eq!(checkpoint, 16, "the checkpoint passes the duplicates");
    assert_eq!(views(&twice).await, views(&once).await);
}

#[tokio::test]
async fn test_a_late_event_never_moves_a_view_backwards() {
    let read_models = fresh_read_models().await;
    let sale = a_sale();
    // The product's hold of sequence 3 arrives after everything else, as a
    // dead owner's last batch did when it reached the feed after its successor's.
    let late = sale[2].clone();
    let mut feed: Vec<StoredEvent> = sale.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, e)| e.clone()).collect();
    feed.push(late);

    project(&read_models, at_positions(feed)).await;

    let product = read_models.product("p1").await.unwrap().unwrap();
    assert_eq!(product.stock, StockView { total: 10, available: 9, reserved: 0, sold: 1 }, "sequence 5's stock stays");
}

#[tokio::test]
async fn test_a_restarted_runner_resumes_after_its_checkpoint() {
    let read_models = fresh_read_models().await;
    let sale = at_positions(a_sale());
    project(&read_models, sale[..4].to_vec()).await;

    // A crash after the first transaction: the feed redelivers from the start.
    let checkpoint = project(&read_models, sale).await;

    assert_eq!(checkpoint, 8);
    let once = fresh_read_models().await;
    project(&once, at_positions(a_sale())).await;
    assert_eq!(views(&read_models).await, views(&once).await);
}

#[tokio::test]
async fn test_audience_counts_reach_the_show_from_either_stream() {
    let read_models = fresh_read_models().await;
    let show = |sequence, event| stored(Show::TYPE, "s1", sequence, event);
    // A count stored in the show's own stream, as before live stats had one,
    // with the very payload `ShowEvent::ViewersCounted` wrote.
    let mut legacy = stored(Show::TYPE, "s1", 3, LiveStatsEvent::ViewersCounted { connected: 4, watching: 3 });
    legacy.payload = serde_json::json!({"type": "ViewersCounted", "connected": 4, "watching": 3});
    let scheduled = ShowEvent::ShowScheduled {
        show_id: "s1".into(),
        creator: "cara".into(),
        title: "Drop".into(),
        scheduled_at: None,
        product_ids: vec![],
        listing: Listing::default(),
    };
    let feed = vec![
        show(1, scheduled),
        show(2, ShowEvent::ShowWentLive { at: Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap() }),
        legacy,
    ];
    project(&read_models, at_positions(feed.clone())).await;
    let counted = read_models.show("s1").await.unwrap().expect("show s1");
    assert_eq!((counted.viewers_connected, counted.viewers_watching), (4, 3), "the legacy count reads");

    let mut later = feed;
    later.push(stored(LiveStats::TYPE, "s1", 1, LiveStatsEvent::ViewersCounted { connected: 9, watching: 7 }));
    project(&read_models, at_positions(later)).await;
    let counted = read_models.show("s1").await.unwrap().expect("show s1");
    assert_eq!((counted.viewers_connected, counted.viewers_watching), (9, 7), "the live-stats count reads");
}

#[tokio::test]
async fn test_a_channel_page_and_its_shows_carry_their_profile_and_listing() {
    let read_models = fresh_read_models().await;
    let opened =
        ChannelEvent::ChannelOpened { channel_id: "cara".into(), owner: "cara".into(), stream_key: "k".repeat(24) };
    let profile = Profile {
        handle: "caras_closet".into(),
        display_name: "Cara's Closet".into(),
        description: "Vintage".into(),
        avatar_url: None,
        links: vec![Link { label: "Shop".into(), url: "https://cara.example".into() }],
    };
    let listed = Listing {
        category: Some("fashion".into()),
        tags: vec!["vintage".into(), "y2k".into()],
        language: Some("en".into()),
    };
    let scheduled = |show_id: &str| ShowEvent::ShowScheduled {
        show_id: show_id.into(),
        creator: "cara".into(),
        title: "Drop".into(),
        scheduled_at: Some(Utc.with_ymd_and_hms(2027, 1, 1, 18, 0, 0).unwrap()),
        product_ids: vec![],
        listing: listed.clone(),
    };
    let retagged = Listing { tags: vec!["denim".into()], ..listed.clone() };
    let feed = vec![
        stored(Channel::TYPE, "cara", 1, opened),
        stored(Channel::TYPE, "cara", 2, ChannelEvent::ChannelProfileSet { profile: profile.clone() }),
        stored(Show::TYPE, "s1", 1, scheduled("s1")),
        stored(
            Show::TYPE,
            "s1",
            2,
            ShowEvent::ShowDetailsChanged { title: "Denim drop".into(), listing: retagged.clone() },
        ),
        stored(Show::TYPE, "s2", 1, scheduled("s2")),
        stored(Show::TYPE, "s2", 2, ShowEvent::ShowCancelled),
    ];
    project(&read_models, at_positions(feed)).await;

    let channel = read_models.channel("Caras_Closet").await.unwrap().expect("found by its handle in any case");
    assert_eq!((channel.channel_id.as_str(), channel.display_name.as_str()), ("cara", "Cara's Closet"));
    assert_eq!(channel.links, profile.links);
    assert_eq!(
        read_models.channel("cara").await.unwrap().expect("found by its id").handle.as_deref(),
        Some("caras_closet")
    );
    assert!(read_models.channel("nobody").await.unwrap().is_none());

    let show = read_models.show("s1").await.unwrap().expect("show s1");
    assert_eq!((show.title.as_str(), &show.listing), ("Denim drop", &retagged));
    assert_eq!(show.channel_handle.as_deref(), Some("caras_closet"));
    let upcoming = read_models.shows_of("cara", "scheduled", 10).await.unwrap();
    assert_eq!(
        upcoming.iter().map(|s| s.show_id.as_str()).collect::<Vec<_>>(),
        ["s1"],
        "a cancelled show is not upcoming"
    );
    assert_eq!(read_models.show("s2").await.unwrap().expect("show s2").status, "cancelled");
}

/// A rebuild replaces exactly the tables its projection lists: every read
/// model table of the schema belongs to one projection, and each listed one exists.
#[tokio::test]
async fn every_read_model_table_belongs_to_exactly_one_projection() {
    let read_models = fresh_read_models().await;
    let mut tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\\_%' ESCAPE '\\' \
         AND name NOT LIKE 'rm\\_search\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(read_models.pool())
    .await
    .unwrap();
    tables.sort();
    let mut listed: Vec<String> = Projection::ALL
        .iter()
        .flat_map(|projection| projection.tables().iter().chain(projection.derived_tables()))
        .map(|table| (*table).to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, tables);
}

/// An event the catalog cannot read parks it just before that event, with
/// what came before applied, however often it tries again.
#[tokio::test]
async fn test_a_poison_event_parks_the_projection_before_it() {
    let read_models = fresh_read_models().await;
    let mut events = a_sale();
    events[2].payload = serde_json::json!({"type": "UnitsReserved", "quantity": "three"});
    parks_before_the_second_hold(&read_models, events).await;
}

/// A row the database refuses — here, by a rule the read model gained since
/// — parks the catalog just before the event that wrote it, although a step
/// writes its events' rows together, and although the next event (a
/// channel's, written alone) is the one that first writes them.
#[tokio::test]
async fn test_a_row_the_database_refuses_parks_the_projection_before_its_event() {
    let read_models = fresh_read_models().await;
    sqlx::query("CREATE UNIQUE INDEX one_hold_per_product ON rm_reservations (product_id)")
        .execute(read_models.pool())
        .await
        .unwrap();
    let mut events = a_sale();
    let opened =
        ChannelEvent::ChannelOpened { channel_id: "c1".into(), owner: "seller-1".into(), stream_key: "sk_1".into() };
    events.insert(3, stored(Channel::TYPE, "c1", 1, opened));
    parks_before_the_second_hold(&read_models, events).await;
}

async fn parks_before_the_second_hold(read_models: &ReadModels, events: Vec<StoredEvent>) {
    let feed = Arc::new(ScriptedFeed(at_positions(events)));
    let mut runner = ProjectionRunner::new(Projection::Catalog, read_models.clone(), feed);
    for _ in 0..2 {
        let parked = runner.try_process_next(Duration::from_millis(100)).await;
        let Err(ProjectionError::Parked { position, event, .. }) = parked else { panic!("not parked: {parked:?}") };
        assert_eq!((position, event.as_str()), (3, "Product:p1:3"));
        assert_eq!(read_models.checkpoint("catalog").await.unwrap(), 2, "parked just before the poison");
    }
    let product = read_models.product("p1").await.unwrap().expect("what came before is applied");
    assert_eq!(product.stock, StockView { total: 10, available: 9, reserved: 1, sold: 0 });
}
