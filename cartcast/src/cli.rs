//! The `cartcast` command line: parses arguments, starts a role or prints a
//! token, and turns any failure into one line on stderr and an exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use cartcast_command_api::auth::{Signer, load_secret};
use cartcast_command_api::telemetry;
use cartcast_domain::Role;
use cartcast_infra::config::{LogFormat, Settings};
use cartcast_infra::store::EventStore;
use cartcast_infra::store::postgres::PostgresStore;
use cartcast_infra::store::sqlite::SqliteStore;
use cartcast_realtime::frames;

use crate::analyst::ReplayArgs;
use crate::auditor::AuditArgs;
use crate::process::Distributed;
use crate::rebuild::ProjectionsArgs;
use crate::up::Up;
use crate::{analyst, api, auditor, media, projector, rebuild, up, worker};

#[derive(Debug, Parser)]
#[command(name = "cartcast", version, about = "Live shopping: shows, chat and flash sales.")]
pub struct Cli {
    /// Log line format, pretty or json (logs go to stderr); else CARTCAST_LOG_FORMAT.
    #[arg(long, global = true)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Everything in one process (embedded shape).
    Up(UpArgs),
    /// The HTTP API role (distributed shape); it is a gateway for live sockets too.
    Api(DistributedArgs),
    /// Only viewers' live sockets (distributed shape): a gateway to scale apart from the API.
    Gateway(DistributedArgs),
    /// The partition-owning command worker role (distributed shape).
    Worker(DistributedArgs),
    /// The projection runner role (distributed shape).
    Projector(DistributedArgs),
    /// The media worker role: RTMP ingest and `/hls` (distributed shape).
    Media(DistributedArgs),
    /// Print a signed bearer token.
    Token(TokenArgs),
    /// Export stored events in global order as JSON lines or Parquet, filtered (for analysts).
    Replay(ReplayArgs),
    /// An order's history from the event store, or a store-wide invariant check (for auditors).
    Audit(AuditArgs),
    /// Rebuild read models without downtime.
    Projections(ProjectionsArgs),
    /// Print the JSON Schema of the live socket's frames (for client code generators).
    FramesSchema,
}

/// Which event store an offline command reads: the embedded data dir, or
/// PostgreSQL when a URL is given. Global, so a tool's own subcommands
/// (`audit check`) take them too.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Else CARTCAST_POSTGRES_URL; without either, the data dir's SQLite store.
    #[arg(long, global = true)]
    postgres_url: Option<String>,
    #[arg(long, global = true, default_value = "./cartcast-data")]
    data_dir: PathBuf,
}

impl StoreArgs {
    /// The event store, and the URL of its database (where the test gateway keeps its ledger).
    pub async fn open(&self, settings: &Settings) -> anyhow::Result<(Box<dyn EventStore>, String)> {
        if let Some(url) = self.postgres_url.as_ref().or(settings.postgres_url.as_ref()) {
            return Ok((Box::new(PostgresStore::connect(url).await.context("connecting to PostgreSQL")?), url.clone()));
        }
        let path = self.data_dir.join("events.sqlite");
        anyhow::ensure!(path.exists(), "no event store at {} (pass --data-dir or --postgres-url)", path.display());
        let store = SqliteStore::open(&path).await.with_context(|| format!("opening {}", path.display()))?;
        Ok((Box::new(store), format!("sqlite://{}", path.display())))
    }
}

#[derive(Debug, Args)]
struct UpArgs {
    #[arg(long, default_value = "./cartcast-data")]
    data_dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    #[arg(long, default_value = "127.0.0.1:1935")]
    rtmp: SocketAddr,
}

#[derive(Debug, Args)]
struct DistributedArgs {
    /// Else CARTCAST_POSTGRES_URL.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Else CARTCAST_NATS_URL.
    #[arg(long)]
    nats_url: Option<String>,
    /// `api`: where it serves (default 127.0.0.1:8080). `worker`, `projector`:
    /// where they serve `/healthz` and `/metrics` (none unless given).
    #[arg(long)]
    http: Option<SocketAddr>,
    /// Where the token secret lives when CARTCAST_SECRET is unset; `media`
    /// keeps shows' media under it (default ./cartcast-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// `media`: where it takes RTMP publishers (default 127.0.0.1:1935).
    #[arg(long)]
    rtmp: Option<SocketAddr>,
}

