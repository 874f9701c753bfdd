//! One running `cartcast` process (or a bench's own peer server): started
//! with its arguments, its `listening http://ADDR` line read from stdout,
//! stopped with SIGTERM or killed.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Process {
    pub name: String,
    child: Child,
    /// `http://ADDR` when the process serves HTTP.
    pub url: Option<String>,
    /// `rtmp://ADDR` when it takes RTMP publishers (printed before the HTTP line).
    pub rtmp: Option<String>,
}

impl Process {
    /// Start `cartcast <args>` with `env`; when `serves_http`, wait (≤60 s) for its listening line.
    pub async fn start(
        name: &str,
        args: &[String],
        env: &[(String, String)],
        serves_http: bool,
    ) -> anyhow::Result<Self> {
        Self::start_program(crate::cartcast_bin().as_os_str(), name, args, env, serves_http).await
    }

    /// Start `program <args>` with `env`, as [`Process::start`] does `cartcast`.
    pub async fn start_program(
        program: &OsStr,
        name: &str,
        args: &[String],
        env: &[(String, String)],
        serves_http: bool,
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("RUST_LOG", std::env::var("CARTCAST_TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().with_context(|| format!("starting {name}"))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        let mut rtmp = None;
        if serves_http {
            let found = tokio::time::timeout(Duration::from_secs(60), async {
                while let Some(line) = lines.next_line().await? {
                    if let Some(addr) = line.strip_prefix("listening rtmp://") {
                        rtmp = Some(format!("rtmp://{}", addr.trim()));
                    }
                    if let Some(addr) = line.strip_prefix("listening http://") {
                        return Ok::<_, std::io::Error>(Some(format!("http://{}", addr.trim())));
                    }
                }
                Ok(None)
            })
            .await
            .with_context(|| format!("{name} did not print its listening line within 60 s"))??;
            match found {
                Some(u) => url = Some(u),
                None => bail!("{name} exited before listening"),
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe; with
        // CARTCAST_TEST_LOG set (a log filter), its log lines go to stderr.
        let echo = std::env::var_os("CARTCAST_TEST_LOG").is_some().then(|| name.to_owned());
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(name) = &echo {
                    eprintln!("[{name}] {line}");
                }
            }
        });
        Ok(Self { name: name.to_owned(), child, url, rtmp })
    }

    pub fn pid(&self) -> anyhow::Result<i32> {
        Ok(self.child.id().context("process already reaped")? as i32)
    }

    /// SIGTERM, then wait up to `within` for a clean exit; returns its exit code.
    pub async fn terminate(&mut self, within: Duration) -> anyhow::Result<i32> {
        // Safety: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.pid()?, libc::SIGTERM) };
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .with_context(|| format!("{} did not stop within {within:?} of SIGTERM", self.name))??;
        Ok(status.code().unwrap_or(-1))
    }

    /// Wait up to `within` for the process to exit by itself.
    pub async fn wait(mut self, within: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .with_context(|| format!("{} did not exit within {within:?}", self.name))??;
        Ok(status)
    }

    /// `kill -9`: no chance to clean up.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        // Safety: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.pid()?, libc::SIGKILL) };
        self.child.wait().await?;
        Ok(())
    }
}
