//! What can be asked of a show's polls. The worker passes in what it read
//! from the show (whether the actor owns it, its status) and the time.

use chrono::{DateTime, Utc};

use crate::show::ShowStatus;

/// One viewer's choice: `option` counts from 0.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballot {
    pub voter: String,
    pub option: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PollsCommand {
    /// The show's creator (`owner`) asks a question.
    Open {
        show_id: String,
        owner: bool,
        show: ShowStatus,
        question: String,
        options: Vec<String>,
        duration_s: Option<u32>,
        changeable: bool,
        now: DateTime<Utc>,
    },
    /// The creator closes poll number `number`.
    Close { owner: bool, number: u64, now: DateTime<Utc> },
    /// Ballots gathered by a gateway over one window, in the order cast.
    Vote { number: u64, ballots: Vec<Ballot>, now: DateTime<Utc> },
    /// The hold timer of polls: closes the open poll if its time is up.
    Expire { now: DateTime<Utc> },
    /// The show ended: its open poll closes.
    EndWithShow { now: DateTime<Utc> },
}
