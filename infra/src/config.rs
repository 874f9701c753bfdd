//! Typed settings shared by every role, and the one place the process's
//! environment is read. Defaults suit `cartcast up`; each can be overridden
//! by a `CARTCAST_…` environment variable (the README's configuration table
//! lists them all). Command-line flags, where a role has one, win over these.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The variable that carries the token secret (else a file in the data dir).
pub const SECRET_VAR: &str = "CARTCAST_SECRET";

#[derive(Debug, Clone)]
pub struct Settings {
    /// How many single-writer partitions commands are spread over.
    pub partitions: u32,
    /// How long a reservation holds its units (default 5 minutes).
    pub hold_for: Duration,
    /// How long the API waits for a command's outcome before answering 503.
    pub command_timeout: Duration,
    /// How long the test gateway's timing-out card keeps a checkout waiting.
    pub payment_timeout: Duration,
    /// Most commands a worker decides and commits together.
    pub batch_max: usize,
    /// How long a show whose publisher left waits for it before it ends.
    pub media_end_grace: Duration,
    /// How long before a scheduled show its followers are reminded (default 15 minutes).
    pub reminder_lead: Duration,
    /// Players watching a show at which its ABR ladder starts.
    pub ladder_watchers: u64,
    /// How far back a live player may seek (the live playlist's window).
    pub dvr_window: Duration,
    /// Crash tests' strike point: the worker process aborts right after the
    /// commit that takes it to N committed events, before putting that batch
    /// on the feed — the moment the feed outbox exists for. Unset in production.
    pub crash_after_events: Option<u64>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// The distributed shape's PostgreSQL (event store, read models, leases).
    pub postgres_url: Option<String>,
    /// The distributed shape's NATS server (command log and event feed).
    pub nats_url: Option<String>,
    /// Prefix of every JetStream stream and subject, and of the partition
    /// leases, so several deployments share one NATS and one PostgreSQL.
    pub nats_prefix: Option<String>,
    /// Where creators point OBS, answered on show creation by `cartcast api`
    /// (`cartcast up` answers its own RTMP listener).
    pub ingest_url: Option<String>,
    /// The token secret; without it, `<data_dir>/secret`.
    pub secret: Option<Secret>,
}

/// How log lines are written (logs go to stderr).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Pretty,
    /// One JSON object per event, with the current span's fields.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("`{other}` is not a log format (pretty or json)")),
        }
    }
}

