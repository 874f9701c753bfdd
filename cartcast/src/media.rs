//! `cartcast media`: RTMP ingest and `/hls`, with stream keys from the
//! PostgreSQL read models and show lifecycle commands over JetStream; and
//! [`start_media`], which `cartcast up` shares.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;

use cartcast_command_api::startup::ops_router;
use cartcast_command_api::telemetry::metrics_handle;
use cartcast_infra::bus::EventFeed;
use cartcast_infra::config::Settings;
use cartcast_media::http::hls_router;
use cartcast_media::hub::{MediaConfig, MediaHub};
use cartcast_media::ingest::rtmp;

use crate::process::{DEFAULT_HTTP, Distributed, StopSignal, Work, serve};
use crate::show_directory::{BusShowDirectory, follow_shows};

/// Where `cartcast media` takes RTMP unless told otherwise.
const DEFAULT_RTMP: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1935);

pub async fn run(options: Distributed) -> anyhow::Result<()> {
    let stop_signal = StopSignal::install()?;
    options.postgres().await?;
    let bus = Arc::new(options.jetstream().await?);
    let read_models = options.read_models().await?;
    let data_dir = options.data_dir.clone().unwrap_or_else(|| PathBuf::from("./cartcast-data"));
    let directory = BusShowDirectory::new(bus.clone(), read_models, options.settings.command_timeout);
    let work = Work::default();
    let rtmp_addr = options.rtmp.unwrap_or(DEFAULT_RTMP);
    let (hls, _) = start_media(rtmp_addr, &options.settings, &data_dir, directory, bus, &work).await?;
    let ops = ops_router(metrics_handle(), work.tasks.clone());
    serve(options.http.unwrap_or(DEFAULT_HTTP), ops.merge(hls), stop_signal).await?;
    work.drain().await;
    Ok(())
}

/// Binds the RTMP listener and starts taking publishers, keeping shows'
/// media under `<data_dir>/media`; returns the `/hls` routes and the bound address.
pub async fn start_media(
    rtmp_addr: SocketAddr,
    settings: &Settings,
    data_dir: &Path,
    directory: BusShowDirectory,
    feed: Arc<dyn EventFeed>,
    work: &Work,
) -> anyhow::Result<(Router, SocketAddr)> {
    let config = MediaConfig::new(
        data_dir.join("media"),
        settings.media_end_grace,
        settings.ladder_watchers,
        settings.dvr_window,
    );
    std::fs::create_dir_all(&config.dir).with_context(|| format!("creating media dir {}", config.dir.display()))?;
    let listener =
        tokio::net::TcpListener::bind(rtmp_addr).await.with_context(|| format!("binding rtmp {rtmp_addr}"))?;
    let bound = listener.local_addr()?;
    println!("listening rtmp://{bound}");
    let hub = MediaHub::new(config, Arc::new(directory)).context("starting the media pipelines' threads")?;
    hub.recover();
    work.tasks.spawn(rtmp::serve(listener, hub.clone(), work.stop.clone()));
    work.tasks.spawn(follow_shows(feed, hub.clone(), work.stop.clone()));
    Ok((hls_router(hub), bound))
}
