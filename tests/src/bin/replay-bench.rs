//! `replay-bench`: the read side's costs on a realistic show's history. It
//! writes `--events` events (default 1,000,000) straight to the event store
//! (and, distributed, the JetStream `EVENTS` feed), as the worker would:
//! a channel, a show going live with 20 products, then holds that expire or
//! are bought through confirmed orders, with audience samples and reaction
//! counts every 50 holds. Then it times an NDJSON export and a Parquet export
//! of everything (to files), projects every read model from the feed, and
//! times `projections rebuild` of all of them (shadow replay and swap). The
//! last stdout line:
//!
//! `replay-bench shape=… events=… export_per_s=… parquet_per_s=… project_per_s=… rebuild_per_s=…`

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use clap::{Parser, ValueEnum};
use cqrs_es::{Aggregate, DomainEvent};
use serde::Serialize;
use uuid::Uuid;

use cartcast_domain::channel::{Channel, ChannelEvent};
use cartcast_domain::ids::ReservationId;
use cartcast_domain::live_stats::{LiveStats, LiveStatsEvent};
use cartcast_domain::money::Currency;
use cartcast_domain::order::{Order, OrderEvent};
use cartcast_domain::product::{Product, ProductEvent, Stock};
use cartcast_domain::show::{Listing, Show, ShowEvent};
use cartcast_infra::bus::EventFeed;
use cartcast_infra::bus::inprocess::StoreFeed;
use cartcast_infra::bus::jetstream::{BusNames, JetStreamBus};
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_infra::store::{CommitBatch, EventMetadata, EventStore, StoredEvent};
use cartcast_projections::ReadModels;
use cartcast_projections::rebuild::rebuild;
use cartcast_projections::replay::{self, Filter, Ndjson, Parquet, Sink};
use cartcast_projections::runner::{Projection, ProjectionRunner};
use cartcast_tests::Services;

/// The allocator `cartcast` runs the projections on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Replay, export and rebuild throughput on a show's history")]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    #[arg(long, value_enum, default_value_t = BenchShape::Embedded)]
    shape: BenchShape,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchShape {
    Embedded,
    Distributed,
}

/// Events committed per batch (one worker batch's worth).
const BATCH: usize = 2000;
const PRODUCTS: usize = 20;

/// The deployment the bench writes to and reads from.
struct Target {
    store: Arc<dyn EventStore>,
    feed: Arc<dyn EventFeed>,
    read_models: ReadModels,
    read_models_url: String,
    /// Feed positions follow store positions (embedded) or are the feed's own (JetStream).
    publish: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = cartcast_tests::temp_dir("replay-bench");
    let target = open(args.shape, &dir).await?;
    let started = Instant::now();
    let events = write_show(&target, args.events).await?;
    eprintln!("replay-bench: wrote {events} events in {:.1?}", started.elapsed());

    let export_per_s = export(&target, Format::Ndjson, &dir.join("events.ndjson"), events).await?;
    let parquet_per_s = export(&target, Format::Parquet, &dir.join("events.parquet"), events).await?;
    let project_per_s = project(&target, events).await?;
    let rebuild_per_s = rebuild_all(&target, events).await?;
    std::fs::remove_dir_all(&dir).ok();
    let shape = match args.shape {
        BenchShape::Embedded => "embedded",
        BenchShape::Distributed => "distributed",
    };
    println!(
        "replay-bench shape={shape} events={events} export_per_s={export_per_s:.0} parquet_per_s={parquet_per_s:.0} \
         project_per_s={project_per_s:.0} rebuild_per_s={rebuild_per_s:.0}"
    );
    Ok(())
}

async fn open(shape: BenchShape, dir: &Path) -> anyhow::Result<Target> {
    match shape {
        BenchShape::Embedded => {
            let store: Arc<dyn EventStore> = Arc::new(SqliteStore::open(&dir.join("events.sqlite")).await?);
            let url = format!("sqlite://{}", dir.join("read-models.sqlite").display());
            Ok(Target {
                feed: Arc::new(StoreFeed::new(store.clone())),
                store,
                read_models: ReadModels::connect(&url).await?,
                read_models_url: url,
                publish: false,
            })
        }
        BenchShape::Distributed => {
            let services = Services::from_env();
            let url = services.fresh_database().await?;
            let store: Arc<dyn EventStore> = Arc::new(PostgresStore::connect(&url).await?);
            let names = BusNames::prefixed(format!("rb{}", Uuid::new_v4().simple()));
            let feed = JetStreamBus::connect(&services.nats_url, names, 1).await?;
            Ok(Target {
                feed: Arc::new(feed),
                store,
                read_models: ReadModels::connect(&url).await?,
                read_models_url: url,
                publish: true,
            })
        }
    }
}

