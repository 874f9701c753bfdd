//! The polls aggregate: decides who may open and close a show's polls,
//! which ballots count, and when a poll's time is up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;

use super::{Ballot, CloseReason, PollsCommand, PollsEvent};
use crate::ids::PollId;
use crate::refusal::{DomainError, RefusalKind};
use crate::show::ShowStatus;

/// A poll offers at most this many options (and at least two).
pub const MAX_OPTIONS: usize = 6;
const MAX_QUESTION_CHARS: usize = 200;
const MAX_OPTION_CHARS: usize = 80;
/// How long a poll with a duration may run, in seconds.
const DURATION_S: std::ops::RangeInclusive<u32> = 10..=3600;

/// One poll as it stands.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Poll {
    pub poll_id: Option<PollId>,
    pub question: String,
    pub options: Vec<String>,
    pub changeable: bool,
    pub closes_at: Option<DateTime<Utc>>,
    pub open: bool,
    pub counts: Vec<u64>,
    /// Each voter's counted option.
    pub ballots: HashMap<String, u8>,
}

impl Poll {
    /// Open, and not past its end at `now`.
    pub fn takes_votes(&self, now: DateTime<Utc>) -> bool {
        self.open && self.closes_at.is_none_or(|end| now < end)
    }

    fn leading(&self) -> Vec<u8> {
        let top = self.counts.iter().copied().max().unwrap_or(0);
        if top == 0 {
            return vec![];
        }
        (0..self.counts.len()).filter(|&i| self.counts[i] == top).map(|i| i as u8).collect()
    }

    fn closed(&self, reason: CloseReason, now: DateTime<Utc>) -> PollsEvent {
        PollsEvent::PollClosed {
            poll_id: self.poll_id.clone().expect("an opened poll has its id"),
            counts: self.counts.clone(),
            voters: self.ballots.len() as u64,
            leading: self.leading(),
            reason,
            closed_at: now,
        }
    }
}

/// Every poll of one show, numbered from 1 in the order opened.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Polls {
    pub polls: Vec<Poll>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PollError {
    #[error("show not found")]
    ShowNotFound,
    #[error("only the show's creator may do this")]
    NotCreator,
    #[error("the show has ended")]
    ShowEnded,
    #[error("a poll is already open in this show; close it first")]
    AlreadyOpen,
    #[error("poll not found")]
    NotFound,
    #[error("the poll is closed")]
    Closed,
    #[error("invalid `{field}`: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
}

impl DomainError for PollError {
    fn code(&self) -> &'static str {
        match self {
            PollError::ShowNotFound => "show_not_found",
            PollError::NotCreator => "not_creator",
            PollError::ShowEnded => "wrong_show_status",
            PollError::AlreadyOpen => "poll_already_open",
            PollError::NotFound => "poll_not_found",
            PollError::Closed => "poll_closed",
            PollError::Invalid { .. } => "invalid_input",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            PollError::ShowNotFound | PollError::NotFound => RefusalKind::NotFound,
            PollError::NotCreator => RefusalKind::NotAllowed,
            PollError::ShowEnded | PollError::AlreadyOpen | PollError::Closed => RefusalKind::Conflict,
            PollError::Invalid { .. } => RefusalKind::Invalid,
        }
    }
}

/// Why one ballot of a batch did not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotRefusal {
    /// The poll does not let a voter change their vote.
    AlreadyVoted,
    NoSuchOption,
}

impl BallotRefusal {
    pub fn code(self) -> &'static str {
        match self {
            BallotRefusal::AlreadyVoted => "already_voted",
            BallotRefusal::NoSuchOption => "invalid_option",
        }
    }
}

fn invalid(field: &'static str, reason: &'static str) -> PollError {
    PollError::Invalid { field, reason }
}

