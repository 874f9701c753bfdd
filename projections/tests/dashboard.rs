//! The dashboard projection over a scripted show whose figures were worked
//! out by hand: holds taken before the show do not count for it, a minute
//! with nothing in it is there with zeros, the peak and unique viewers are
//! the samples', a product's time to sell out runs from the show going live.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use serde::Serialize;
use serde_json::json;

use cartcast_domain::ids::ReservationId;
use cartcast_domain::live_stats::{LiveStats, LiveStatsEvent};
use cartcast_domain::money::Currency;
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent, Stock};
use cartcast_domain::show::{Listing, Show, ShowEvent};
use cartcast_infra::store::StoredEvent;
use cartcast_projections::runner::Projection;
use scripted::{at_positions, fresh_read_models, project, stock, stored_at};

mod scripted;

/// Events in the order they happen, each numbered within its aggregate.
#[derive(Default)]
struct Script {
    events: Vec<StoredEvent>,
    sequences: HashMap<(String, String), u64>,
}

impl Script {
    /// `event` of `aggregate_type` `id` at `hh:mm:ss` on the show's day.
    fn at<E: DomainEvent + Serialize>(&mut self, (h, m, s): (u32, u32, u32), aggregate: (&str, &str), event: E) {
        let sequence = self.sequences.entry((aggregate.0.to_owned(), aggregate.1.to_owned())).or_default();
        *sequence += 1;
        self.events.push(stored_at(aggregate.0, aggregate.1, *sequence, time(h, m, s), event));
    }
}

fn time(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, h, m, s).unwrap()
}

const SHOW: (&str, &str) = (Show::TYPE, "s1");
const STATS: (&str, &str) = (LiveStats::TYPE, "s1");
const P1: (&str, &str) = (Product::TYPE, "p1");
const P2: (&str, &str) = (Product::TYPE, "p2");

fn created(product_id: &str, units: u64) -> ProductEvent {
    ProductEvent::ProductCreated {
        product_id: product_id.into(),
        seller: "cara".into(),
        sku: format!("SKU-{product_id}"),
        title: "Glow serum".into(),
        price_minor: 1999,
        currency: Currency::parse("EUR").unwrap(),
        stock: stock(units, units, 0, 0),
    }
}

fn reserved(reservation_id: &ReservationId, buyer: &str, stock: Stock) -> ProductEvent {
    let expires_at = time(13, 0, 0);
    ProductEvent::UnitsReserved {
        reservation_id: reservation_id.clone(),
        buyer: buyer.into(),
        quantity: 1,
        expires_at,
        stock,
    }
}

fn sold(reservation_id: &ReservationId, order_id: &str, stock: Stock) -> ProductEvent {
    ProductEvent::UnitsSold { reservation_id: reservation_id.clone(), order_id: order_id.into(), quantity: 1, stock }
}

fn placed(order_id: &str, reservation_id: &ReservationId, buyer: &str) -> OrderEvent {
    OrderEvent::OrderPlaced {
        order_id: order_id.into(),
        reservation_id: reservation_id.clone(),
        product_id: "p1".into(),
        buyer: buyer.into(),
        seller: "cara".into(),
        quantity: 1,
        amount_minor: 1999,
        currency: Currency::parse("EUR").unwrap(),
    }
}

fn sampled(connected: u64, watching: u64, peak: u64, unique: u64) -> LiveStatsEvent {
    LiveStatsEvent::AudienceSampled { connected, watching, peak, unique }
}