/// Builds the show's events with consecutive sequences per aggregate and
/// commits them in batches.
struct History {
    sequences: BTreeMap<(String, String), u64>,
    stock: Vec<Stock>,
    clock: DateTime<Utc>,
    pending: Vec<StoredEvent>,
    written: usize,
}

impl History {
    fn push<E: DomainEvent + Serialize>(&mut self, aggregate_type: &str, id: &str, actor: &str, event: &E) {
        let sequence = self.sequences.entry((aggregate_type.to_owned(), id.to_owned())).or_default();
        *sequence += 1;
        self.clock += TimeDelta::milliseconds(3);
        let command_id = Uuid::now_v7();
        self.pending.push(StoredEvent {
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: id.to_owned(),
            sequence: *sequence,
            event_type: event.event_type(),
            event_version: event.event_version(),
            payload: serde_json::to_value(event).expect("an event serializes"),
            metadata: EventMetadata {
                event_id: Uuid::now_v7(),
                command_id,
                correlation_id: command_id,
                causation_id: command_id,
                actor: actor.to_owned(),
                occurred_at: self.clock,
            },
        });
    }

    async fn flush(&mut self, target: &Target) -> anyhow::Result<()> {
        let events = std::mem::take(&mut self.pending);
        let batch = CommitBatch { events, ..Default::default() };
        let positions = target.store.commit(&batch).await?;
        if target.publish {
            target.feed.publish(&batch.events, &positions).await?;
        }
        self.written += batch.events.len();
        Ok(())
    }
}

async fn write_show(target: &Target, events: usize) -> anyhow::Result<usize> {
    let currency = Currency::parse("EUR")?;
    let creator = "bench-creator";
    let units = events as u64;
    let mut show = History {
        sequences: BTreeMap::new(),
        stock: vec![Stock { total: units, available: units, reserved: 0, sold: 0 }; PRODUCTS],
        clock: Utc::now() - TimeDelta::days(2),
        pending: Vec::new(),
        written: 0,
    };
    let opened = ChannelEvent::ChannelOpened {
        channel_id: creator.into(),
        owner: creator.into(),
        stream_key: "sk_bench".into(),
    };
    show.push(Channel::TYPE, creator, creator, &opened);
    let products: Vec<String> = (0..PRODUCTS).map(|p| format!("bench-product-{p}")).collect();
    for (p, product_id) in products.iter().enumerate() {
        let created = ProductEvent::ProductCreated {
            product_id: product_id.clone(),
            seller: creator.into(),
            sku: format!("SKU-{p}"),
            title: format!("Bench product {p}"),
            price_minor: 1999,
            currency: currency.clone(),
            stock: show.stock[p],
        };
        show.push(Product::TYPE, product_id, creator, &created);
    }
    let show_id = "bench-show";
    let scheduled = ShowEvent::ShowScheduled {
        show_id: show_id.into(),
        creator: creator.into(),
        title: "Bench flash sale".into(),
        scheduled_at: None,
        product_ids: products.clone(),
        listing: Listing::default(),
    };
    show.push(Show::TYPE, show_id, creator, &scheduled);
    show.push(Show::TYPE, show_id, "media", &ShowEvent::ShowWentLive { at: show.clock });
    let mut hold = 0usize;
    while show.written + show.pending.len() < events {
        hold += 1;
        sell_or_expire(&mut show, &products, hold, &currency, creator);
        if hold.is_multiple_of(50) {
            let sampled =
                LiveStatsEvent::AudienceSampled { connected: 900, watching: 800, peak: 1000, unique: hold as u64 };
            show.push(LiveStats::TYPE, show_id, "gateway", &sampled);
            let counts = [("heart".to_owned(), 40), ("fire".to_owned(), 12)].into_iter().collect();
            show.push(LiveStats::TYPE, show_id, "gateway", &LiveStatsEvent::ReactionsCounted { counts });
        }
        if show.pending.len() >= BATCH {
            show.flush(target).await?;
        }
    }
    show.flush(target).await?;
    Ok(show.written)
}