impl Polls {
    /// Poll number `number` (from 1).
    pub fn poll(&self, number: u64) -> Option<&Poll> {
        usize::try_from(number).ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.polls.get(i))
    }

    /// The poll that is open, if any (it may be past its end, waiting for its timer).
    pub fn open_poll(&self) -> Option<&Poll> {
        self.polls.last().filter(|poll| poll.open)
    }

    /// When the open poll's time is up, for the worker's timer.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.open_poll().and_then(|poll| poll.closes_at)
    }

    /// Sorts a batch's ballots for poll `number` into those that change the
    /// count (each voter's last word, in order) and those refused, as the
    /// poll stands now. Repeats of a voter's counted choice are neither.
    pub fn judge(&self, number: u64, ballots: &[Ballot]) -> (Vec<Ballot>, Vec<(Ballot, BallotRefusal)>) {
        let Some(poll) = self.poll(number) else {
            return (vec![], vec![]);
        };
        let mut counted: HashMap<&str, u8> = HashMap::new();
        let mut refused = Vec::new();
        for ballot in ballots {
            let before = counted.get(ballot.voter.as_str()).or_else(|| poll.ballots.get(&ballot.voter)).copied();
            if usize::from(ballot.option) >= poll.options.len() {
                refused.push((ballot.clone(), BallotRefusal::NoSuchOption));
            } else if before.is_some_and(|option| option != ballot.option) && !poll.changeable {
                refused.push((ballot.clone(), BallotRefusal::AlreadyVoted));
            } else {
                counted.insert(&ballot.voter, ballot.option);
            }
        }
        let mut taken: Vec<Ballot> = Vec::new();
        for ballot in ballots {
            let last = counted.get(ballot.voter.as_str()) == Some(&ballot.option);
            let news = poll.ballots.get(&ballot.voter) != Some(&ballot.option);
            if last && news && !taken.iter().any(|t| t.voter == ballot.voter) {
                taken.push(ballot.clone());
            }
        }
        (taken, refused)
    }

    fn decide(&self, command: PollsCommand) -> Result<Vec<PollsEvent>, PollError> {
        match command {
            PollsCommand::Open { show_id, owner, show, question, options, duration_s, changeable, now } => {
                match show {
                    ShowStatus::New => return Err(PollError::ShowNotFound),
                    ShowStatus::Ended | ShowStatus::Cancelled => return Err(PollError::ShowEnded),
                    ShowStatus::Scheduled | ShowStatus::Live => {}
                }
                if !owner {
                    return Err(PollError::NotCreator);
                }
                let (question, options) = asked(&question, options)?;
                if duration_s.is_some_and(|s| !DURATION_S.contains(&s)) {
                    return Err(invalid("duration_s", "is 10 to 3600 seconds"));
                }
                let mut events = Vec::new();
                if let Some(open) = self.open_poll() {
                    if open.takes_votes(now) {
                        return Err(PollError::AlreadyOpen);
                    }
                    events.push(open.closed(CloseReason::TimeUp, now));
                }
                events.push(PollsEvent::PollOpened {
                    poll_id: PollId::new(&show_id, self.polls.len() as u64 + 1),
                    question,
                    options,
                    changeable,
                    closes_at: duration_s.map(|s| now + chrono::Duration::seconds(i64::from(s))),
                    opened_at: now,
                });
                Ok(events)
            }
            PollsCommand::Close { owner, number, now } => {
                let poll = self.poll(number).ok_or(PollError::NotFound)?;
                if !owner {
                    return Err(PollError::NotCreator);
                }
                let reason = if poll.takes_votes(now) { CloseReason::Closed } else { CloseReason::TimeUp };
                Ok(if poll.open { vec![poll.closed(reason, now)] } else { vec![] })
            }
            PollsCommand::Vote { number, ballots, now } => {
                let poll = self.poll(number).ok_or(PollError::NotFound)?;
                if !poll.takes_votes(now) {
                    return Err(PollError::Closed);
                }
                let (taken, _) = self.judge(number, &ballots);
                if taken.is_empty() {
                    return Ok(vec![]);
                }
                let mut counts = poll.counts.clone();
                for ballot in &taken {
                    if let Some(&before) = poll.ballots.get(&ballot.voter) {
                        counts[usize::from(before)] -= 1;
                    }
                    counts[usize::from(ballot.option)] += 1;
                }
                let poll_id = poll.poll_id.clone().expect("an opened poll has its id");
                Ok(vec![PollsEvent::VotesCast { poll_id, ballots: taken, counts }])
            }
            PollsCommand::Expire { now } => Ok(match self.open_poll() {
                Some(poll) if !poll.takes_votes(now) => vec![poll.closed(CloseReason::TimeUp, now)],
                _ => vec![],
            }),
            PollsCommand::EndWithShow { now } => {
                Ok(self.open_poll().map(|poll| poll.closed(CloseReason::ShowEnded, now)).into_iter().collect())
            }
        }
    }
}

/// The question and options as kept: trimmed, within bounds, options distinct.
fn asked(question: &str, options: Vec<String>) -> Result<(String, Vec<String>), PollError> {
    let question = question.trim();
    if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
        return Err(invalid("question", "is 1 to 200 characters"));
    }
    if !(2..=MAX_OPTIONS).contains(&options.len()) {
        return Err(invalid("options", "2 to 6 of them"));
    }
    let mut kept: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let option = option.trim();
        if option.is_empty() || option.chars().count() > MAX_OPTION_CHARS {
            return Err(invalid("options", "each is 1 to 80 characters"));
        }
        if kept.iter().any(|k| k.to_lowercase() == option.to_lowercase()) {
            return Err(invalid("options", "each is different"));
        }
        kept.push(option.to_owned());
    }
    Ok((question.to_owned(), kept))
}

impl Aggregate for Polls {
    const TYPE: &'static str = "Polls";
    type Command = PollsCommand;
    type Event = PollsEvent;
    type Error = PollError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            PollsEvent::PollOpened { poll_id, question, options, changeable, closes_at, .. } => {
                self.polls.push(Poll {
                    counts: vec![0; options.len()],
                    poll_id: Some(poll_id),
                    question,
                    options,
                    changeable,
                    closes_at,
                    open: true,
                    ballots: HashMap::new(),
                });
            }
            PollsEvent::VotesCast { poll_id, ballots, counts } => {
                if let Some(poll) = self.polls.get_mut(index(&poll_id)) {
                    poll.ballots.extend(ballots.into_iter().map(|b| (b.voter, b.option)));
                    poll.counts = counts;
                }
            }
            PollsEvent::PollClosed { poll_id, .. } => {
                if let Some(poll) = self.polls.get_mut(index(&poll_id)) {
                    poll.open = false;
                }
            }
        }
    }
}

fn index(poll_id: &PollId) -> usize {
    usize::try_from(poll_id.number().saturating_sub(1)).unwrap_or(usize::MAX)
}