/// A value kept out of logs: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            partitions: 8,
            hold_for: Duration::from_secs(300),
            command_timeout: Duration::from_secs(10),
            payment_timeout: Duration::from_secs(5),
            batch_max: 1000,
            media_end_grace: Duration::from_secs(30),
            reminder_lead: Duration::from_secs(15 * 60),
            ladder_watchers: 20,
            dvr_window: Duration::from_secs(2 * 3600),
            crash_after_events: None,
            log_format: LogFormat::Pretty,
            postgres_url: None,
            nats_url: None,
            nats_prefix: None,
            ingest_url: None,
            secret: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl Settings {
    /// Defaults overridden by `CARTCAST_PARTITIONS`, `CARTCAST_HOLD_FOR`,
    /// `CARTCAST_COMMAND_TIMEOUT`, `CARTCAST_PAYMENT_TIMEOUT` (durations like
    /// `300s`, `1500ms`), `CARTCAST_BATCH_MAX`, `CARTCAST_MEDIA_END_GRACE`, `CARTCAST_REMINDER_LEAD`,
    /// `CARTCAST_LADDER_WATCHERS`, `CARTCAST_DVR_WINDOW`, (crash tests)
    /// `CARTCAST_CRASH_AFTER_EVENTS`, and `CARTCAST_LOG_FORMAT`,
    /// `CARTCAST_POSTGRES_URL`, `CARTCAST_NATS_URL`, `CARTCAST_NATS_PREFIX`,
    /// `CARTCAST_INGEST_URL` and `CARTCAST_SECRET`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        if let Some(n) = var("CARTCAST_PARTITIONS")? {
            settings.partitions = parse_number("CARTCAST_PARTITIONS", &n, 1, 1024)? as u32;
        }
        if let Some(d) = var("CARTCAST_HOLD_FOR")? {
            let hold_for = parse_duration("CARTCAST_HOLD_FOR", &d)?;
            if !(Duration::from_secs(1)..=Duration::from_secs(24 * 3600)).contains(&hold_for) {
                return Err(ConfigError { var: "CARTCAST_HOLD_FOR", reason: "must be from 1s to 24h".into() });
            }
            settings.hold_for = hold_for;
        }
        if let Some(d) = var("CARTCAST_COMMAND_TIMEOUT")? {
            settings.command_timeout = parse_duration("CARTCAST_COMMAND_TIMEOUT", &d)?;
        }
        if let Some(d) = var("CARTCAST_PAYMENT_TIMEOUT")? {
            settings.payment_timeout = parse_duration("CARTCAST_PAYMENT_TIMEOUT", &d)?;
        }
        if let Some(n) = var("CARTCAST_BATCH_MAX")? {
            settings.batch_max = parse_number("CARTCAST_BATCH_MAX", &n, 1, 100_000)? as usize;
        }
        if let Some(d) = var("CARTCAST_MEDIA_END_GRACE")? {
            settings.media_end_grace = parse_duration("CARTCAST_MEDIA_END_GRACE", &d)?;
        }
        if let Some(d) = var("CARTCAST_REMINDER_LEAD")? {
            settings.reminder_lead = parse_duration("CARTCAST_REMINDER_LEAD", &d)?;
        }
        if let Some(n) = var("CARTCAST_CRASH_AFTER_EVENTS")? {
            settings.crash_after_events = Some(parse_number("CARTCAST_CRASH_AFTER_EVENTS", &n, 1, u64::MAX)?);
        }
        if let Some(n) = var("CARTCAST_LADDER_WATCHERS")? {
            settings.ladder_watchers = parse_number("CARTCAST_LADDER_WATCHERS", &n, 0, u64::MAX)?;
        }
        if let Some(d) = var("CARTCAST_DVR_WINDOW")? {
            let window = parse_duration("CARTCAST_DVR_WINDOW", &d)?;
            if !(Duration::from_secs(6)..=Duration::from_secs(24 * 3600)).contains(&window) {
                return Err(ConfigError { var: "CARTCAST_DVR_WINDOW", reason: "must be from 6s to 24h".into() });
            }
            settings.dvr_window = window;
        }
        if let Some(format) = var("CARTCAST_LOG_FORMAT")? {
            settings.log_format =
                format.parse().map_err(|reason| ConfigError { var: "CARTCAST_LOG_FORMAT", reason })?;
        }
        settings.postgres_url = var("CARTCAST_POSTGRES_URL")?;
        settings.nats_url = var("CARTCAST_NATS_URL")?;
        settings.nats_prefix = var("CARTCAST_NATS_PREFIX")?;
        settings.ingest_url = var("CARTCAST_INGEST_URL")?;
        settings.secret = var(SECRET_VAR)?.map(Secret::new);
        Ok(settings)
    }
}

fn var(name: &'static str) -> Result<Option<String>, ConfigError> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(ConfigError { var: name, reason: e.to_string() }),
    }
}

fn parse_number(var: &'static str, value: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError { var, reason: format!("`{value}` is not a number from {min} to {max}") }),
    }
}

/// `250ms`, `3s`, `5m`, `1h`.
pub fn parse_duration(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let value = value.trim();
    let bad = || ConfigError { var, reason: format!("`{value}` is not a duration like 250ms, 3s, 5m or 1h") };
    let split = value.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = value.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("X", "250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("X", "5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("X", "5").is_err());
        assert!(parse_duration("X", "fast").is_err());
    }

    #[test]
    fn a_secret_never_reaches_debug_output() {
        let settings = Settings { secret: Some(Secret::new("hunter2")), ..Settings::default() };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
