//! Debian's Chromium, headless, driven over WebDriver (chromedriver): pages
//! of the real binary opened at a phone's or a desktop's size, read and
//! clicked like a user would, screenshots saved under `target/screenshots/`,
//! and axe-core's accessibility audit run in the page.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How long a page may take to show what a test waits for.
pub const WITHIN: Duration = Duration::from_secs(15);

/// A window size.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
}

pub const PHONE: Size = Size { name: "phone", width: 390, height: 844 };
pub const DESKTOP: Size = Size { name: "desktop", width: 1280, height: 800 };

/// A chromedriver on a free port; stopped on drop.
pub struct Browser {
    driver: Child,
    url: String,
}

impl Browser {
    pub async fn start() -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver (package chromium-driver, installed by scripts/deps)")?;
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        let deadline = Instant::now() + WITHIN;
        loop {
            let ready = reqwest::get(&status).await.ok().map(|answer| answer.status().is_success());
            if ready == Some(true) {
                return Ok(Self { driver, url });
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not answer on {url} within {WITHIN:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A new browser (its own profile: cookies, storage) at `size`, on `base`.
    pub async fn page(&self, base: &str, size: Size) -> anyhow::Result<Page> {
        let profile = crate::temp_dir("chromium");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--autoplay-policy=no-user-gesture-required".to_owned(),
            format!("--window-size={},{}", size.width, size.height),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), json!({ "binary": "/usr/bin/chromium", "args": args }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .context("opening a Chromium session")?;
        client.set_window_size(size.width, size.height).await?;
        Ok(Page { client, base: base.trim_end_matches('/').to_owned(), size, profile })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.start_kill();
    }
}

/// One browser window on the app.
pub struct Page {
    pub client: Client,
    base: String,
    pub size: Size,
    profile: PathBuf,
}

impl Page {
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Fills the sign-in (or, with `new_account`, the sign-up) form and waits
    /// until the page has moved on to `next`, signed in.
    pub async fn sign_in(&self, username: &str, password: &str, next: &str, new_account: bool) -> anyhow::Result<()> {
        let form = if new_account { "/signup" } else { "/signin" };
        self.goto(&format!("{form}?next={}", next.replace('?', "%3F"))).await?;
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        self.click("form button[type=submit]").await?;
        let want = next.split('?').next().unwrap_or(next);
        self.until("signed in, on to the next page", "return location.pathname === arguments[0];", vec![json!(want)])
            .await?;
        self.until_text("[data-testid=who]", "the header names the user", |who| who == username).await?;
        Ok(())
    }

    /// Waits until the page is at a path under `prefix`; the path's last segment (an id).
    pub async fn until_under(&self, prefix: &str, what: &str) -> anyhow::Result<String> {
        self.until(what, "return location.pathname.startsWith(arguments[0]);", vec![json!(prefix)]).await?;
        let id = self.eval("return location.pathname.split('/').pop();", vec![]).await?;
        Ok(id.as_str().unwrap_or_default().to_owned())
    }

    /// The text of the first element matching `css`, or None.
    pub async fn text(&self, css: &str) -> anyhow::Result<Option<String>> {
        let value = self
            .eval("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", vec![json!(css)])
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Waits until the text of `css` satisfies `want`; returns it.
    pub async fn until_text(&self, css: &str, what: &str, want: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let deadline = Instant::now() + WITHIN;
        loop {
            let text = self.text(css).await?;
            if let Some(text) = text.as_deref().filter(|text| want(text)) {
                return Ok(text.to_owned());
            }
            if Instant::now() > deadline {
                bail!("{what}: `{css}` reads {text:?} after {WITHIN:?}{}", self.failure(what).await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `script` returns true.
    pub async fn until(&self, what: &str, script: &str, args: Vec<Value>) -> anyhow::Result<()> {
        let deadline = Instant::now() + WITHIN;
        loop {
            if self.eval(script, args.clone()).await? == json!(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{what}: not so after {WITHIN:?}{}", self.failure(what).await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What a failed wait reports: the page's text, and a screenshot saved for a look.
    async fn failure(&self, what: &str) -> String {
        let name = format!("failed-{}", what.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
        let shot = self.screenshot(&name).await.map(|path| path.display().to_string());
        let text = self.eval("return document.body.innerText;", vec![]).await.unwrap_or_default();
        format!(
            " ({} page; screenshot {shot:?}); the page reads:\n{}",
            self.size.name,
            text.as_str().unwrap_or_default()
        )
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client.wait().at_most(WITHIN).for_element(Locator::Css(css)).await?.click().await?;
        Ok(())
    }

    /// Types `text` into the field `css` over its old value, as a user would:
    /// select all, delete, type. (WebDriver's element clear fires no `input`
    /// event, so a controlled field could put its old value back.)
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        const SELECT_ALL_DELETE: &str = "\u{e009}a\u{e000}\u{e003}";
        let field = self.client.wait().at_most(WITHIN).for_element(Locator::Css(css)).await?;
        field.send_keys(&format!("{SELECT_ALL_DELETE}{text}")).await?;
        Ok(())
    }

    /// Saves a PNG of the window as `target/screenshots/NAME-SIZE.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}-{}.png", self.size.name));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// Saves a screenshot of the page from its top as `NAME-SIZE.png`, and
    /// fails if axe-core finds a serious or critical violation on it.
    pub async fn audit(&self, name: &str) -> anyhow::Result<()> {
        self.eval("window.scrollTo(0, 0); return true;", vec![]).await?;
        self.screenshot(name).await?;
        let problems = self.accessibility_problems().await?;
        anyhow::ensure!(problems.is_empty(), "{name} ({}): {problems:#?}", self.size.name);
        Ok(())
    }

    /// axe-core's serious and critical violations on the page, as `id: help (n nodes)` lines.
    pub async fn accessibility_problems(&self) -> anyhow::Result<Vec<String>> {
        let axe = std::fs::read_to_string(web_dir().join("node_modules/axe-core/axe.min.js"))
            .context("axe-core (a dev dependency of web/, installed by its build)")?;
        self.eval(&format!("{axe}\nwindow.axe = axe; return true;"), vec![]).await?;
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => `${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')})`)))
              .catch(e => done([`axe failed: ${e}`]));";
        let found = self.client.execute_async(script, vec![]).await?;
        Ok(serde_json::from_value(found)?)
    }

    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        let _ = std::fs::remove_dir_all(&self.profile);
        Ok(())
    }
}

/// `target/screenshots`, beside the binary under test's profile directory.
pub fn screenshots_dir() -> PathBuf {
    let bin = crate::cartcast_bin();
    bin.parent()
        .and_then(|profile| profile.parent())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
        .join("screenshots")
}

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web")
}
