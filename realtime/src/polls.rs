//! Polls in a room: the show's poll as viewers see it, and the votes its
//! sockets cast. A vote is checked here first (signed in, the open poll, an
//! option it has, not a second vote where votes may not change), then
//! gathered for a window and sent as one `CountVotes` command; the show's
//! polls aggregate counts each voter once across every gateway, and its
//! events bring the new counts back to every room.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use cartcast_domain::ids::PollId;
use cartcast_domain::poll::{Ballot, PollsEvent};
use cartcast_infra::outcome::PollState;

use crate::frames::ServerFrame;

/// Why a vote was not counted; each is an `error` frame's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteRefusal {
    #[error("sign in to vote")]
    SignInRequired,
    #[error("no such poll in this show")]
    NotFound,
    #[error("the poll is closed")]
    Closed,
    #[error("the poll has no such option")]
    InvalidOption,
    #[error("you have voted in this poll already, and its votes cannot change")]
    AlreadyVoted,
    #[error("the vote could not be counted now; try again")]
    Unavailable,
}

impl VoteRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            VoteRefusal::SignInRequired => "sign_in_required",
            VoteRefusal::NotFound => "poll_not_found",
            VoteRefusal::Closed => "poll_closed",
            VoteRefusal::InvalidOption => "invalid_option",
            VoteRefusal::AlreadyVoted => "already_voted",
            VoteRefusal::Unavailable => "unavailable",
        }
    }

    /// The refusal a command's code stands for.
    pub fn from_code(code: &str) -> Self {
        match code {
            "poll_not_found" => VoteRefusal::NotFound,
            "poll_closed" => VoteRefusal::Closed,
            "invalid_option" => VoteRefusal::InvalidOption,
            "already_voted" => VoteRefusal::AlreadyVoted,
            _ => VoteRefusal::Unavailable,
        }
    }

    pub fn frame(&self) -> ServerFrame {
        ServerFrame::error(self.code(), self.to_string())
    }
}

/// What became of a vote the room took.
pub enum Cast {
    /// The voter's counted vote already: the same answer again.
    Counted(u8),
    /// Waits for this window's command, whose answer (`voted` or an `error`
    /// frame) the receiver gets.
    Pending(oneshot::Receiver<ServerFrame>),
}

/// A vote waiting for its window's command; its socket waits for the answer.
pub struct PendingBallot {
    pub ballot: Ballot,
    pub answer: oneshot::Sender<ServerFrame>,
}

/// The room's poll and the votes cast through this gateway.
#[derive(Default)]
pub struct Votes {
    pub poll: Option<PollState>,
    /// Whether the sockets have not been told the poll as it is now.
    pub changed: bool,
    /// This gateway's voters in the current poll, and their counted option.
    voted: HashMap<Arc<str>, u8>,
    /// Ballots for the current poll gathered in this window.
    pending: Vec<PendingBallot>,
}

impl Votes {
    /// Checks `session`'s vote for `option` of `poll_id` and takes it.
    pub fn cast(
        &mut self,
        session: &Arc<str>,
        poll_id: &str,
        option: u32,
        now: DateTime<Utc>,
    ) -> Result<Cast, VoteRefusal> {
        let poll = self.poll.as_ref().ok_or(VoteRefusal::NotFound)?;
        if poll.poll_id != poll_id {
            // An earlier poll of the show is closed; anything else is no poll of it.
            return Err(if earlier(poll_id, &poll.poll_id) { VoteRefusal::Closed } else { VoteRefusal::NotFound });
        }
        if !poll.open || poll.closes_at.is_some_and(|end| now >= end) {
            return Err(VoteRefusal::Closed);
        }
        let option = u8::try_from(option).ok().filter(|&o| usize::from(o) < poll.options.len());
        let option = option.ok_or(VoteRefusal::InvalidOption)?;
        match self.voted.get(session) {
            Some(&counted) if counted == option => return Ok(Cast::Counted(option)),
            Some(_) if !poll.changeable => return Err(VoteRefusal::AlreadyVoted),
            _ => {}
        }
        let (answer, receiver) = oneshot::channel();
        self.pending.push(PendingBallot { ballot: Ballot { voter: session.to_string(), option }, answer });
        Ok(Cast::Pending(receiver))
    }

    /// The window's ballots, with the poll they are for.
    pub fn take_pending(&mut self) -> Option<(PollId, Vec<PendingBallot>)> {
        let poll_id = self.poll.as_ref()?.poll_id.parse().ok()?;
        (!self.pending.is_empty()).then(|| (poll_id, std::mem::take(&mut self.pending)))
    }

