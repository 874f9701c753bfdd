//! `fan-out`: a channel with `--followers` followers — each follow sent
//! through the command path (`PUT /api/v1/channels/{channel}/follow`, many
//! at once) — schedules a show, then goes live over RTMP. It measures how
//! long after each event every follower has its notification (the
//! notifications projection's transaction that writes the last one), checks
//! a sample of followers have it, and sends a probe command every 20 ms
//! throughout, so the commands' latency before, while the scheduled show
//! fans out, and while the live one does (the RTMP publisher starting
//! meanwhile) shows whether fanning out slows any command. With `--sale-buyers N` it
//! also runs the `flash-sale` bench (its sibling binary) against the same
//! deployment once before and once while the show is scheduled and fanned
//! out. The last stdout line:
//!
//! `fan-out shape=… followers=… follows_per_s=… scheduled_fanout_ms=… live_fanout_ms=… probe_p99_ms_before=… probe_p99_ms_scheduled=… probes_scheduled=… probe_p99_ms_live=… probes_live=… [sale_before=answers_per_s/p99_ms sale_during=…]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use cartcast_domain::Role;
use cartcast_tests::media::Publisher;
use cartcast_tests::{Client, Deployment, Shape};

#[derive(Parser)]
#[command(about = "Notification fan-out: a channel with many followers schedules a show and goes live")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    followers: usize,
    #[arg(long, value_enum, default_value_t = BenchShape::Embedded)]
    shape: BenchShape,
    /// Follows in flight at once while seeding.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Buyers of a flash sale run before and during the fan-out (0: none).
    #[arg(long, default_value_t = 0)]
    sale_buyers: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchShape {
    Embedded,
    Distributed,
}

/// How often the probe sends a command.
const PROBE_EVERY: Duration = Duration::from_millis(20);
/// Followers checked one by one for each notification.
const SAMPLE: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let shape = match args.shape {
        BenchShape::Embedded => Shape::Embedded,
        BenchShape::Distributed => Shape::Distributed,
    };
    let mut deployment = Deployment::start(shape, &[("CARTCAST_MEDIA_END_GRACE", "1s")]).await?;
    if shape == Shape::Distributed {
        deployment.add_media().await?;
    }
    let result = run(&args, &deployment).await;
    deployment.stop().await?;
    let line = result?;
    println!("{line}");
    Ok(())
}

