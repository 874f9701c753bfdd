//! An HTTP client of the Cartcast API as a user's app would be: bearer
//! tokens minted with the deployment's secret, JSON bodies, idempotency keys.

use std::time::Duration;

use cartcast_command_api::auth::Signer;
use cartcast_domain::Role;
use reqwest::Method;
use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    signer: std::sync::Arc<Signer>,
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Answer {
    /// `error.code` of an error answer.
    pub fn code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }
}

impl Client {
    pub fn new(base: &str, secret: &[u8]) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Self { http, base: base.trim_end_matches('/').to_owned(), signer: std::sync::Arc::new(Signer::new(secret)) }
    }

    pub fn token(&self, sub: &str, role: Role) -> String {
        self.token_with_ttl(sub, role, Duration::from_secs(3600))
    }

    /// A token valid for `ttl` (zero: already expired).
    pub fn token_with_ttl(&self, sub: &str, role: Role, ttl: Duration) -> String {
        self.signer.issue(sub, role, None, ttl)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<Answer> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("Content-Type", content_type).body(bytes);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok(Answer { status, body, retry_after })
    }

    /// A JSON request with or without a token (sign-up and sign-in need none).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Answer> {
        self.send(method, path, token, None, Some(("application/json", body.to_string().into_bytes()))).await
    }

    pub async fn post(&self, path: &str, token: &str, key: Option<&str>, body: Value) -> anyhow::Result<Answer> {
        self.send(Method::POST, path, Some(token), key, Some(("application/json", body.to_string().into_bytes()))).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Answer> {
        self.send(Method::PUT, path, Some(token), None, Some(("application/json", body.to_string().into_bytes()))).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Answer> {
        self.send(Method::PATCH, path, Some(token), None, Some(("application/json", body.to_string().into_bytes())))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, token, None, None).await
    }

    pub async fn delete(&self, path: &str, token: &str, key: Option<&str>) -> anyhow::Result<Answer> {
        self.send(Method::DELETE, path, Some(token), key, None).await
    }

    /// Create a product as `creator`; returns its id.
    pub async fn create_product(&self, creator: &str, stock: u64) -> anyhow::Result<String> {
        let token = self.token(creator, Role::Creator);
        let sku = format!("SKU-{}", uuid::Uuid::new_v4().simple());
        let body = serde_json::json!({"sku": sku, "title": "Glow serum", "price_minor": 1999, "currency": "EUR", "stock": stock});
        let answer = self.post("/api/v1/products", &token, None, body).await?;
        anyhow::ensure!(answer.status == 201, "create product answered {}: {}", answer.status, answer.body);
        Ok(answer.body["product_id"].as_str().expect("product_id").to_owned())
    }

    /// Signs up `username` with `password` (`POST /api/v1/accounts`), as the sign-up form does.
    pub async fn sign_up(&self, username: &str, password: &str) -> anyhow::Result<Answer> {
        let body = serde_json::json!({"username": username, "password": password});
        self.send_json(Method::POST, "/api/v1/accounts", None, body).await
    }

    /// Reads the show until its status is `status`; fails after `within`.
    pub async fn until_show_status(&self, show_id: &str, status: &str, within: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let show = self.get(&format!("/api/v1/shows/{show_id}"), None).await?;
            if show.body["status"] == status {
                return Ok(());
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "show never became {status}: {}", show.body);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The product read model, after `position` when given.
    pub async fn product(&self, product_id: &str, after: Option<u64>) -> anyhow::Result<Answer> {
        let query = after.map(|p| format!("?after={p}")).unwrap_or_default();
        self.get(&format!("/api/v1/products/{product_id}{query}"), None).await
    }
}
