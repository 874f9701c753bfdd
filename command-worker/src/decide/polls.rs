//! Poll commands: the show's creator opens and closes a poll, gateways
//! bring the ballots their sockets cast, the timer and the show's end close
//! it — decided against the show (who owns it, whether it has ended).

use cartcast_domain::Role;
use cartcast_domain::ids::PollId;
use cartcast_domain::poll::PollError;
use cartcast_domain::poll::{Ballot, PollsCommand};
use cartcast_domain::refusal::DomainError;
use cartcast_infra::outcome::{Answer, PollOpened, PollState, RefusedBallot, VotesCounted};
use cartcast_infra::store::{EventKey, StoreError};

use super::{Aggregates, Deciding, Decision};

/// What opening a poll asks.
pub(super) struct Question {
    pub question: String,
    pub options: Vec<String>,
    pub duration_s: Option<u32>,
    pub changeable: bool,
}

impl Aggregates {
    /// Whether the command's actor may run the show's polls: its creator, or an admin.
    async fn owns_show(&mut self, at: &Deciding<'_>, show_id: &str) -> Result<bool, StoreError> {
        let actor = &at.envelope.actor;
        Ok(actor.role == Role::Admin || self.shows.get(show_id).await?.creator == actor.sub)
    }

    pub(super) async fn open_poll(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: String,
        asked: Question,
    ) -> Result<Decision, StoreError> {
        let owner = self.owns_show(at, &show_id).await?;
        let show = self.shows.get(&show_id).await?.status;
        let Question { question, options, duration_s, changeable } = asked;
        let command = PollsCommand::Open {
            show_id: show_id.clone(),
            owner,
            show,
            question,
            options,
            duration_s,
            changeable,
            now: at.now,
        };
        Ok(match self.polls.execute(&show_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                // The aggregate numbers its polls; the one just opened is its last.
                let opened = self.polls.get(&show_id).await?.polls.last().and_then(|poll| poll.poll_id.as_ref());
                let poll_id = opened.expect("an accepted Open leaves its poll last").to_string();
                Decision::answer(Answer::PollOpened(PollOpened { poll_id, show_id }), events)
            }
        })
    }

    pub(super) async fn close_poll(&mut self, at: &mut Deciding<'_>, poll_id: PollId) -> Result<Decision, StoreError> {
        let show_id = poll_id.show_id();
        let owner = self.owns_show(at, show_id).await?;
        let command = PollsCommand::Close { owner, number: poll_id.number(), now: at.now };
        Ok(match self.polls.execute(show_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => match self.poll_state(&poll_id).await? {
                Some(state) => Decision::answer(Answer::PollClosed(state), events),
                None => Decision::refused(&PollError::NotFound, events),
            },
        })
    }

    pub(super) async fn count_votes(
        &mut self,
        at: &mut Deciding<'_>,
        poll_id: PollId,
        ballots: Vec<Ballot>,
    ) -> Result<Decision, StoreError> {
        let show_id = poll_id.show_id();
        let (_, refused) = self.polls.get(show_id).await?.judge(poll_id.number(), &ballots);
        let command = PollsCommand::Vote { number: poll_id.number(), ballots, now: at.now };
        Ok(match self.polls.execute(show_id, command, &at.meta, at.staged).await? {
            Err(e) => Decision::refused(&e, vec![]),
            Ok(events) => {
                let counts = self.poll_state(&poll_id).await?.map(|state| state.counts).unwrap_or_default();
                let refused = refused
                    .into_iter()
                    .map(|(ballot, why)| RefusedBallot {
                        voter: ballot.voter,
                        option: ballot.option,
                        code: why.code().into(),
                    })
                    .collect();
                let counted = VotesCounted { poll_id: poll_id.to_string(), counts, refused };
                Decision::answer(Answer::VotesCounted(counted), events)
            }
        })
    }

    /// The show ended: its open poll closes with its result. Staged with the
    /// show's end, so one never happens without the other.
    pub(super) async fn close_polls_with_show(
        &mut self,
        at: &mut Deciding<'_>,
        show_id: &str,
    ) -> Result<Vec<EventKey>, StoreError> {
        let command = PollsCommand::EndWithShow { now: at.now };
        Ok(self.polls.execute(show_id, command, &at.meta, at.staged).await?.unwrap_or_else(|e| {
            tracing::warn!(show_id, code = e.code(), "open poll not closed with its show");
            vec![]
        }))
    }

    /// Poll `poll_id` as it stands in memory now.
    async fn poll_state(&mut self, poll_id: &PollId) -> Result<Option<PollState>, StoreError> {
        let polls = self.polls.get(poll_id.show_id()).await?;
        Ok(polls.poll(poll_id.number()).map(|poll| PollState {
            poll_id: poll_id.to_string(),
            question: poll.question.clone(),
            options: poll.options.clone(),
            counts: poll.counts.clone(),
            open: poll.open,
            changeable: poll.changeable,
            closes_at: poll.closes_at,
            // Only screens that also hear the events compare versions; an answer has none.
            version: 0,
        }))
    }
}
