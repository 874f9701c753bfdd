//! The polls view: each show's polls with their live counts and, once
//! closed, their result — from the show's `Polls` events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use cartcast_domain::poll::{CloseReason, PollsEvent};
use cartcast_infra::store::StoredEvent;

use crate::read_models::{ReadError, ReadModels};

/// A poll as viewers and its creator see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Poll)]
pub struct PollView {
    /// `<show_id>.<n>`: the show's n-th poll.
    pub poll_id: String,
    pub show_id: String,
    pub question: String,
    pub options: Vec<String>,
    /// Votes per option, in the options' order.
    pub counts: Vec<u64>,
    /// How many viewers voted.
    pub voters: u64,
    pub open: bool,
    /// Whether a voter may change their vote while it is open.
    pub changeable: bool,
    pub opened_at: DateTime<Utc>,
    /// When its time is up, if it has a duration.
    pub closes_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Once closed: `closed` (by the creator), `time_up` or `show_ended`.
    pub close_reason: Option<String>,
    /// The `Polls` stream's sequence this view reflects; newer is larger.
    #[serde(skip)]
    pub version: u64,
}

pub(super) async fn apply(
    tx: &mut Transaction<'static, Any>,
    stored: &StoredEvent,
    event: PollsEvent,
) -> Result<(), ReadError> {
    let version = stored.sequence as i64;
    let query = match event {
        PollsEvent::PollOpened { poll_id, question, options, changeable, closes_at, opened_at } => sqlx::query(
            "INSERT INTO rm_polls (poll_id, show_id, number, question, options, counts, changeable, open, \
             opened_at, closes_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10) \
             ON CONFLICT (poll_id) DO NOTHING",
        )
        .bind(poll_id.to_string())
        .bind(poll_id.show_id().to_owned())
        .bind(poll_id.number() as i64)
        .bind(question)
        .bind(serde_json::to_string(&options)?)
        .bind(serde_json::to_string(&vec![0u64; options.len()])?)
        .bind(i64::from(changeable))
        .bind(opened_at.to_rfc3339())
        .bind(closes_at.map(|at| at.to_rfc3339()))
        .bind(version),
        // Each voter counts once, in one option: the counts sum to the voters.
        PollsEvent::VotesCast { poll_id, counts, .. } => {
            let voters: u64 = counts.iter().sum();
            sqlx::query("UPDATE rm_polls SET counts = $1, voters = $2, version = $3 WHERE poll_id = $4")
                .bind(serde_json::to_string(&counts)?)
                .bind(voters as i64)
                .bind(version)
                .bind(poll_id.to_string())
        }
        PollsEvent::PollClosed { poll_id, counts, voters, reason, closed_at, .. } => sqlx::query(
            "UPDATE rm_polls SET counts = $1, voters = $2, open = 0, close_reason = $3, closed_at = $4, version = $5 \
             WHERE poll_id = $6",
        )
        .bind(serde_json::to_string(&counts)?)
        .bind(voters as i64)
        .bind(reason_name(reason))
        .bind(closed_at.to_rfc3339())
        .bind(version)
        .bind(poll_id.to_string()),
    };
    query.execute(&mut **tx).await?;
    Ok(())
}

fn reason_name(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Closed => "closed",
        CloseReason::TimeUp => "time_up",
        CloseReason::ShowEnded => "show_ended",
    }
}

const COLUMNS: &str = "poll_id, show_id, question, options, counts, voters, open, changeable, opened_at, closes_at, \
                       closed_at, close_reason, version";

fn time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, ReadError> {
    let text: Option<String> = row.try_get(column)?;
    Ok(text.and_then(|text| DateTime::parse_from_rfc3339(&text).ok()).map(|at| at.to_utc()))
}

fn poll_view(row: &AnyRow) -> Result<PollView, ReadError> {
    Ok(PollView {
        poll_id: row.try_get("poll_id")?,
        show_id: row.try_get("show_id")?,
        question: row.try_get("question")?,
        options: serde_json::from_str(&row.try_get::<String, _>("options")?)?,
        counts: serde_json::from_str(&row.try_get::<String, _>("counts")?)?,
        voters: row.try_get::<i64, _>("voters")? as u64,
        open: row.try_get::<i64, _>("open")? != 0,
        changeable: row.try_get::<i64, _>("changeable")? != 0,
        opened_at: time(row, "opened_at")?.unwrap_or_default(),
        closes_at: time(row, "closes_at")?,
        closed_at: time(row, "closed_at")?,
        close_reason: row.try_get("close_reason")?,
        version: row.try_get::<i64, _>("version")? as u64,
    })
}

impl ReadModels {
    pub async fn poll(&self, poll_id: &str) -> Result<Option<PollView>, ReadError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rm_polls WHERE poll_id = $1"))
            .bind(poll_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(poll_view).transpose()
    }

    /// The show's latest poll, open or not: what a live room starts from.
    pub async fn latest_poll(&self, show_id: &str) -> Result<Option<PollView>, ReadError> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM rm_polls WHERE show_id = $1 ORDER BY number DESC LIMIT 1"))
                .bind(show_id)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(poll_view).transpose()
    }
}