/// Hold number `hold`: a unit held, then (7 in 10) bought through a confirmed order, else expired.
fn sell_or_expire(show: &mut History, products: &[String], hold: usize, currency: &Currency, seller: &str) {
    let p = hold % products.len();
    let product_id = &products[p];
    let buyer = format!("buyer-{}", hold % 10_000);
    let reservation_id = ReservationId::new(product_id, hold as u64);
    let mut stock = show.stock[p];
    stock.available -= 1;
    stock.reserved += 1;
    let reserved = ProductEvent::UnitsReserved {
        reservation_id: reservation_id.clone(),
        buyer: buyer.clone(),
        quantity: 1,
        expires_at: show.clock + TimeDelta::minutes(5),
        stock,
    };
    show.push(Product::TYPE, product_id, &buyer, &reserved);
    stock.reserved -= 1;
    if hold % 10 < 7 {
        let order_id = format!("bench-order-{hold}");
        let placed = OrderEvent::OrderPlaced {
            order_id: order_id.clone(),
            reservation_id: reservation_id.clone(),
            product_id: product_id.clone(),
            buyer: buyer.clone(),
            seller: seller.into(),
            quantity: 1,
            amount_minor: 1999,
            currency: currency.clone(),
        };
        show.push(Order::TYPE, &order_id, &buyer, &placed);
        let captured = OrderEvent::PaymentCaptured { capture_id: format!("cap_{hold}"), amount_minor: 1999 };
        show.push(Order::TYPE, &order_id, &buyer, &captured);
        show.push(Order::TYPE, &order_id, &buyer, &OrderEvent::OrderConfirmed);
        stock.sold += 1;
        let sold = ProductEvent::UnitsSold { reservation_id, order_id, quantity: 1, stock };
        show.push(Product::TYPE, product_id, &buyer, &sold);
    } else {
        stock.available += 1;
        let expired = ProductEvent::ReservationExpired { reservation_id, quantity: 1, stock };
        show.push(Product::TYPE, product_id, "system", &expired);
    }
    show.stock[p] = stock;
}

#[derive(Clone, Copy)]
enum Format {
    Ndjson,
    Parquet,
}

/// Export every event to `path`; events per second.
async fn export(target: &Target, format: Format, path: &Path, events: usize) -> anyhow::Result<f64> {
    let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut sink: Box<dyn Sink + Send> = match format {
        Format::Ndjson => Box::new(Ndjson::new(out)),
        Format::Parquet => Box::new(Parquet::new(out)?),
    };
    let started = Instant::now();
    let stopped = replay::export(target.store.as_ref(), &Filter::default(), sink.as_mut(), &mut |_| {}).await?;
    let took = started.elapsed();
    anyhow::ensure!(stopped.written as usize == events, "exported {} of {events} events", stopped.written);
    let size = std::fs::metadata(path)?.len();
    eprintln!("replay-bench: exported {events} events in {took:.1?} ({} MB)", size / 1_000_000);
    Ok(events as f64 / took.as_secs_f64())
}

/// Project every read model from the feed into the live read models, all
/// at once as the projector does; events per second.
async fn project(target: &Target, events: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut runners = tokio::task::JoinSet::new();
    for projection in Projection::ALL {
        let (read_models, feed) = (target.read_models.clone(), target.feed.clone());
        runners.spawn(async move {
            let mut runner = ProjectionRunner::new(projection, read_models, feed);
            while runner.position() < events as u64 {
                runner.try_process_next(Duration::from_millis(500)).await?;
            }
            anyhow::Ok((projection, started.elapsed()))
        });
    }
    while let Some(done) = runners.join_next().await {
        let (projection, took) = done??;
        eprintln!("replay-bench: projected {} in {took:.1?}", projection.name());
    }
    let took = started.elapsed();
    eprintln!("replay-bench: projected {events} events into every read model in {took:.1?}");
    Ok(events as f64 / took.as_secs_f64())
}

/// Rebuild every projection into a shadow and swap it in, all at once as
/// `projections rebuild all` does; events per second.
async fn rebuild_all(target: &Target, events: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut rebuilds = tokio::task::JoinSet::new();
    for projection in Projection::ALL {
        let (read_models, url, feed) =
            (target.read_models.clone(), target.read_models_url.clone(), target.feed.clone());
        rebuilds.spawn(async move {
            let rebuilt = rebuild(projection, &read_models, &url, feed, &mut |_, _| {})
                .await
                .with_context(|| format!("rebuilding {}", projection.name()))?;
            anyhow::ensure!(
                rebuilt.position as usize >= events,
                "{} stopped at {}",
                projection.name(),
                rebuilt.position
            );
            anyhow::Ok((projection, started.elapsed()))
        });
    }
    while let Some(done) = rebuilds.join_next().await {
        let (projection, took) = done??;
        eprintln!("replay-bench: rebuilt {} in {took:.1?}", projection.name());
    }
    let took = started.elapsed();
    eprintln!("replay-bench: rebuilt every read model from {events} events in {took:.1?}");
    Ok(events as f64 / took.as_secs_f64())
}
