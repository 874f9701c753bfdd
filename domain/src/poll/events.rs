//! What happened to a show's polls. Each vote event carries the counts it
//! leaves, and the closing event the result, so screens copy values.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;

use super::Ballot;
use crate::ids::PollId;

/// Why a poll closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Its creator closed it.
    Closed,
    /// Its duration ran out.
    TimeUp,
    /// The show ended.
    ShowEnded,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum PollsEvent {
    PollOpened {
        poll_id: PollId,
        question: String,
        options: Vec<String>,
        changeable: bool,
        closes_at: Option<DateTime<Utc>>,
        opened_at: DateTime<Utc>,
    },
    /// Ballots that changed the count (new voters, and changed minds where
    /// the poll allows it), and the counts they leave.
    VotesCast { poll_id: PollId, ballots: Vec<Ballot>, counts: Vec<u64> },
    /// The result: final counts, how many voted, the leading options (more
    /// than one on a tie; none without votes).
    PollClosed {
        poll_id: PollId,
        counts: Vec<u64>,
        voters: u64,
        leading: Vec<u8>,
        reason: CloseReason,
        closed_at: DateTime<Utc>,
    },
}

impl DomainEvent for PollsEvent {
    fn event_type(&self) -> String {
        match self {
            PollsEvent::PollOpened { .. } => "PollOpened",
            PollsEvent::VotesCast { .. } => "VotesCast",
            PollsEvent::PollClosed { .. } => "PollClosed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        crate::versions::current(&self.event_type()).to_string()
    }
}