async fn run(args: &Args, deployment: &Deployment) -> anyhow::Result<String> {
    let client = deployment.client();
    let creator = client.token("fan-out-creator", Role::Creator);
    let profile = json!({"handle": "big_channel", "display_name": "Big channel"});
    let set = client.put("/api/v1/channels/me", &creator, profile).await?;
    ensure!(set.status == 200, "setting up the channel: {}", set.body);

    let seeding = Instant::now();
    let follow = format!("/api/v1/channels/big_channel/follow?after={}", set.body["position"]);
    let follows = futures::stream::iter(0..args.followers)
        .map(|i| {
            let (client, follow) = (client.clone(), follow.clone());
            async move {
                let answer = client.put(&follow, &client.token(&follower(i), Role::Viewer), json!({})).await?;
                ensure!(answer.status == 200, "follow {i}: {}", answer.body);
                Ok(())
            }
        })
        .buffer_unordered(args.concurrency)
        .collect::<Vec<anyhow::Result<()>>>()
        .await;
    follows.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let follows_per_s = args.followers as f64 / seeding.elapsed().as_secs_f64();
    eprintln!("fan-out: {} follows in {:.1} s", args.followers, seeding.elapsed().as_secs_f64());
    let channel = client.get("/api/v1/channels/big_channel", None).await?;
    ensure!(channel.body["followers"] == args.followers, "followers counted: {}", channel.body);

    let probe = Probe::start(client.clone(), &creator).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = probe.take().await;

    let sale_before = match args.sale_buyers {
        0 => None,
        buyers => Some(flash_sale(deployment, buyers).await?),
    };
    // The probes sent during the first sale belong to no window.
    probe.take().await;
    let sale_during = (args.sale_buyers > 0).then(|| {
        let (url, secret, buyers) = (deployment.url.clone(), deployment.secret().to_owned(), args.sale_buyers);
        tokio::spawn(async move { run_flash_sale(&url, &secret, buyers).await })
    });
    if sale_during.is_some() {
        // Into the sale's stride before the fan-out starts.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Scheduled: the follower last in line has it once the projection wrote it.
    let scheduled = client.post("/api/v1/shows", &creator, None, json!({"title": "The big drop"})).await?;
    ensure!(scheduled.status == 201, "scheduling: {}", scheduled.body);
    let answered = Instant::now();
    let position = scheduled.body["position"].as_u64().context("a position")?;
    notified(&client, args.followers - 1, "show_scheduled", Some(position)).await?;
    let scheduled_ms = answered.elapsed().as_secs_f64() * 1000.0;
    let while_scheduled = probe.take().await;

    // Live: from the publisher's first media to the last follower's notification.
    let rtmp = deployment.rtmp_url.clone().context("an RTMP listener")?;
    let stream_key = scheduled.body["stream_key"].as_str().context("a stream key")?;
    let publisher = Publisher::start(&rtmp, stream_key, "320x180")?;
    let live = notified(&client, args.followers - 1, "show_live", None).await?;
    let went_live = chrono::DateTime::parse_from_rfc3339(live["at"].as_str().context("at")?)?.to_utc();
    let live_ms = (chrono::Utc::now() - went_live).num_milliseconds() as f64;
    for i in (0..args.followers).step_by((args.followers / SAMPLE).max(1)) {
        notified(&client, i, "show_live", None).await?;
    }
    let while_live = probe.stop().await;
    publisher.stop().await?;
    let sale_during = match sale_during {
        Some(sale) => Some(sale.await??),
        None => None,
    };

    let shape = match args.shape {
        BenchShape::Embedded => "embedded",
        BenchShape::Distributed => "distributed",
    };
    let sales = match (sale_before, sale_during) {
        (Some(before), Some(during)) => format!(" sale_before={before} sale_during={during}"),
        _ => String::new(),
    };
    Ok(format!(
        "fan-out shape={shape} followers={} follows_per_s={follows_per_s:.0} scheduled_fanout_ms={scheduled_ms:.0} \
         live_fanout_ms={live_ms:.0} probe_p99_ms_before={:.1} probe_p99_ms_scheduled={:.1} probes_scheduled={} \
         probe_p99_ms_live={:.1} probes_live={}{sales}",
        args.followers,
        ms(&before, 0.99),
        ms(&while_scheduled, 0.99),
        while_scheduled.len(),
        ms(&while_live, 0.99),
        while_live.len(),
    ))
}

/// A flash sale of `buyers` against the deployment: `answers_per_s/p99_ms`.
async fn flash_sale(deployment: &Deployment, buyers: usize) -> anyhow::Result<String> {
    run_flash_sale(&deployment.url, deployment.secret(), buyers).await
}

async fn run_flash_sale(url: &str, secret: &str, buyers: usize) -> anyhow::Result<String> {
    let exe = std::env::current_exe()?.with_file_name("flash-sale");
    let output = tokio::process::Command::new(&exe)
        .args(["--url", url, "--buyers", &buyers.to_string()])
        .env("CARTCAST_SECRET", secret)
        .output()
        .await
        .with_context(|| format!("running {}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let field = |name: &str| {
        line.split_whitespace().find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).unwrap_or("?").to_owned()
    };
    ensure!(output.status.success(), "the flash sale failed: {line} {}", String::from_utf8_lossy(&output.stderr));
    Ok(format!("{}/{}", field("answers_per_s"), field("p99_ms")))
}

fn follower(i: usize) -> String {
    format!("follower-{i}")
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

/// Waits (up to 60 s) until follower `i`'s newest notification is a `kind`; it.
async fn notified(client: &Client, i: usize, kind: &str, after: Option<u64>) -> anyhow::Result<Value> {
    let token = client.token(&follower(i), Role::Viewer);
    let path = match after {
        Some(position) => format!("/api/v1/me/notifications?limit=1&after={position}"),
        None => "/api/v1/me/notifications?limit=1".to_owned(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = client.get(&path, Some(&token)).await?;
        if page.status == 200 && page.body["items"][0]["kind"] == kind {
            return Ok(page.body["items"][0].clone());
        }
        if Instant::now() > deadline {
            bail!("follower {i} never got {kind}: {} {}", page.status, page.body);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A command every [`PROBE_EVERY`] (adding one unit of stock to a product),
/// each answer's latency recorded.
struct Probe {
    latencies: Arc<Mutex<Histogram<u64>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Probe {
    async fn start(client: Client, creator: &str) -> anyhow::Result<Self> {
        let product = client.create_product("fan-out-creator", 1).await?;
        let latencies = Arc::new(Mutex::new(Histogram::new(3)?));
        let stop = Arc::new(AtomicBool::new(false));
        let (recorded, stopped, token) = (latencies.clone(), stop.clone(), creator.to_owned());
        let task = tokio::spawn(async move {
            let path = format!("/api/v1/products/{product}/stock");
            let mut tick = tokio::time::interval(PROBE_EVERY);
            while !stopped.load(Ordering::Relaxed) {
                tick.tick().await;
                let sent = Instant::now();
                match client.post(&path, &token, None, json!({"add": 1})).await {
                    Ok(answer) if answer.status == 200 => {
                        let _ = recorded.lock().await.record(sent.elapsed().as_micros() as u64);
                    }
                    Ok(answer) => eprintln!("fan-out: probe refused: {} {}", answer.status, answer.body),
                    Err(e) => eprintln!("fan-out: probe failed: {e}"),
                }
            }
        });
        Ok(Self { latencies, stop, task })
    }

    /// The latencies so far, starting afresh.
    async fn take(&self) -> Histogram<u64> {
        let mut latencies = self.latencies.lock().await;
        let taken = latencies.clone();
        latencies.reset();
        taken
    }

    async fn stop(self) -> Histogram<u64> {
        self.stop.store(true, Ordering::Relaxed);
        let Probe { latencies, task, .. } = self;
        let _ = task.await;
        latencies.lock().await.clone()
    }
}
