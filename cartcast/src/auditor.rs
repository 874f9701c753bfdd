//! `cartcast audit`: an order's causal history rebuilt from the event store
//! (`audit order ID`, `--order ID` kept) and the store-wide invariant scan
//! (`audit check`); each prints a JSON report and fails, with a one-line
//! summary, when an invariant is broken.

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use cartcast_infra::config::Settings;
use cartcast_infra::payment::{PaymentGateway, TestGateway};
use cartcast_projections::audit::{self, Breach, Violation};

use crate::cli::StoreArgs;
use crate::progress;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    what: Option<Audit>,
    /// The order to reconstruct: the same as `audit order ID`.
    #[arg(long)]
    order: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
enum Audit {
    /// One order's history: its events and the holds of its buyer on its product, in global order.
    Order { id: String },
    /// Scan the whole store; exit 1 with a report when an invariant is broken.
    Check,
}

/// The order breaks an invariant; the message names each one.
#[derive(Debug, thiserror::Error)]
#[error("order {order_id} breaks an invariant: {}", joined(.breaches))]
pub struct AuditFailed {
    order_id: String,
    breaches: Vec<Breach>,
}

fn joined(breaches: &[Breach]) -> String {
    breaches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The store breaks invariants; the message names the first few.
#[derive(Debug, thiserror::Error)]
#[error("the store breaks {} invariant check(s): {}", .0.len(), first_violations(.0))]
pub struct CheckFailed(Vec<Violation>);

fn first_violations(violations: &[Violation]) -> String {
    let named: Vec<String> = violations
        .iter()
        .take(3)
        .map(|v| format!("{} at position {}: {}", v.invariant.as_str(), v.position, v.detail))
        .collect();
    named.join("; ") + if violations.len() > 3 { "; …" } else { "" }
}

pub async fn audit(args: AuditArgs, settings: &Settings) -> anyhow::Result<()> {
    match (args.what, args.order) {
        (Some(Audit::Order { id }), None) | (None, Some(id)) => order(&args.store, &id, settings).await,
        (Some(Audit::Check), None) => check(&args.store, settings).await,
        (Some(_), Some(_)) => anyhow::bail!("--order names an order to audit: use it alone or `audit order ID`"),
        (None, None) => anyhow::bail!("say what to audit: `audit order ID` or `audit check`"),
    }
}

/// Print an order's history rebuilt from the store, with the gateway's
/// captures beside it; fail when it breaks an invariant.
async fn order(store: &StoreArgs, order_id: &str, settings: &Settings) -> anyhow::Result<()> {
    let (store, url) = store.open(settings).await?;
    let audit = audit::audit_order(store.as_ref(), order_id)
        .await?
        .with_context(|| format!("no order {order_id} in the event store"))?;
    let gateway = TestGateway::open(&url, Duration::ZERO).await.context("opening the gateway's ledger")?;
    let gateway_captures = gateway.captures(&audit.order_id).await;
    let mut report = serde_json::to_value(&audit)?;
    report["gateway_captures"] = gateway_captures.into();
    println!("{}", serde_json::to_string_pretty(&report)?);
    let breaches = audit.breaches(gateway_captures);
    if !breaches.is_empty() {
        return Err(AuditFailed { order_id: audit.order_id, breaches }.into());
    }
    Ok(())
}

/// Scan every event and the gateway's ledger; print the report, fail on a violation.
async fn check(store: &StoreArgs, settings: &Settings) -> anyhow::Result<()> {
    let (store, url) = store.open(settings).await?;
    let gateway = TestGateway::open(&url, Duration::ZERO).await.context("opening the gateway's ledger")?;
    let settled = gateway.settlement().await.context("reading the gateway's ledger")?;
    let bar = progress::positions(store.head().await.context("reading the store's last position")?, "checked");
    let report = audit::check(store.as_ref(), &settled, &mut |position| bar.set_position(position)).await?;
    bar.finish_and_clear();
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.violations.is_empty() {
        return Err(CheckFailed(report.violations).into());
    }
    Ok(())
}