    /// A ballot of this gateway counted.
    pub fn counted(&mut self, poll_id: &str, ballot: &Ballot) {
        if self.poll.as_ref().is_some_and(|poll| poll.poll_id == poll_id) {
            self.voted.insert(ballot.voter.as_str().into(), ballot.option);
        }
    }

    /// The poll as the read side has it, unless the room heard newer.
    pub fn seed(&mut self, poll: PollState) {
        if self.poll.as_ref().is_none_or(|known| known.version < poll.version) {
            self.set(poll);
        }
    }

    /// One of the show's poll events, at its sequence `version`.
    pub fn heard(&mut self, event: PollsEvent, version: u64) {
        if self.poll.as_ref().is_some_and(|known| known.version >= version) {
            return;
        }
        match event {
            PollsEvent::PollOpened { poll_id, question, options, changeable, closes_at, .. } => {
                let counts = vec![0; options.len()];
                let poll_id = poll_id.to_string();
                self.set(PollState { poll_id, question, options, counts, open: true, changeable, closes_at, version });
            }
            PollsEvent::VotesCast { poll_id, counts, .. } => self.update(&poll_id, counts, true, version),
            PollsEvent::PollClosed { poll_id, counts, .. } => self.update(&poll_id, counts, false, version),
        }
    }

    fn update(&mut self, poll_id: &PollId, counts: Vec<u64>, open: bool, version: u64) {
        if let Some(poll) = self.poll.as_mut().filter(|poll| poll.poll_id == poll_id.to_string()) {
            poll.counts = counts;
            poll.open = open;
            poll.version = version;
            self.changed = true;
        }
    }

    fn set(&mut self, poll: PollState) {
        if self.poll.as_ref().is_none_or(|known| known.poll_id != poll.poll_id) {
            self.voted.clear();
        }
        self.poll = Some(poll);
        self.changed = true;
    }
}

/// Whether `asked` names an earlier poll of the same show than `current`.
fn earlier(asked: &str, current: &str) -> bool {
    match (asked.parse::<PollId>(), current.parse::<PollId>()) {
        (Ok(asked), Ok(current)) => asked.show_id() == current.show_id() && asked.number() < current.number(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(changeable: bool) -> PollState {
        PollState {
            poll_id: "s1.2".into(),
            question: "?".into(),
            options: vec!["a".into(), "b".into()],
            counts: vec![0, 0],
            open: true,
            changeable,
            closes_at: None,
            version: 3,
        }
    }

    #[test]
    fn a_vote_is_checked_before_it_costs_a_command() {
        let mut votes = Votes::default();
        let ann: Arc<str> = "ann".into();
        let now = Utc::now();
        assert_eq!(votes.cast(&ann, "s1.2", 0, now).err(), Some(VoteRefusal::NotFound));
        votes.seed(poll(false));
        assert_eq!(votes.cast(&ann, "s1.1", 0, now).err(), Some(VoteRefusal::Closed));
        assert_eq!(votes.cast(&ann, "s9.1", 0, now).err(), Some(VoteRefusal::NotFound));
        assert_eq!(votes.cast(&ann, "s1.2", 2, now).err(), Some(VoteRefusal::InvalidOption));
        assert!(matches!(votes.cast(&ann, "s1.2", 1, now), Ok(Cast::Pending(_))));
        let (poll_id, pending) = votes.take_pending().unwrap();
        assert_eq!((poll_id.to_string(), pending.len()), ("s1.2".to_owned(), 1));
        votes.counted("s1.2", &pending[0].ballot);
        assert!(matches!(votes.cast(&ann, "s1.2", 1, now), Ok(Cast::Counted(1))), "the same vote again is no news");
        assert_eq!(votes.cast(&ann, "s1.2", 0, now).err(), Some(VoteRefusal::AlreadyVoted));
    }

    #[test]
    fn older_news_of_the_poll_is_ignored() {
        let mut votes = Votes::default();
        votes.seed(poll(true));
        let stale = PollsEvent::VotesCast { poll_id: "s1.2".parse().unwrap(), ballots: vec![], counts: vec![9, 9] };
        votes.heard(stale, 2);
        assert_eq!(votes.poll.as_ref().unwrap().counts, vec![0, 0]);
        let fresh = PollsEvent::VotesCast { poll_id: "s1.2".parse().unwrap(), ballots: vec![], counts: vec![1, 0] };
        votes.heard(fresh, 4);
        assert_eq!(votes.poll.as_ref().unwrap().counts, vec![1, 0]);
    }
}