/// A show of `cara` selling `p1` (2 units) and `p2` (3 units), 12:00:10 to 12:04:05.
fn a_show() -> Vec<StoredEvent> {
    let (r0, r1, r2, r3) = (
        ReservationId::new("p2", 1),
        ReservationId::new("p1", 1),
        ReservationId::new("p1", 2),
        ReservationId::new("p2", 2),
    );
    let mut script = Script::default();
    script.at((11, 40, 0), P1, created("p1", 2));
    script.at((11, 41, 0), P2, created("p2", 3));
    let scheduled = ShowEvent::ShowScheduled {
        show_id: "s1".into(),
        creator: "cara".into(),
        title: "Autumn drop".into(),
        scheduled_at: None,
        product_ids: vec!["p1".into()],
        listing: Listing::default(),
    };
    script.at((11, 50, 0), SHOW, scheduled);
    script.at((11, 55, 0), SHOW, ShowEvent::ProductsAttached { product_ids: vec!["p2".into()] });
    // Before the show: a hold that is not the show's, and runs out.
    script.at((11, 58, 0), P2, reserved(&r0, "early", stock(3, 2, 1, 0)));
    script.at(
        (12, 0, 5),
        P2,
        ProductEvent::ReservationExpired { reservation_id: r0, quantity: 1, stock: stock(3, 3, 0, 0) },
    );

    // 12:00: live, an audience, chat, reactions, a hold.
    script.at((12, 0, 10), SHOW, ShowEvent::ShowWentLive { at: time(12, 0, 10) });
    script.at((12, 0, 20), STATS, sampled(5, 4, 4, 6));
    script.at((12, 0, 30), STATS, LiveStatsEvent::ChatCounted { messages: 3 });
    let reactions = [("❤".to_owned(), 4), ("🔥".to_owned(), 1)].into();
    script.at((12, 0, 40), STATS, LiveStatsEvent::ReactionsCounted { counts: reactions });
    script.at((12, 0, 50), P1, reserved(&r1, "b1", stock(2, 1, 1, 0)));

    // 12:01: the first order; two samples; a second hold whose card is declined.
    script.at((12, 1, 5), (Order::TYPE, "o1"), placed("o1", &r1, "b1"));
    script.at(
        (12, 1, 6),
        (Order::TYPE, "o1"),
        OrderEvent::PaymentCaptured { capture_id: "c1".into(), amount_minor: 1999 },
    );
    script.at((12, 1, 6), (Order::TYPE, "o1"), OrderEvent::OrderConfirmed);
    script.at((12, 1, 7), P1, sold(&r1, "o1", stock(2, 1, 0, 1)));
    script.at((12, 1, 20), STATS, sampled(7, 6, 6, 9));
    script.at((12, 1, 30), P1, reserved(&r2, "b2", stock(2, 0, 1, 1)));
    script.at((12, 1, 35), (Order::TYPE, "o2"), placed("o2", &r2, "b2"));
    script.at((12, 1, 36), (Order::TYPE, "o2"), OrderEvent::PaymentDeclined { decline_code: "card_declined".into() });
    script.at((12, 1, 50), STATS, sampled(6, 5, 6, 10));

    // 12:02: nothing. 12:03: the second order sells p1 out; a hold of p2 runs out; more chat.
    script.at(
        (12, 3, 10),
        (Order::TYPE, "o2"),
        OrderEvent::PaymentCaptured { capture_id: "c2".into(), amount_minor: 1999 },
    );
    script.at((12, 3, 10), (Order::TYPE, "o2"), OrderEvent::OrderConfirmed);
    script.at((12, 3, 11), P1, sold(&r2, "o2", stock(2, 0, 0, 2)));
    script.at((12, 3, 20), P2, reserved(&r3, "b1", stock(3, 2, 1, 0)));
    script.at((12, 3, 40), STATS, LiveStatsEvent::ChatCounted { messages: 2 });
    script.at(
        (12, 3, 50),
        P2,
        ProductEvent::ReservationExpired { reservation_id: r3, quantity: 1, stock: stock(3, 3, 0, 0) },
    );
    script.at((12, 4, 5), SHOW, ShowEvent::ShowEnded { at: time(12, 4, 5) });
    script.events
}

#[tokio::test]
async fn a_scripted_shows_dashboard_has_the_figures_worked_out_by_hand() {
    let read_models = fresh_read_models().await;
    let events = a_show();
    let last = events.len() as u64;
    assert_eq!(project(&read_models, Projection::Dashboard, at_positions(events)).await, last);

    let found = read_models.dashboard("s1").await.unwrap().expect("the show's dashboard");
    assert_eq!(found.creator, "cara");
    let minute = |t: &str, [watching, chat, reactions, reservations, orders, revenue, expiries, declines]: [i64; 8]| {
        json!({
            "t": t, "watching": watching, "chat": chat, "reactions": reactions, "reservations": reservations,
            "orders": orders, "revenue_minor": revenue, "expiries": expiries, "declines": declines,
        })
    };
    let expected = json!({
        "show_id": "s1",
        "status": "ended",
        "live_at": "2026-11-29T12:00:10Z",
        "ended_at": "2026-11-29T12:04:05Z",
        // Nobody watches an ended show; the peak and uniques are the last sample's.
        "viewers": {"connected": 0, "watching": 0, "peak": 6, "unique": 10},
        "per_minute": [
            minute("2026-11-29T12:00:00Z", [4, 3, 5, 1, 0, 0, 0, 0]),
            // Two samples: the minute shows the more watching.
            minute("2026-11-29T12:01:00Z", [6, 0, 0, 1, 1, 1999, 0, 1]),
            minute("2026-11-29T12:02:00Z", [0, 0, 0, 0, 0, 0, 0, 0]),
            minute("2026-11-29T12:03:00Z", [0, 2, 0, 1, 1, 1999, 1, 0]),
            minute("2026-11-29T12:04:00Z", [0, 0, 0, 0, 0, 0, 0, 0]),
        ],
        "orders": 2,
        "revenue_minor": 3998,
        "currency": "EUR",
        "buyers": 2,
        // Two buyers of ten unique viewers.
        "conversion": 0.2,
        // The hold taken before the show, and its expiry, are not the show's.
        "reservations": 3,
        "expiries": 1,
        "declines": 1,
        "chat": 5,
        "reactions": 5,
        "products": [
            // Its last unit sold at 12:03:11, 181 s after the show went live.
            {"product_id": "p1", "sold": 2, "available": 0, "sold_out_after_s": 181},
            {"product_id": "p2", "sold": 0, "available": 3},
        ],
    });
    assert_eq!(serde_json::to_value(&found.dashboard).unwrap(), expected);
    assert!(read_models.dashboard("s2").await.unwrap().is_none(), "a show it never saw has no dashboard");
}
