//! The sale against a running Cartcast over its HTTP API: create the product
//! as a creator, let every buyer reserve one unit (through the lean client,
//! measuring its CPU and the server's meanwhile), then read the product back
//! at the highest position answered and check its stock.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use cartcast_command_api::auth::Signer;
use cartcast_domain::Role;
use hyper::header::HeaderValue;
use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::drive::{Answer, Sale, Tally};
use crate::lean::{self, Prepared, Target};

/// Lifetime of the tokens minted for the run.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Longest wait for any one answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The stock counters of `GET /api/v1/products/{id}`.
#[derive(Debug, Deserialize)]
struct Stock {
    total: u64,
    available: u64,
    reserved: u64,
    sold: u64,
}

#[derive(Deserialize)]
struct ProductView {
    stock: Stock,
}

/// Every buyer's request, signed before any clock starts.
pub fn prepare(signer: &Signer, sale: &Sale) -> anyhow::Result<Arc<Vec<Prepared>>> {
    let buyers = (0..sale.buyers)
        .map(|buyer| {
            let token = signer.issue(&format!("flash-sale-buyer-{buyer}"), Role::Viewer, None, TOKEN_TTL);
            Ok(Prepared {
                authorization: HeaderValue::from_str(&format!("Bearer {token}"))?,
                idempotency_key: HeaderValue::from_str(&Uuid::new_v4().to_string())?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Arc::new(buyers))
}

/// Runs the sale of `buyers` against the deployment's API processes `bases`
/// (the product created and read back through the first); `server` are the
/// pids of the processes whose CPU the answers cost.
pub async fn run(
    bases: &[Url],
    signer: &Signer,
    buyers: Arc<Vec<Prepared>>,
    sale: &Sale,
    server: &[i32],
) -> anyhow::Result<Tally> {
    let client = Client::builder().http1_only().timeout(REQUEST_TIMEOUT).build().context("building the HTTP client")?;
    let creator =
        signer.issue(&format!("flash-sale-creator-{}", Uuid::new_v4().simple()), Role::Creator, None, TOKEN_TTL);
    let base = bases.first().context("no API URL to run the sale against")?;
    let product_id = create_product(&client, base, &creator, sale.units).await?;
    let mut targets = Vec::with_capacity(bases.len());
    for api in bases {
        targets.push(target(api, &reservations_path(&product_id)).await?);
    }
    let mut tally = lean::reserve_all("cartcast", targets, buyers, sale.concurrency, server).await?;
    if tally.unpositioned > 0 {
        let detail = format!("{} sold answers carried no numeric \"position\"", tally.unpositioned);
        tally.fail("sold answer without a position", detail);
    }
    check_read_model(&client, base, &creator, &product_id, sale.units, &mut tally).await?;
    Ok(tally)
}

/// Where a product's reservations are posted.
pub fn reservations_path(product_id: &str) -> String {
    format!("/api/v1/products/{product_id}/reservations")
}

/// Where `path` on `base` is reached: its socket address and `Host` header.
pub async fn target(base: &Url, path: &str) -> anyhow::Result<Target> {
    let host = base.host_str().context("the URL has no host")?;
    let port = base.port_or_known_default().context("the URL has no port")?;
    let addr = tokio::net::lookup_host((host, port))
        .await
        .with_context(|| format!("resolving {host}"))?
        .next()
        .with_context(|| format!("{host} resolves to no address"))?;
    let path = path.parse().with_context(|| format!("the request target {path}"))?;
    Ok(Target { addr, host: HeaderValue::from_str(&format!("{host}:{port}"))?, path })
}

async fn create_product(client: &Client, base: &Url, token: &str, units: u64) -> anyhow::Result<String> {
    let response = client
        .post(base.join("api/v1/products").context("building the products URL")?)
        .bearer_auth(token)
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .json(&json!({
            "sku": format!("flash-{}", Uuid::new_v4().simple()),
            "title": "Flash sale",
            "price_minor": 1999,
            "currency": "EUR",
            "stock": units,
        }))
        .send()
        .await
        .context("creating the product")?;
    let status = response.status();
    let body = response.text().await.context("reading the product's creation answer")?;
    if status != StatusCode::CREATED {
        bail!("creating the product answered {status}: {body}");
    }
    let created: Value = serde_json::from_str(&body).with_context(|| format!("parsing the creation answer {body}"))?;
    created["product_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the creation answer has no product_id: {body}"))
}

/// The one field of a 201 the sale needs (the rest is skipped, not parsed into a tree).
#[derive(Deserialize)]
struct SoldAnswer {
    position: Option<u64>,
}

/// The error code of a refusal.
#[derive(Deserialize)]
struct Refusal<'a> {
    #[serde(borrow)]
    error: RefusalDetail<'a>,
}

#[derive(Deserialize)]
struct RefusalDetail<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
}