impl DistributedArgs {
    fn into_options(self, settings: Settings) -> anyhow::Result<Distributed> {
        Ok(Distributed {
            postgres_url: (self.postgres_url.or(settings.postgres_url.clone()))
                .context("--postgres-url (or CARTCAST_POSTGRES_URL) is required")?,
            nats_url: (self.nats_url.or(settings.nats_url.clone()))
                .context("--nats-url (or CARTCAST_NATS_URL) is required")?,
            settings,
            http: self.http,
            data_dir: self.data_dir,
            rtmp: self.rtmp,
        })
    }
}

#[derive(Debug, Args)]
struct TokenArgs {
    #[arg(long)]
    sub: String,
    /// viewer, creator, moderator, admin, auditor or analyst.
    #[arg(long)]
    role: Role,
    /// The channel the token is scoped to.
    #[arg(long)]
    channel: Option<String>,
    /// How long the token is valid: 30s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    ttl: Duration,
    /// Where the server keeps its secret (CARTCAST_SECRET wins when set).
    #[arg(long, default_value = "./cartcast-data")]
    data_dir: PathBuf,
}

impl Cli {
    /// Read the settings once, then start the role or run the command asked for.
    pub async fn run(self) -> anyhow::Result<()> {
        let mut settings = Settings::from_env()?;
        settings.log_format = self.log_format.unwrap_or(settings.log_format);
        match self.command {
            Command::Up(args) => {
                init_logs(settings.log_format)?;
                up::run(Up { settings, data_dir: args.data_dir, http: args.http, rtmp: args.rtmp }).await
            }
            Command::Api(args) => api::run(distributed(args, settings)?, api::Role::Api).await,
            Command::Gateway(args) => api::run(distributed(args, settings)?, api::Role::Gateway).await,
            Command::Worker(args) => worker::run(distributed(args, settings)?).await,
            Command::Projector(args) => projector::run(distributed(args, settings)?).await,
            Command::Media(args) => media::run(distributed(args, settings)?).await,
            Command::Replay(args) => analyst::replay(args, &settings).await,
            Command::Audit(args) => auditor::audit(args, &settings).await,
            Command::Projections(args) => rebuild::projections(args, settings).await,
            Command::FramesSchema => {
                println!("{}", serde_json::to_string_pretty(&frames::json_schema())?);
                Ok(())
            }
            Command::Token(args) => {
                let secret = load_secret(settings.secret.as_ref(), Some(&args.data_dir))?;
                let token = Signer::new(&secret).issue(&args.sub, args.role, args.channel.as_deref(), args.ttl);
                println!("{token}");
                Ok(())
            }
        }
    }
}

/// A distributed role's options, its logs started.
fn distributed(args: DistributedArgs, settings: Settings) -> anyhow::Result<Distributed> {
    let options = args.into_options(settings)?;
    init_logs(options.settings.log_format)?;
    Ok(options)
}

fn init_logs(format: LogFormat) -> anyhow::Result<()> {
    let subscriber = telemetry::get_subscriber("info", format, std::io::stderr);
    telemetry::init_subscriber(subscriber).context("installing the log subscriber")
}

/// The exit code and one-line message for a failure.
pub fn report(error: &anyhow::Error) -> (u8, String) {
    (1, format!("cartcast: {error:#}").replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn up_has_the_contract_defaults() {
        let cli = Cli::try_parse_from(["cartcast", "up"]).unwrap();
        let Command::Up(args) = cli.command else { panic!("not up") };
        assert_eq!(args.data_dir, PathBuf::from("./cartcast-data"));
        assert_eq!(args.http, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.rtmp, "127.0.0.1:1935".parse().unwrap());
    }

    #[test]
    fn token_parses_role_and_ttl() {
        let cli =
            Cli::try_parse_from(["cartcast", "token", "--sub", "ann", "--role", "auditor", "--ttl", "7d"]).unwrap();
        let Command::Token(args) = cli.command else { panic!("not token") };
        assert_eq!(args.role, Role::Auditor);
        assert_eq!(args.ttl, Duration::from_secs(7 * 24 * 3600));
        assert!(Cli::try_parse_from(["cartcast", "token", "--sub", "ann", "--role", "king"]).is_err());
    }

    #[test]
    fn a_failure_is_one_line_with_its_causes() {
        let error = anyhow::anyhow!("disk full\nreally").context("writing the secret");
        let (code, line) = report(&error);
        assert_eq!(code, 1);
        assert_eq!(line, "cartcast: writing the secret: disk full really");
    }
}
