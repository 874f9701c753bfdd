//! Process-wide instrumentation: the tracing subscriber (logs go to stderr;
//! stdout is reserved for the `listening …` lines) and the Prometheus recorder.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::{SubscriberInitExt, TryInitError};
use tracing_subscriber::{EnvFilter, Registry, fmt};

use cartcast_infra::config::LogFormat;

/// A subscriber writing to `sink`, filtered by `RUST_LOG` or else `env_filter`.
/// Tests pass `std::io::sink` to silence it.
pub fn get_subscriber<Sink>(env_filter: &str, format: LogFormat, sink: Sink) -> impl Subscriber + Send + Sync
where
    Sink: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(env_filter));
    let (json, pretty) = match format {
        LogFormat::Json => {
            (Some(fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(sink)), None)
        }
        LogFormat::Pretty => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            (None, Some(fmt::layer().with_ansi(ansi).with_writer(sink)))
        }
    };
    Registry::default().with(filter).with(json).with(pretty)
}

/// Installs `subscriber` for the whole process and routes `log` records into it.
pub fn init_subscriber(subscriber: impl Subscriber + Send + Sync) -> Result<(), TryInitError> {
    subscriber.try_init()
}

/// Buckets for `http_request_duration_seconds`: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often histogram samples are folded in when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, installed as the global `metrics`
/// recorder on first call; later calls (a second `Application` in the same
/// process, as in tests) share it, since a process has one global recorder.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(install_recorder).clone()
}

/// A Prometheus recorder with our buckets, not installed anywhere: the
/// process's global one, or a test's own (`metrics::set_default_local_recorder`),
/// so parallel tests in one process do not read each other's requests.
pub fn prometheus_recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".to_owned()), LATENCY_BUCKETS)
        .expect("the latency buckets are not empty")
        .build_recorder()
}

fn install_recorder() -> PrometheusHandle {
    let recorder = prometheus_recorder();
    let handle = recorder.handle();
    if let Err(error) = metrics::set_global_recorder(recorder) {
        tracing::warn!(%error, "another metrics recorder is installed; /metrics will not see this process's metrics");
    }
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new().name("metrics-upkeep".to_owned()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "no metrics upkeep thread; histograms are folded in on scrape only");
    }
    handle
}