/// 201 and 409 `sold_out` are the definitive answers; any other status is an
/// error of its own kind. A 201 whose `position` is missing or not a number
/// is sold without a position (which the run counts as an error).
pub fn classify(status: StatusCode, body: &[u8]) -> Answer {
    if status == StatusCode::CREATED {
        let position = serde_json::from_slice::<SoldAnswer>(body).ok().and_then(|sold| sold.position);
        return Answer::Sold { position };
    }
    let code = serde_json::from_slice::<Refusal>(body).ok().map(|refusal| refusal.error.code);
    if status == StatusCode::CONFLICT && code.as_deref() == Some("sold_out") {
        return Answer::SoldOut;
    }
    let kind = match code {
        Some(code) => format!("{status} {code}"),
        None => status.to_string(),
    };
    Answer::Failed { kind, detail: format!("{status}: {}", String::from_utf8_lossy(body)) }
}

/// Reads the product once the read model has caught up with every sold answer
/// and counts each broken expectation as an error.
async fn check_read_model(
    client: &Client,
    base: &Url,
    token: &str,
    product_id: &str,
    units: u64,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let mut url = base.join(&format!("api/v1/products/{product_id}")).context("building the product URL")?;
    if let Some(position) = tally.last_position {
        url.query_pairs_mut().append_pair("after", &position.to_string());
    }
    let response = client.get(url).bearer_auth(token).send().await.context("reading the product back")?;
    let status = response.status();
    let body = response.text().await.context("reading the product's body")?;
    if status != StatusCode::OK {
        tally.fail("read model unreadable", format!("reading the product back answered {status}: {body}"));
        return Ok(());
    }
    let stock =
        serde_json::from_str::<ProductView>(&body).with_context(|| format!("parsing the product {body}"))?.stock;
    if stock.available + stock.reserved + stock.sold != stock.total {
        tally.fail("read model inconsistent", format!("read model: available + reserved + sold != total in {stock:?}"));
    }
    if stock.total != units {
        tally.fail(
            "read model inconsistent",
            format!("read model: total {} but the product was created with {units}", stock.total),
        );
    }
    if stock.reserved != tally.sold {
        tally.fail(
            "read model inconsistent",
            format!("read model: {} reserved but {} answered sold", stock.reserved, tally.sold),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(answer: Answer) -> String {
        match answer {
            Answer::Sold { position } => format!("sold {position:?}"),
            Answer::SoldOut => "sold out".to_owned(),
            Answer::Failed { kind, .. } => kind,
        }
    }

    #[test]
    fn answers_are_told_apart_by_status_and_code() {
        let sold = br#"{"reservation_id":"p.1","product_id":"p","quantity":1,"expires_at":"2026-11-30T12:00:00Z","position":42}"#;
        assert_eq!(kind(classify(StatusCode::CREATED, sold)), "sold Some(42)");
        assert_eq!(kind(classify(StatusCode::CREATED, br#"{"position":"42"}"#)), "sold None");
        let sold_out = br#"{"error":{"code":"sold_out","message":"only 0 left"}}"#;
        assert_eq!(kind(classify(StatusCode::CONFLICT, sold_out)), "sold out");
        let other = br#"{"error":{"code":"idempotency_conflict","message":"another body"}}"#;
        assert_eq!(kind(classify(StatusCode::CONFLICT, other)), "409 Conflict idempotency_conflict");
        assert_eq!(kind(classify(StatusCode::BAD_GATEWAY, b"<html>")), "502 Bad Gateway");
    }
}
